import BallastMarketData
import BallastOptimization
import BallastRebalancing
import BallastRiskModels
import Foundation

/// Expected returns and a covariance from price files (`ballast risk-model`, and the risk model
/// of every ``OptimizeRequest`` and ``FrontierRequest``).
public struct RiskModelRequest: Sendable {
    /// Wide price files, joined on their dates.
    public var prices = ["market-data/sp500_20.csv"]
    /// The symbols to keep (empty: every column).
    public var symbols: [String] = []
    /// The window, frequency, estimators and repair.
    public var configuration = RiskModelConfiguration()
    /// The market index file, read only for CAPM expected returns.
    public var market = "market-data/sp500_index.csv"
    /// How the price files are checked.
    public var priceCheck = PriceCheck()
    /// A user's name of a file to the path to open (see ``WorkflowInputs/resolve``).
    public var resolve: @Sendable (String) throws -> String = { $0 }

    /// The bundled stock prices, sample estimators.
    public init() {}

    /// The price table (symbols selected) and the price check's warnings.
    public func loadPrices() throws -> (table: PriceTable, warnings: [String]) {
        let (set, warnings) = try priceCheck.load(prices.map { try resolve($0) })
        return (symbols.isEmpty ? set.table : try set.table.selecting(symbols: symbols), warnings)
    }

    /// The distribution. Every warning goes to `warning` as it arises, so that the price
    /// check's reach the caller even when the estimation then fails: the price check's, the
    /// estimators', and advice when the covariance is not positive definite without a repair or
    /// has fewer observations than assets.
    public func run(warning: (String) -> Void = { _ in }) throws -> ReturnDistribution {
        let (table, priceWarnings) = try loadPrices()
        priceWarnings.forEach(warning)
        return try estimate(table, warning: warning)
    }

    /// The distribution of prices already read by ``loadPrices()``; the estimators' warnings
    /// go to `warning`.
    public func estimate(_ table: PriceTable, warning: (String) -> Void = { _ in }) throws -> ReturnDistribution {
        var market: PriceTable?
        if case .capm = configuration.expectedReturns { market = try PriceCSV.read(path: try resolve(self.market)) }
        let d = try configuration.estimate(prices: table, market: market)
        d.warnings.forEach(warning)
        if !d.provenance.diagnostics.isPositiveDefinite && d.provenance.repair == nil {
            warning("the covariance is not positive definite; pass --repair clip or --repair higham to repair it")
        }
        if let n = d.window?.observations, n < d.assets.count {
            warning(
                "\(d.assets.count) assets but only \(n) observations; the sample covariance is singular, prefer --covariance ledoit-wolf or oas"
            )
        }
        return d
    }
}

/// Weight bounds, per-asset bounds and group limits from files, regularisation and a cash asset:
/// the constraints of ``OptimizeRequest`` and ``FrontierRequest``.
public struct ConstraintSpecification: Sendable {
    /// The lower bound of every weight without its own.
    public var lower = 0.0
    /// The upper bound of every weight without its own.
    public var upper = 1.0
    /// A CSV file `symbol,lower,upper` (read by `ConstraintFiles.bounds(_:)` of BallastOptimization).
    public var boundsFile: String?
    /// A JSON file of group limits (read by `ConstraintFiles.groups(_:)` of BallastOptimization).
    public var groupsFile: String?
    /// The L2 regulariser γ.
    public var l2 = 0.0
    /// Whether a zero-variance cash asset earning the risk-free rate is added.
    public var cash = false

    /// Long-only, fully invested.
    public init() {}

    /// The constraints, the files read through `resolve` and checked; cash earns `cashRate`.
    public func constraints(cashRate: Double, resolve: (String) throws -> String) throws -> PortfolioConstraints {
        var c = PortfolioConstraints()
        (c.defaultLower, c.defaultUpper, c.l2Regularization) = (lower, upper, l2)
        if let boundsFile {
            for r in try ConstraintFiles.bounds(try resolve(boundsFile)) {
                if let lo = r.lower { c.lowerBounds[r.symbol] = lo }
                if let hi = r.upper { c.upperBounds[r.symbol] = hi }
            }
        }
        if let groupsFile { c.groups = try ConstraintFiles.groups(try resolve(groupsFile)) }
        if cash { (c.cashSymbol, c.cashRate) = (RebalancePlanner.defaultCashSymbol, cashRate) }
        return c
    }
}

