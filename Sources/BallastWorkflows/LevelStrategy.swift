import BallastAudit
import BallastBacktest
import BallastMarketData
import BallastOptimization
import BallastProfiling
import BallastRebalancing
import BallastRiskModels
import Foundation

/// The model portfolio of a risk level, re-built at each rebalancing date by the live
/// ``ModelRule`` from the prices up to that date: the back-test of exactly what
/// ``ModelPortfolioBuilder`` would have recommended at the time.
public struct LevelStrategy: AllocationStrategy {
    /// The level whose model portfolio is back-tested.
    public var level: LevelParameters
    /// All the levels (the builder needs them).
    public var levels: RiskLevels
    /// Products with their ratings; only catalogue products are candidates.
    public var catalog: ProductCatalog
    /// The rule that builds the model, as live.
    public var rule: ModelRule

    /// A level strategy with the live rule (``ModelRule`` and its defaults unless given).
    public init(level: LevelParameters, levels: RiskLevels, catalog: ProductCatalog, rule: ModelRule = ModelRule()) {
        self.level = level
        self.levels = levels
        self.catalog = catalog
        self.rule = rule
    }

    /// `level C3 model rule (Ledoit-Wolf on up to 10 years of prices)`.
    public var name: String { "level \(level.label) model rule (\(rule.description))" }

    /// The level's model portfolio as the live rule builds it on the prices up to the
    /// decision date; throws when no product has enough history.
    public func targetWeights(history: PriceHistory) throws -> [String: Double] {
        let builder = try rule.builder(prices: history.all, through: history.date, catalog: catalog, levels: levels)
        return try builder.portfolio(for: level).weights.filter { $0.value > 0 }
    }
}
