import Foundation

/// What a trade costs: the one formula used by the rebalancing planner (in integer cents), the
/// back-test simulator (fractional sizing) and the optimiser's linear cost term.
///
/// The cost of a trade of value `v > 0` is
/// `max(minimum, v × (basisPoints + impactBasisPointsPerMillion × v / 1,000,000) / 10,000 + fixed)`,
/// and 0 for no trade: a proportional charge (commission and half-spread), a linear price
/// impact whose rate grows with the size of the trade, a fixed charge per trade, and a floor.
/// The optimiser, whose cost term is linear in the weights, uses ``proportionalRate``
/// (the per-trade and impact charges depend on money amounts it does not see).
public struct CostModel: Sendable, Codable, Equatable {
    /// Proportional cost in basis points of the traded value.
    public var basisPoints: Double
    /// Fixed charge per trade (account currency).
    public var fixed: Double
    /// Minimum charge per trade (account currency).
    public var minimum: Double
    /// Extra basis points per million traded in one trade (linear impact; default 0).
    public var impactBasisPointsPerMillion: Double

    /// A cost model; every charge defaults to 0.
    public init(basisPoints: Double = 0, fixed: Double = 0, minimum: Double = 0, impactBasisPointsPerMillion: Double = 0) {
        self.basisPoints = basisPoints
        self.fixed = fixed
        self.minimum = minimum
        self.impactBasisPointsPerMillion = impactBasisPointsPerMillion
    }

    /// The proportional cost as a fraction of the traded value (the optimiser's `κ` in
    /// `κ Σ |w - w0|`).
    public var proportionalRate: Double { basisPoints / 10_000 }

    /// The cost of a trade of `value` (account currency; 0 for no trade).
    @inlinable public func cost(ofTrade value: Double) -> Double {
        let v = abs(value)
        guard v > 0 else { return 0 }
        let rate = (basisPoints + impactBasisPointsPerMillion * v / 1_000_000) / 10_000
        return Swift.max(minimum, v * rate + fixed)
    }

    /// The cost of a trade of `value` integer cents, in integer cents: the proportional and
    /// impact part rounded to the nearest cent, then the fixed charge and the floor (each
    /// rounded to the cent) applied.
    @inlinable @inline(__always) public func cost(ofTradeCents value: Int64) -> Int64 {
        let v = Swift.max(value, -value)
        guard v > 0 else { return 0 }
        let rate = (basisPoints + impactBasisPointsPerMillion * Double(v) / 100_000_000) / 10_000
        let proportional = Int64((Double(v) * rate).rounded())
        return Swift.max(Int64((minimum * 100).rounded()), proportional + Int64((fixed * 100).rounded()))
    }
}