/// One optimal portfolio (`ballast optimize`), and optionally its whole-lot quantities.
public struct OptimizeRequest: Sendable {
    /// The risk model.
    public var riskModel = RiskModelRequest()
    /// The objective.
    public var objective = PortfolioObjective.maximumSharpe(riskFreeRate: MarketConventions.defaultRiskFreeRate)
    /// The constraints.
    public var constraints = ConstraintSpecification()
    /// The annual risk-free rate: the cash asset's return and the reported Sharpe ratio.
    public var riskFreeRate = MarketConventions.defaultRiskFreeRate
    /// Turn the weights into quantities for this amount, at the window's last prices.
    public var allocate: Double?
    /// Fractional quantities with this many decimals instead of whole lots.
    public var fractionalDecimals: Int?
    /// The product catalogue with the lot sizes.
    public var catalog = "market-data/catalog.json"

    /// Maximum Sharpe, long-only, on the bundled stock prices.
    public init() {}

    /// The solution and the allocation when ``allocate`` is set; the risk model's and the
    /// solver's warnings go to `warning`.
    public func run(warning: (String) -> Void = { _ in }) throws -> (result: OptimizationResult, allocation: DiscreteAllocation?) {
        let (table, priceWarnings) = try riskModel.loadPrices()
        priceWarnings.forEach(warning)
        let distribution = try riskModel.estimate(table, warning: warning)
        let result = try MeanVarianceProblem(
            distribution: distribution, objective: objective,
            constraints: try constraints.constraints(cashRate: riskFreeRate, resolve: riskModel.resolve), riskFreeRate: riskFreeRate
        ).solve()
        result.warnings.forEach(warning)
        guard let amount = allocate else { return (result, nil) }
        let c = riskModel.configuration
        let prices = try table.window(start: c.start, end: c.end)
        let lots = try ProductCatalog.read(path: try riskModel.resolve(catalog)).lotSizes
        let allocation = try DiscreteAllocation.allocate(
            weights: Dictionary(uniqueKeysWithValues: zip(result.assets, result.weights)),
            prices: prices.lastPrices(onOrBefore: prices.dates.last!),
            amount: amount, lotSizes: lots, granularity: fractionalDecimals.map { .fractional(decimals: $0) } ?? .lots,
            cashSymbol: constraints.cash ? RebalancePlanner.defaultCashSymbol : nil)
        return (result, allocation)
    }
}

/// The efficient frontier (`ballast frontier`): every turning point, or a number of points.
public struct FrontierRequest: Sendable {
    /// The risk model.
    public var riskModel = RiskModelRequest()
    /// The constraints.
    public var constraints = ConstraintSpecification()
    /// `true`: the critical line's turning points; `false`: ``points`` points.
    public var exact = false
    /// Points of a sampled frontier.
    public var points = 20
    /// The annual risk-free rate of the maximum-Sharpe portfolio.
    public var riskFreeRate = MarketConventions.defaultRiskFreeRate

    /// A sampled frontier of 20 points on the bundled stock prices.
    public init() {}

    /// The frontier and what a chart marks on it.
    public struct Outcome: Sendable {
        /// The frontier.
        public var frontier: EfficientFrontier
        /// The distribution it was traced on.
        public var distribution: ReturnDistribution
        /// The minimum-volatility end.
        public var minimumVolatility: FrontierPoint?
        /// The maximum-Sharpe portfolio, `nil` when there is none (a warning says why).
        public var maximumSharpe: FrontierPoint?
    }

    /// Traces the frontier and finds its maximum-Sharpe portfolio; the risk model's warnings,
    /// and why no maximum-Sharpe portfolio is marked, go to `warning`.
    public func run(warning: (String) -> Void = { _ in }) throws -> Outcome {
        let distribution = try riskModel.run(warning: warning)
        let c = try constraints.constraints(cashRate: riskFreeRate, resolve: riskModel.resolve)
        let problem = MeanVarianceProblem(distribution: distribution, objective: .minimumVolatility, constraints: c)
        let frontier = exact ? try problem.exactFrontier() : try problem.sampledFrontier(points: points)
        var sharpe: FrontierPoint?
        if exact {
            sharpe = frontier.maximumSharpe(riskFreeRate: riskFreeRate)
        } else {
            do {
                let r = try MeanVarianceProblem(
                    distribution: distribution, objective: .maximumSharpe(riskFreeRate: riskFreeRate), constraints: c
                )
                .solve()
                sharpe = FrontierPoint(lambda: .nan, weights: r.weights, expectedReturn: r.expectedReturn, volatility: r.volatility)
            } catch {
                warning("no maximum-Sharpe portfolio is marked: \(error)")
            }
        }
        return Outcome(
            frontier: frontier, distribution: distribution, minimumVolatility: frontier.points.first, maximumSharpe: sharpe)
    }
}
