import Foundation

/// The model portfolio of a risk level, re-built at each rebalancing date from a trailing
/// window: the back-test of what ``ModelPortfolioBuilder`` would have recommended at the time.
public struct LevelStrategy: AllocationStrategy {
    /// The level whose model portfolio is back-tested.
    public var level: LevelParameters
    /// All the levels (the builder needs them).
    public var levels: RiskLevels
    /// Products with their ratings; only catalogue products are candidates.
    public var catalog: ProductCatalog
    /// How returns and covariance are estimated on the window (default Ledoit-Wolf, as the
    /// live models).
    public var estimation: RiskModelConfiguration
    /// Trailing window in rows (trading days).
    public var window: Int
    /// Annual rate earned by cash in the model.
    public var cashRate: Double

    /// A level strategy; `estimation` defaults to Ledoit-Wolf (constant variance), as the live models.
    public init(
        level: LevelParameters, levels: RiskLevels, catalog: ProductCatalog, window: Int = 756,
        cashRate: Double = MarketConventions.defaultRiskFreeRate,
        estimation: RiskModelConfiguration? = nil
    ) {
        self.level = level
        self.levels = levels
        self.catalog = catalog
        self.window = window
        self.cashRate = cashRate
        self.estimation =
            estimation
            ?? {
                var c = RiskModelConfiguration()
                c.covariance = .ledoitWolf(.constantVariance)
                return c
            }()
    }

    /// `level C3 model portfolio (756-day window)`.
    public var name: String { "level \(level.label) model portfolio (\(window)-day window)" }

    /// The level's model portfolio on the trailing window; throws when the history is shorter than the window or no product has prices over all of it.
    public func targetWeights(history: PriceHistory) throws -> [String: Double] {
        guard history.rowCount > window else {
            throw BacktestError("only \(history.rowCount - 1) returns before \(history.date); the window needs \(window)")
        }
        var table = history.trailing(window + 1)
        let products = Set(catalog.products.map(\.symbol))
        let complete = table.symbols.indices.filter { j in
            products.contains(table.symbols[j]) && table.prices(atColumn: j).allSatisfy { $0.isFinite && $0 > 0 }
        }
        guard !complete.isEmpty else { throw BacktestError("no catalogue product has prices over the whole window before \(history.date)") }
        table = try table.selecting(symbols: complete.map { table.symbols[$0] })
        var config = estimation
        config.start = nil
        config.end = nil
        let builder = ModelPortfolioBuilder(
            distribution: try config.estimate(prices: table), catalog: catalog, levels: levels, cashRate: cashRate)
        return try builder.portfolio(for: level).weights.filter { $0.value > 1e-9 }
    }
}
