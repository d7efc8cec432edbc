import BallastMarketData
import BallastWorkflows
import Foundation

/// One level of `ballast models --format json`, version 1: the model of the menu in force,
/// with the versions of the assumptions and the policy and the review it comes from.
public struct MenuLevelJSON: Encodable, Sendable {
    /// The level (1-5) and its label (C1-C5).
    public var level: Int, label: String
    /// Weight by product and by asset class.
    public var weights, assetClassWeights: [String: Double]
    /// Annual expected return, volatility, and the level's volatility cap.
    public var expectedReturn, volatility, volatilityCap: Double
    /// The assumptions' and the policy's versions.
    public var assumptionsVersion, policyVersion: String
    /// The date of the review that built the menu.
    public var reviewDate: MarketDate
    /// What the builder noted (binding limits, turnover).
    public var notes: [String]

    /// The JSON of one level of `menu`.
    public init(_ p: MenuPortfolio, menu m: ModelMenu) {
        (level, label, weights, assetClassWeights) = (p.level, p.label, p.weights, p.assetClassWeights)
        (expectedReturn, volatility, volatilityCap) = (p.expectedReturn, p.volatility, p.volatilityCap)
        (assumptionsVersion, policyVersion, reviewDate, notes) = (m.assumptionsVersion, m.policyVersion, m.asOf, p.notes)
    }
}

/// A table of returns as JSON (`data bond-returns --format json`): one array per symbol, `null`
/// where a return is missing.
public struct ReturnSeriesJSON: Encodable, Sendable {
    /// Always `returns`.
    public var kind = "returns"
    /// The frequency of the returns.
    public var frequency: String
    /// The columns, in order.
    public var symbols: [String]
    /// The dates (ISO 8601).
    public var dates: [String]
    /// Symbol to its returns, one per date.
    public var returns: [String: [Double?]]

    /// The JSON of a returns table.
    public init(_ r: PriceTable, frequency: Frequency) {
        var cols: [String: [Double?]] = [:]
        for (j, s) in r.symbols.enumerated() { cols[s] = r.prices(atColumn: j).map { $0.isNaN ? nil : $0 } }
        (self.frequency, symbols, dates, returns) = (frequency.rawValue, r.symbols, r.dates.map(\.description), cols)
    }
}
