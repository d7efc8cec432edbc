import BallastMarketData
import Foundation

/// Money in integer minor units (cents): every cash amount in a plan is exact.
public typealias Cents = Int64

/// A cash flow into or out of an account.
public struct CashFlow: Sendable, Codable, Equatable {
    /// Positive for a deposit, negative for a withdrawal (account currency).
    public var amount: Double

    public init(amount: Double) { self.amount = amount }
}

/// An account to rebalance.
public struct Account: Sendable, Codable, Equatable {
    public var id: String
    /// The model portfolio (or risk level label such as `C3`) whose weights are the target.
    public var model: String?
    /// Cash in the account currency.
    public var cash: Double
    /// Symbol to quantity.
    public var holdings: [String: Double]
    public var cashFlow: CashFlow?
    public var lastRebalance: MarketDate?

    public init(
        id: String, model: String? = nil, cash: Double, holdings: [String: Double], cashFlow: CashFlow? = nil,
        lastRebalance: MarketDate? = nil
    ) {
        self.id = id
        self.model = model
        self.cash = cash
        self.holdings = holdings
        self.cashFlow = cashFlow
        self.lastRebalance = lastRebalance
    }
}

/// When a rebalance is due.
public enum RebalanceTrigger: String, Sendable, Codable, CaseIterable {
    /// Some `|w - w*|` exceeds `absoluteBand`.
    case absoluteBand = "absolute-band"
    /// Some `|w - w*| / w*` exceeds `relativeBand`.
    case relativeBand = "relative-band"
    /// Either of the two (the "5/25" rule with the default bands).
    case fiveTwentyFive = "5-25"
    /// `½ Σ |w - w*|` exceeds `driftThreshold`.
    case portfolioDrift = "portfolio-drift"
    /// A calendar period has passed since the last rebalance.
    case calendar
    /// A calendar period has passed and the 5/25 rule fires.
    case calendarAndThreshold = "calendar-and-threshold"
}

/// Calendar periods.
public enum RebalancePeriod: String, Sendable, Codable, CaseIterable {
    case monthly, quarterly, annual

    var months: Int {
        switch self {
        case .monthly: 1
        case .quarterly: 3
        case .annual: 12
        }
    }
}

/// How far trades go.
public enum RebalanceDestination: String, Sendable, Codable, CaseIterable {
    /// All the way back to the target weights.
    case target
    /// Only back to the edge of the band (cheaper; the optimal policy with proportional costs
    /// has such a no-trade region).
    case bandEdge = "band-edge"
}

