import BallastMarketData
import BallastOptimization
import BallastProfiling
import BallastRebalancing
import BallastRiskModels

/// The model portfolio of one risk level.
public struct ModelPortfolio: Sendable, Equatable {
    /// The level the portfolio was built for.
    public var level: LevelParameters
    /// The optimiser's result: assets (cash last), weights, expected return, volatility, diagnostics.
    public var result: OptimizationResult
    /// The portfolio's products and volatility checked against the level.
    public var suitability: SuitabilityResult
    /// The symbol that holds the portfolio's cash (the catalogue's cash product).
    public var cashSymbol: String

    /// A model portfolio.
    public init(level: LevelParameters, result: OptimizationResult, suitability: SuitabilityResult, cashSymbol: String) {
        self.level = level
        self.result = result
        self.suitability = suitability
        self.cashSymbol = cashSymbol
    }

    /// Weights by symbol (zeros included).
    public var weights: [String: Double] { Dictionary(uniqueKeysWithValues: zip(result.assets, result.weights).map { ($0, $1) }) }
}

/// How the level models are built from prices: the one rule that `models`, `recommend`,
/// `rebalance` and the back-test's level strategy all apply, so that a back-test re-builds at
/// each decision date exactly the model that would have been recommended then.
///
/// On a decision date `day`, the rule takes the prices of the last ``years`` years up to `day`
/// and, of the catalogue's products, those with a price on `day` (tradable). Their histories
/// are joined on dates (rows where one of them has no price are dropped); when the joined
/// window has fewer than ``minimumObservations`` returns, the product with the shortest
/// history is left out, and so on, so that a product that has just started trading never cuts
/// everyone's window short. A product with an implausible price in the window (by the default
/// `PriceSanityRule`) is left out. Expected returns and covariance come from ``estimation`` on that
/// window (mean and Ledoit-Wolf with a constant-variance target by default); cash earns
/// ``cashRate``; every weight is 0 or at least ``minimumWeight``.
public struct ModelRule: Sendable, Codable, Equatable {
    /// How expected returns and covariance are estimated on the window (its `start` and `end`
    /// are ignored: the window is the rule's).
    public var estimation: RiskModelConfiguration
    /// Years of prices up to the decision date (default 10).
    public var years: Int
    /// The fewest returns the joined window may have (default 756, three years of trading days).
    public var minimumObservations: Int
    /// Annual rate earned by cash in the model.
    public var cashRate: Double
    /// The smallest position (see ``ModelPortfolioBuilder/minimumWeight``).
    public var minimumWeight: Double

    /// The rule with its documented defaults.
    public init(
        estimation: RiskModelConfiguration? = nil, years: Int = 10, minimumObservations: Int = 756,
        cashRate: Double = MarketConventions.defaultRiskFreeRate, minimumWeight: Double = 0.005
    ) {
        self.estimation =
            estimation
            ?? {
                var c = RiskModelConfiguration()
                c.covariance = .ledoitWolf(.constantVariance)
                return c
            }()
        self.years = years
        self.minimumObservations = minimumObservations
        self.cashRate = cashRate
        self.minimumWeight = minimumWeight
    }

    /// `Ledoit-Wolf on 10 years of prices`.
    public var description: String {
        let covariance: String
        switch estimation.covariance {
        case .ledoitWolf: covariance = "Ledoit-Wolf"
        case .sample: covariance = "sample covariance"
        case .exponential: covariance = "EWMA covariance"
        case .oracleApproximating: covariance = "OAS"
        }
        return "\(covariance) on up to \(years) years of prices"
    }

    /// The joined price window of the candidate products for a decision on `day`.
    ///
    /// - Throws: `MarketDataError` when no catalogue product has enough history up to `day`.
    public func window(_ prices: PriceTable, through day: MarketDate, catalog: ProductCatalog) throws -> PriceTable {
        let start = day.adding(months: -12 * years)
        let table = try prices.window(start: start, end: day)
        guard let last = table.dates.indices.last else {
            throw MarketDataError(.emptyWindow, date: day, message: "there are no prices up to \(day)", fix: "choose a later date")
        }
        // A product with an implausible price in the window (``PriceSanityRule``) is left out:
        // one bad price would otherwise dominate every estimate.
        let suspect = Set(PriceSanityRule().outliers(in: table).map(\.symbol))
        let products = Set(catalog.products.filter { !$0.isCash && !suspect.contains($0.symbol) }.map(\.symbol))
        // Each tradable candidate and the first row from which it has a price on every row.
        var candidates: [(symbol: String, from: Int)] = []
        for (j, s) in table.symbols.enumerated() where products.contains(s) {
            let column = table.prices(atColumn: j)
            let base = column.startIndex
            guard column[base + last].isFinite else { continue }
            var from = last
            while from > 0 && column[base + from - 1].isFinite { from -= 1 }
            candidates.append((s, from))
        }
        // Leave out the shortest histories until the joined window is long enough.
        candidates.sort { $0.from < $1.from || ($0.from == $1.from && $0.symbol < $1.symbol) }
        while let latest = candidates.last, last - latest.from < minimumObservations { candidates.removeLast() }
        guard let shortest = candidates.last else {
            throw MarketDataError(
                .insufficientData, date: day,
                message: "no catalogue product has \(minimumObservations) returns without a gap up to \(day)",
                fix: "choose a later date, or give a longer price history")
        }
        return try table.selecting(
            symbols: candidates.map(\.symbol).sorted { a, b in
                table.index(of: a)! < table.index(of: b)!
            }
        ).selectingRows(shortest.from..<(last + 1))
    }

    /// The builder of the level models for a decision on `day` from `prices` (rows after
    /// `day` are never read).
    ///
    /// - Throws: `MarketDataError` or `RiskModelError` when the window cannot be estimated.
    public func builder(prices: PriceTable, through day: MarketDate, catalog: ProductCatalog, levels: RiskLevels) throws
        -> ModelPortfolioBuilder
    {
        var config = estimation
        config.start = nil
        config.end = nil
        let distribution = try config.estimate(prices: try window(prices, through: day, catalog: catalog))
        var builder = ModelPortfolioBuilder(distribution: distribution, catalog: catalog, levels: levels, cashRate: cashRate)
        builder.minimumWeight = minimumWeight
        return builder
    }
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
    /// targets. See `PortfolioConstraints.minimumWeight`.
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

    /// The builder the live models use: ``ModelRule`` with its defaults (and `years`,
    /// `cashRate`) applied to `prices` up to `day`.
    ///
    /// - Throws: `MarketDataError` or `RiskModelError` when the window cannot be estimated.
    public init(
        prices: PriceTable, through day: MarketDate, years: Int = 10, catalog: ProductCatalog, levels: RiskLevels,
        cashRate: Double = MarketConventions.defaultRiskFreeRate
    ) throws {
        self = try ModelRule(years: years, cashRate: cashRate).builder(prices: prices, through: day, catalog: catalog, levels: levels)
    }

    /// The cash product's symbol in the catalogue (`CASH` by default).
    var cashSymbol: String { catalog.cashSymbol ?? RebalancePlanner.defaultCashSymbol }

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
        return ModelPortfolio(level: level, result: result, suitability: suitability, cashSymbol: cashSymbol)
    }

    /// The model portfolios of all levels, C1 to C5.
    public func all() throws(OptimizationError) -> [ModelPortfolio] {
        var out: [ModelPortfolio] = []
        for l in levels.levels { out.append(try portfolio(for: l)) }
        return out
    }
}
