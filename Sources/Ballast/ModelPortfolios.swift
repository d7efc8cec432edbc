import BallastMarketData
import BallastOptimization
import BallastProfiling
import BallastRiskModels

/// The model portfolio of one risk level.
public struct ModelPortfolio: Sendable, Equatable {
    /// The level the portfolio was built for.
    public var level: LevelParameters
    /// The optimiser's result: assets (cash last), weights, expected return, volatility, diagnostics.
    public var result: OptimizationResult
    /// The portfolio's products and volatility checked against the level.
    public var suitability: SuitabilityResult

    /// Weights by symbol (zeros included).
    public var weights: [String: Double] { Dictionary(uniqueKeysWithValues: zip(result.assets, result.weights).map { ($0, $1) }) }
}

/// Builds the model portfolio of each risk level: the maximum-return portfolio among the
/// products the level allows, plus cash, whose volatility is within the level's cap, with at
/// least the level's cash share and at most its risky share.
public struct ModelPortfolioBuilder: Sendable {
    /// Expected returns and covariance of the candidate products.
    public var distribution: ReturnDistribution
    /// Products with their risk ratings (products above a level's maximum get no weight).
    public var catalog: ProductCatalog
    /// The five levels' parameters.
    public var levels: RiskLevels
    /// Annual rate earned by cash.
    public var cashRate: Double
    /// The smallest position a model holds (default 0.5%): every weight is 0 or at least
    /// this, so that solver dust and negligible positions (which no account can hold in
    /// whole lots, and which would make the relative band fire on every run) never become
    /// targets. See ``PortfolioConstraints/minimumWeight``.
    public var minimumWeight = 0.005

    /// A builder for `distribution`'s assets plus cash, with cash earning `cashRate` a year.
    public init(
        distribution: ReturnDistribution, catalog: ProductCatalog, levels: RiskLevels,
        cashRate: Double = MarketConventions.defaultRiskFreeRate
    ) {
        self.distribution = distribution
        self.catalog = catalog
        self.levels = levels
        self.cashRate = cashRate
    }

    /// The builder the live models use: expected returns and Ledoit-Wolf (constant-variance)
    /// covariance on the `years` of `prices` up to `day`.
    ///
    /// - Throws: `MarketDataError` or `RiskModelError` when the window cannot be estimated.
    public init(
        prices: PriceTable, through day: MarketDate, years: Int = 10, catalog: ProductCatalog, levels: RiskLevels,
        cashRate: Double = MarketConventions.defaultRiskFreeRate
    ) throws {
        var config = RiskModelConfiguration()
        config.start = day.adding(months: -12 * years)
        config.end = day
        config.covariance = .ledoitWolf(.constantVariance)
        self.init(distribution: try config.estimate(prices: prices), catalog: catalog, levels: levels, cashRate: cashRate)
    }

    /// The cash product's symbol in the catalogue (`CASH` by default).
    var cashSymbol: String { catalog.products.first { $0.isCash }?.symbol ?? "CASH" }

    /// The constraints a level imposes on the distribution's assets plus cash.
    public func constraints(for level: LevelParameters) -> PortfolioConstraints {
        var c = PortfolioConstraints()
        c.cashSymbol = cashSymbol
        c.cashRate = cashRate
        for a in distribution.assets {
            let rating = catalog.product(a)?.riskRating ?? .r5
            if rating > level.maxProductRating { c.upperBounds[a] = 0 }
        }
        c.lowerBounds[cashSymbol] = level.minCashShare
        c.groups = [AssetGroup(name: "risky share", members: distribution.assets, maximum: level.maxRiskyShare)]
        c.minimumWeight = minimumWeight
        return c
    }

    /// The model portfolio of one level.
    ///
    /// - Throws: `OptimizationError` when the level's constraints admit no portfolio.
    public func portfolio(for level: LevelParameters) throws(OptimizationError) -> ModelPortfolio {
        let problem = MeanVarianceProblem(
            distribution: distribution, objective: .efficientRisk(targetVolatility: max(level.volatilityCap, 1e-6)),
            constraints: constraints(for: level))
        var result: OptimizationResult
        do {
            result = try problem.solve()
        } catch  where error.code == .targetOutOfRange {
            // The cap is below the least volatile portfolio the level allows: hold that one.
            result = try MeanVarianceProblem(
                distribution: distribution, objective: .minimumVolatility, constraints: constraints(for: level)
            ).solve()
        }
        let weights = Dictionary(uniqueKeysWithValues: zip(result.assets, result.weights).map { ($0, $1) })
        let suitability = Suitability.check(weights: weights, volatility: result.volatility, level: level, catalog: catalog)
        return ModelPortfolio(level: level, result: result, suitability: suitability)
    }

    /// The model portfolios of all levels, C1 to C5.
    public func all() throws(OptimizationError) -> [ModelPortfolio] {
        var out: [ModelPortfolio] = []
        for l in levels.levels { out.append(try portfolio(for: l)) }
        return out
    }
}