/// A rebalancing policy (a JSON file, or flags for the common fields). Weights and bands are
/// fractions; costs in basis points and account currency.
public struct RebalancePolicy: Sendable, Codable, Equatable {
    public var trigger: RebalanceTrigger = .fiveTwentyFive
    public var absoluteBand = 0.05
    public var relativeBand = 0.25
    public var driftThreshold = 0.05
    public var period: RebalancePeriod = .quarterly
    public var destination: RebalanceDestination = .target
    /// Trades smaller than this (account currency) are not placed.
    public var minimumTradeValue = 0.0
    /// Quantities with this many decimals instead of whole lots (`nil`: whole lots).
    public var fractionalDecimals: Int?
    /// Cash kept back, as a fraction of the account's value.
    public var cashBuffer = 0.0
    /// Proportional cost in basis points of the traded value.
    public var costBasisPoints = 0.0
    /// Fixed cost per trade.
    public var fixedCost = 0.0
    /// Minimum cost per trade.
    public var minimumCost = 0.0
    /// Largest turnover `Σ|trade value| / 2 / account value` (`nil`: no limit).
    public var maximumTurnover: Double?

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = RebalancePolicy()
        trigger = try c.decodeIfPresent(RebalanceTrigger.self, forKey: .trigger) ?? d.trigger
        absoluteBand = try c.decodeIfPresent(Double.self, forKey: .absoluteBand) ?? d.absoluteBand
        relativeBand = try c.decodeIfPresent(Double.self, forKey: .relativeBand) ?? d.relativeBand
        driftThreshold = try c.decodeIfPresent(Double.self, forKey: .driftThreshold) ?? d.driftThreshold
        period = try c.decodeIfPresent(RebalancePeriod.self, forKey: .period) ?? d.period
        destination = try c.decodeIfPresent(RebalanceDestination.self, forKey: .destination) ?? d.destination
        minimumTradeValue = try c.decodeIfPresent(Double.self, forKey: .minimumTradeValue) ?? d.minimumTradeValue
        fractionalDecimals = try c.decodeIfPresent(Int.self, forKey: .fractionalDecimals)
        cashBuffer = try c.decodeIfPresent(Double.self, forKey: .cashBuffer) ?? d.cashBuffer
        costBasisPoints = try c.decodeIfPresent(Double.self, forKey: .costBasisPoints) ?? d.costBasisPoints
        fixedCost = try c.decodeIfPresent(Double.self, forKey: .fixedCost) ?? d.fixedCost
        minimumCost = try c.decodeIfPresent(Double.self, forKey: .minimumCost) ?? d.minimumCost
        maximumTurnover = try c.decodeIfPresent(Double.self, forKey: .maximumTurnover)
    }

    /// Problems with the values, as `field: message`.
    public var problems: [String] {
        var out: [String] = []
        for (name, v) in [
            ("absoluteBand", absoluteBand), ("relativeBand", relativeBand), ("driftThreshold", driftThreshold),
            ("minimumTradeValue", minimumTradeValue),
            ("cashBuffer", cashBuffer), ("costBasisPoints", costBasisPoints), ("fixedCost", fixedCost), ("minimumCost", minimumCost),
        ] where !(v >= 0) || !v.isFinite {
            out.append("\(name): must be a finite number at least 0 (got \(v))")
        }
        if cashBuffer >= 1 { out.append("cashBuffer: must be below 1 (a fraction of the account)") }
        if let d = fractionalDecimals, !(0...8).contains(d) { out.append("fractionalDecimals: must be 0 to 8") }
        if let t = maximumTurnover, !(t > 0) { out.append("maximumTurnover: must be positive") }
        return out
    }
}

/// One order.
public struct PlannedTrade: Sendable, Codable, Equatable {
    public enum Side: String, Sendable, Codable { case buy, sell }
    public var symbol: String
    public var side: Side
    public var quantity: Double
    public var price: Double
    /// `quantity x price` rounded to the cent.
    public var value: Double
    public var cost: Double
    public var reason: String
}

/// The outcome of planning.
public enum PlanStatus: String, Sendable, Codable {
    case rebalanced
    case withinBand = "within-band"
    case cashFlowOnly = "cash-flow-only"
    case error
}

/// A rebalancing plan for one account.
public struct RebalancePlan: Sendable, Codable, Equatable {
    public var accountId: String
    public var status: PlanStatus
    /// What fired (or why nothing did).
    public var trigger: String
    public var trades: [PlannedTrade]
    public var cashBefore: Double
    public var cashAfter: Double
    public var weightsBefore: [String: Double]
    public var weightsAfter: [String: Double]
    public var driftBefore: Double
    public var driftAfter: Double
    public var turnover: Double
    public var estimatedCost: Double
    /// Why the plan stops short of the band, if it does (lots, minimum trade size, turnover).
    public var notes: [String]
}

/// A problem that prevents a plan, with what to fix.
public struct RebalanceError: Error, Sendable, Equatable, CustomStringConvertible {
    public var accountId: String?
    public var field: String?
    public var message: String

    public init(accountId: String? = nil, field: String? = nil, _ message: String) {
        self.accountId = accountId
        self.field = field
        self.message = message
    }

    public var description: String {
        (accountId.map { "account \($0): " } ?? "") + (field.map { "\($0): " } ?? "") + message
    }
}
