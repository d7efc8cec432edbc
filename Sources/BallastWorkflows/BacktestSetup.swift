import BallastAudit
import BallastBacktest
import BallastMarketData
import BallastOptimization
import BallastProfiling
import BallastRebalancing
import BallastRiskModels
import Dispatch
import Foundation
import Synchronization

/// A back-test strategy as the command line and grid files name it.
public enum StrategyChoice: Sendable, Equatable, CustomStringConvertible {
    /// Equal weights, re-set at each rebalancing.
    case equalWeight
    /// Equal weights bought once, never rebalanced.
    case buyAndHold
    /// Fixed weights from a JSON file `{symbol: weight}`.
    case fixed(file: String)
    /// The model of a risk level (1-5).
    case level(Int)
    /// A mean-variance strategy described by a JSON file (``StrategyFile``).
    case meanVariance(file: String)

    /// The choice a text names: `equal-weight`, `buy-and-hold`, `fixed:FILE`, `level:N` or
    /// `FILE.json`.
    ///
    /// - Throws: ``BacktestSetupError`` naming the text and the accepted forms.
    public init(parsing text: String) throws(BacktestSetupError) {
        switch text {
        case "equal-weight": self = .equalWeight
        case "buy-and-hold": self = .buyAndHold
        case _ where text.hasPrefix("fixed:"): self = .fixed(file: String(text.dropFirst(6)))
        case _ where text.hasPrefix("level:"):
            guard let n = Int(text.dropFirst(6)), (1...5).contains(n) else {
                throw BacktestSetupError("strategy \(text): the level is 1 to 5, as in level:3")
            }
            self = .level(n)
        case _ where text.hasSuffix(".json"): self = .meanVariance(file: text)
        default: throw BacktestSetupError("strategy \(text) is not equal-weight, buy-and-hold, fixed:FILE, level:N or FILE.json")
        }
    }

    /// The text form.
    public var description: String {
        switch self {
        case .equalWeight: "equal-weight"
        case .buyAndHold: "buy-and-hold"
        case .fixed(let file): "fixed:" + file
        case .level(let n): "level:\(n)"
        case .meanVariance(let file): file
        }
    }

    /// The file the strategy reads, if any.
    public var file: String? {
        switch self {
        case .fixed(let f), .meanVariance(let f): f
        default: nil
        }
    }
}

extension RebalanceSchedule {
    /// The schedule a text names: `monthly`, `quarterly`, `annually`, `never`, `threshold:X`
    /// or `monthly+threshold:X` (X a fraction such as 0.05).
    ///
    /// - Throws: ``BacktestSetupError`` naming the text and the accepted forms.
    public init(parsing text: String) throws(BacktestSetupError) {
        func period(_ p: String) -> RebalancePeriod? {
            switch p {
            case "monthly": .monthly
            case "quarterly": .quarterly
            case "annually", "annual", "yearly": .annual
            default: nil
            }
        }
        func band(_ t: String) throws(BacktestSetupError) -> Double {
            guard t.hasPrefix("threshold:"), let x = Double(t.dropFirst(10)), x > 0, x < 1 else {
                throw BacktestSetupError("--rebalance \(text): a threshold is threshold:X with X a fraction such as 0.05")
            }
            return x
        }
        if text == "never" {
            self = .never
            return
        }
        if let p = period(text) {
            self = .calendar(p)
            return
        }
        if text.hasPrefix("threshold:") {
            self = .threshold(try band(text))
            return
        }
        let parts = text.split(separator: "+").map(String.init)
        if parts.count == 2, let p = period(parts[0]) {
            self = .calendarAndThreshold(p, try band(parts[1]))
            return
        }
        throw BacktestSetupError("--rebalance \(text) is not monthly, quarterly, annually, never, threshold:X or monthly+threshold:X")
    }
}

extension CashFlowSchedule {
    /// The flow a text names: `AMOUNT/PERIOD`, such as `1000/monthly` or `-5000/annual`.
    ///
    /// - Throws: ``BacktestSetupError`` naming the text and the form.
    public init(parsing text: String) throws(BacktestSetupError) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let amount = Double(parts[0]), amount.isFinite,
            case .calendar(let period)? = try? RebalanceSchedule(parsing: String(parts[1]))
        else { throw BacktestSetupError("--contribution \(text) is not AMOUNT/PERIOD such as 1000/monthly") }
        self.init(amount: amount, period: period)
    }
}

/// How a back-test sizes its trades.
public enum BacktestSizing: String, Sendable, Codable, CaseIterable {
    /// Exact quantities (bt's fractional positions).
    case fractional
    /// Whole lots sized by the rebalancing planner, as a live plan.
    case lots
}

/// A mean-variance strategy from a JSON file, re-optimised on a trailing window.
public struct StrategyFile: Codable, Sendable {
    /// The strategy's name in reports.
    public var name: String?
    /// `min-volatility`, `max-sharpe` or `max-utility`.
    public var objective: String
    /// Risk aversion of `max-utility` (default 1).
    public var riskAversion: Double?
    /// Risk-free rate of `max-sharpe`.
    public var riskFreeRate: Double?
    /// `sample`, `ledoit-wolf` (default), `oas` or `ewma`.
    public var covariance: String?
    /// Trailing window in periods (default 252).
    public var window: Int?
    /// Bounds on every weight.
    public var minWeight, maxWeight: Double?
    /// The symbols it may hold (default: every column).
    public var universe: [String]?

    /// The strategy the file describes.
    ///
    /// - Throws: ``BacktestSetupError`` naming the file and the field.
    public func strategy(file: String) throws(BacktestSetupError) -> any AllocationStrategy {
        let objective: PortfolioObjective
        switch self.objective {
        case "min-volatility": objective = .minimumVolatility
        case "max-sharpe": objective = .maximumSharpe(riskFreeRate: riskFreeRate ?? MarketConventions.defaultRiskFreeRate)
        case "max-utility": objective = .maximumUtility(riskAversion: riskAversion ?? 1)
        default: throw BacktestSetupError("\(file): objective: \(self.objective) is not min-volatility, max-sharpe or max-utility")
        }
        var config = RiskModelConfiguration()
        switch covariance ?? "ledoit-wolf" {
        case "sample": config.covariance = .sample
        case "ledoit-wolf": config.covariance = .ledoitWolf(.constantVariance)
        case "oas": config.covariance = .oracleApproximating
        case "ewma": config.covariance = .exponential(.span(180))
        case let other: throw BacktestSetupError("\(file): covariance: \(other) is not sample, ledoit-wolf, oas or ewma")
        }
        var constraints = PortfolioConstraints()
        constraints.defaultLower = minWeight ?? 0
        constraints.defaultUpper = maxWeight ?? 1
        let window = self.window ?? 252
        guard window >= 2 else { throw BacktestSetupError("\(file): window: must be at least 2 days") }
        let s = MeanVarianceStrategy(objective: objective, constraints: constraints, estimation: config, window: window, universe: universe)
        return NamedStrategy(base: s, label: name ?? s.name)
    }
}

/// A strategy under another name (a strategy file's `name`).
public struct NamedStrategy: AllocationStrategy {
    /// The strategy.
    public var base: any AllocationStrategy
    /// Its name in reports.
    public var label: String
    /// The label.
    public var name: String { label }
    /// A strategy with a name.
    public init(base: any AllocationStrategy, label: String) {
        self.base = base
        self.label = label
    }
    /// The base strategy's weights.
    public func targetWeights(history: PriceHistory) throws -> [String: Double] { try base.targetWeights(history: history) }
}

/// A grid of back-test variants: every combination of strategies, rebalancing rules and costs.
public struct BacktestGrid: Codable, Sendable {
    /// Strategy texts (``StrategyChoice``).
    public var strategies: [String]
    /// Rebalancing rules (default: the request's).
    public var rebalance: [String]?
    /// Costs in basis points (default: the request's).
    public var costBps: [Double]?

    /// Reads a grid file: JSON with `strategies` and, optionally, `rebalance` and `costBps`.
    ///
    /// - Throws: ``BacktestSetupError`` naming the file, and the field for a wrong shape.
    public static func read(path: String) throws(BacktestSetupError) -> BacktestGrid {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BacktestSetupError(
                FileManager.default.fileExists(atPath: path) ? "\(path): the file cannot be read" : "\(path): no such file")
        }
        do { return try JSONDecoder().decode(BacktestGrid.self, from: data) } catch let e as DecodingError {
            let (field, message) = describe(e)
            throw BacktestSetupError("\(path): \(field): \(message)")
        } catch { throw BacktestSetupError("\(path): \(error.localizedDescription)") }
    }
}

/// A back-test as the command line describes it: the strategy, the rule, the costs, the
/// money and the data, as values a service can fill in (Codable).
public struct BacktestRequest: Sendable, Codable {
    /// The strategy text (``StrategyChoice``).
    public var strategy: String
    /// The rebalancing rule (`RebalanceSchedule(parsing:)`).
    public var rebalance = "monthly"
    /// When trades execute.
    public var execution: Execution = .close
    /// How trades are sized.
    public var sizing: BacktestSizing = .fractional
    /// Proportional cost in basis points, fixed and minimum cost per trade, and the minimum trade.
    public var costBps = 0.0, fixedCost = 0.0, minCost = 0.0, minTrade = 0.0
    /// Starting capital.
    public var capital = 1_000_000.0
    /// Annual rate earned by idle cash.
    public var cashRate = MarketConventions.defaultRiskFreeRate
    /// A periodic flow (`CashFlowSchedule(parsing:)`).
    public var contribution: String?
    /// Annual risk-free rate of the Sharpe ratio and alpha.
    public var riskFreeRate = MarketConventions.defaultRiskFreeRate
    /// A price file, a symbol of the prices, `strategy:SPEC`, or `none`.
    public var benchmark = "market-data/sp500_index.csv"
    /// First and last date (default: the data's, and the first review for the process).
    public var start, end: MarketDate?
    /// Price files (the stock universe); empty: the universe's.
    public var prices: [String] = []
    /// The universe: the investment process's (`multi-asset`) or the stock demonstration
    /// universe (`stocks`); `nil`: the process for `level:N` without price files, the stocks
    /// otherwise.
    public var universe: ProductUniverse?

    /// A request for a strategy with the defaults of `ballast backtest`.
    public init(strategy: String) { self.strategy = strategy }

    /// Whether `choice` runs on the investment process's universe.
    public func usesProcess(_ choice: StrategyChoice) -> Bool {
        guard prices.isEmpty, universe != .stocks else { return false }
        if universe == .multiAsset { return true }
        if case .level = choice { return true }
        return false
    }

    /// Checks the rule, the flow and the costs without reading any data.
    ///
    /// - Throws: ``BacktestSetupError`` for the first value out of range.
    public func validate() throws(BacktestSetupError) {
        _ = try RebalanceSchedule(parsing: rebalance)
        if let contribution { _ = try CashFlowSchedule(parsing: contribution) }
        _ = try StrategyChoice(parsing: strategy)
    }

    /// Checks the costs and the minimum trade with a rebalancing policy's limits, so that a
    /// back-test refuses what `rebalance` and `recommend` refuse.
    ///
    /// - Throws: the first `RebalancePolicy.Problem` (field `costBasisPoints`, `fixedCost`,
    ///   `minimumCost` or `minimumTradeValue`).
    public func validateCosts() throws(RebalancePolicy.Problem) {
        var policy = RebalancePolicy()
        (policy.costBasisPoints, policy.fixedCost, policy.minimumCost, policy.minimumTradeValue) = (costBps, fixedCost, minCost, minTrade)
        try policy.validate()
    }
}

/// Builds and runs back-tests from requests: the strategies, the universe's prices or the
/// price files, the benchmark, the live cost model and lots. Price files and the investment
/// process's reviews are read once per setup, however many variants use them.
public final class BacktestSetup: Sendable {
    /// Where the setup reads its inputs.
    public struct Sources: Sendable {
        /// A user's path to the file to open (the bundled file of that name, for example).
        public var resolve: @Sendable (String) throws -> String
        /// Reads, checks and joins price files.
        public var prices: @Sendable ([String]) throws -> PriceTable
        /// The investment process of the multi-asset universe.
        public var process: @Sendable () throws -> InvestmentProcess
        /// The stock universe's levels and catalogue.
        public var levels: @Sendable () throws -> RiskLevels
        /// The stock universe's product catalogue.
        public var catalog: @Sendable () throws -> ProductCatalog
        /// The stock universe's default price files (with the factor ETFs for levels).
        public var defaultPrices: [String] = ["market-data/sp500_20.csv"]
        /// Added to the default price files for `level:N`.
        public var levelPrices: [String] = ["market-data/factors_etf5.csv"]

        /// Sources from these closures.
        public init(
            resolve: @escaping @Sendable (String) throws -> String, prices: @escaping @Sendable ([String]) throws -> PriceTable,
            process: @escaping @Sendable () throws -> InvestmentProcess, levels: @escaping @Sendable () throws -> RiskLevels,
            catalog: @escaping @Sendable () throws -> ProductCatalog
        ) {
            self.resolve = resolve
            self.prices = prices
            self.process = process
            self.levels = levels
            self.catalog = catalog
        }
    }

    /// The inputs.
    public let sources: Sources
    private let cache = Mutex<Cache>(Cache())
    private struct Cache {
        var tables: [[String]: PriceTable] = [:]
        var process: InvestmentProcess?
        var reviews: (MarketDate, [MenuReview])?
    }

    /// A setup reading from `sources`.
    public init(sources: Sources) { self.sources = sources }

    /// The investment process, read once.
    public func process() throws -> InvestmentProcess {
        if let p = cache.withLock({ $0.process }) { return p }
        let p = try sources.process()
        cache.withLock { $0.process = p }
        return p
    }

    func reviews(through date: MarketDate) throws -> [MenuReview] {
        if let r = cache.withLock({ c in c.reviews.flatMap { $0.0 == date ? $0.1 : nil } }) { return r }
        let r = try process().reviews(through: date)
        cache.withLock { $0.reviews = (date, r) }
        return r
    }

    func table(_ paths: [String]) throws -> PriceTable {
        if let t = cache.withLock({ $0.tables[paths] }) { return t }
        let t = try sources.prices(paths)
        cache.withLock { $0.tables[paths] = t }
        return t
    }

    /// The prices a strategy of `request` runs on.
    public func prices(for choice: StrategyChoice, _ request: BacktestRequest) throws -> PriceTable {
        if request.usesProcess(choice) { return try process().prices }
        var paths = request.prices
        if paths.isEmpty {
            paths = sources.defaultPrices
            if case .level = choice { paths += sources.levelPrices }
        }
        return try table(paths)
    }

    /// The strategy and any schedule it imposes (buy and hold never rebalances).
    public func strategy(_ choice: StrategyChoice, _ request: BacktestRequest, symbols: [String]) throws -> (
        any AllocationStrategy, RebalanceSchedule?
    ) {
        switch choice {
        case .equalWeight: return (EqualWeight(), nil)
        case .buyAndHold: return (EqualWeight(), .never)
        case .fixed(let path):
            let w = try TargetWeights.read(portfolio: try sources.resolve(path), known: Set(symbols))
            return (FixedWeights(w, name: "fixed weights (\((path as NSString).lastPathComponent))"), nil)
        case .level(let n):
            if request.usesProcess(choice) {
                // The menu of each review, as `recommend` and `rebalance` trade to it.
                let process = try process()
                let reviews = try reviews(through: request.end ?? process.lastDate)
                return (MenuReviewStrategy(level: n, reviews: reviews, processName: process.assumptions.specification.name), nil)
            }
            let levels = try sources.levels()
            return (LevelStrategy(level: levels.parameters(n), levels: levels, catalog: try sources.catalog()), nil)
        case .meanVariance(let path):
            guard let data = FileManager.default.contents(atPath: try sources.resolve(path)) else {
                throw BacktestSetupError("\(path): no such file")
            }
            let s: StrategyFile
            do { s = try JSONDecoder().decode(StrategyFile.self, from: data) } catch let e as DecodingError {
                let (field, message) = describe(e)
                throw BacktestSetupError("\(path): \(field): \(message)")
            }
            return (try s.strategy(file: path), nil)
        }
    }

    /// The back-test of a request, ready to run.
    ///
    /// - Parameters:
    ///   - request: the back-test described.
    ///   - text: a strategy instead of the request's (a grid's variant).
    ///   - rebalance: a rebalancing rule instead of the request's.
    ///   - costBps: a cost instead of the request's.
    public func backtest(_ request: BacktestRequest, strategy text: String? = nil, rebalance: String? = nil, costBps: Double? = nil)
        throws -> Backtest
    {
        let choice = try StrategyChoice(parsing: text ?? request.strategy)
        let table = try prices(for: choice, request)
        let (strategy, forced) = try self.strategy(choice, request, symbols: table.symbols)
        var b = Backtest(prices: table, strategy: strategy)
        b.start = request.start
        if request.usesProcess(choice), request.start == nil, let first = (strategy as? MenuReviewStrategy)?.reviews.first?.date {
            b.start = first  // the first review: there is no menu before it
        }
        b.end = request.end
        b.schedule = try forced ?? RebalanceSchedule(parsing: rebalance ?? request.rebalance)
        b.execution = request.execution
        b.policy.costBasisPoints = costBps ?? request.costBps
        b.policy.fixedCost = request.fixedCost
        b.policy.minimumCost = request.minCost
        b.policy.minimumTradeValue = request.minTrade
        if request.sizing == .lots {
            let catalog = try request.usesProcess(choice) ? process().catalogInForce(asOf: table.dates.last!) : sources.catalog()
            b.sizing = .planner(lotSizes: catalog.lotSizes)
        }
        b.initialCapital = request.capital
        b.cashRate = request.cashRate
        b.contribution = try request.contribution.map { text throws(BacktestSetupError) in try CashFlowSchedule(parsing: text) }
        b.riskFreeRate = request.riskFreeRate
        b.benchmark = try benchmark(request, table: table, for: b)
        return b
    }

    func benchmark(_ request: BacktestRequest, table: PriceTable, for b: Backtest) throws -> ValueSeries? {
        let spec = request.benchmark
        if spec == "none" { return nil }
        if spec.hasPrefix("strategy:") {
            var other = b
            other.benchmark = nil
            let (s, forced) = try strategy(try StrategyChoice(parsing: String(spec.dropFirst(9))), request, symbols: table.symbols)
            other.strategy = s
            if let forced { other.schedule = forced }
            let r = try other.run()
            return ValueSeries(name: s.name, dates: r.dates, values: r.values)
        }
        if table.index(of: spec) != nil { return try ValueSeries(table, symbol: spec) }
        guard FileManager.default.fileExists(atPath: try sources.resolve(spec)) else {
            throw BacktestSetupError("--benchmark \(spec) is neither a file, a symbol of the prices, strategy:SPEC nor none")
        }
        let t = try self.table([spec])
        return try ValueSeries(t, symbol: t.symbols[0])
    }

    /// Runs one back-test.
    ///
    /// - Returns: the back-test as set up (its prices, for the audit record) and its result.
    /// - Throws: ``BacktestSetupError`` when the first decision failed (nothing was invested),
    ///   and the errors of the inputs and the run.
    public func run(_ request: BacktestRequest) throws -> (backtest: Backtest, result: BacktestResult) {
        let b = try backtest(request)
        let result = try b.run()
        if let first = result.events.first, let failure = first.failure {
            throw BacktestSetupError(
                "the back-test's first decision (\(first.decided)) failed: \(failure); nothing was invested, so there is no result to show")
        }
        return (b, result)
    }

    /// Runs every variant of a grid in parallel (`jobs` at a time) and lists them in the grid's
    /// order; a variant that fails to run has its error in its outcome.
    ///
    /// - Parameters:
    ///   - grid: the variants.
    ///   - request: the settings every variant shares.
    ///   - jobs: variants run at once.
    ///   - progress: called after each variant with the count done and the total.
    /// - Throws: ``BacktestSetupError`` for an empty grid or a bad rule, and the errors of
    ///   the inputs (read before any variant runs).
    public func runGrid(
        _ grid: BacktestGrid, request: BacktestRequest, jobs: Int, progress: (@Sendable (Int, Int) -> Void)? = nil
    ) throws -> [BacktestGridOutcome] {
        var variants: [(String, String, Double)] = []
        for s in grid.strategies {
            for r in grid.rebalance ?? [request.rebalance] { for c in grid.costBps ?? [request.costBps] { variants.append((s, r, c)) } }
        }
        guard !variants.isEmpty else { throw BacktestSetupError("the grid has no variant") }
        for (_, r, _) in variants { _ = try RebalanceSchedule(parsing: r) }
        let tests = try variants.map { try backtest(request, strategy: $0.0, rebalance: $0.1, costBps: $0.2) }
        let results = Mutex<(values: [Result<BacktestResult, BacktestError>?], done: Int)>((Array(repeating: nil, count: tests.count), 0))
        let workers = max(1, min(jobs, tests.count))
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            for k in stride(from: w, to: tests.count, by: workers) {
                let r: Result<BacktestResult, BacktestError>
                do throws(BacktestError) { r = .success(try tests[k].run()) } catch { r = .failure(error) }
                let done = results.withLock { state in
                    state.values[k] = r
                    state.done += 1
                    return state.done
                }
                progress?(done, tests.count)
            }
        }
        let values = results.withLock { $0.values }
        return variants.enumerated().map { k, v in
            BacktestGridOutcome(strategy: v.0, rebalance: v.1, costBps: v.2, prices: tests[k].prices, result: values[k]!)
        }
    }
}

/// One variant of a grid and how it ran.
public struct BacktestGridOutcome: Sendable {
    /// The strategy text.
    public var strategy: String
    /// The rebalancing rule as given.
    public var rebalance: String
    /// The cost in basis points.
    public var costBps: Double
    /// The prices it ran on.
    public var prices: PriceTable
    /// The result, or why the run failed.
    public var result: Result<BacktestResult, BacktestError>
}

/// A back-test could not be set up: the input, the field and the fix.
public struct BacktestSetupError: Error, Sendable, CustomStringConvertible {
    /// The message.
    public let description: String
    /// An error with its message.
    public init(_ description: String) { self.description = description }
}

extension BacktestRequest {
    /// Every setting as given, for an audit record (the strategy when one is set, the grid
    /// file when given).
    public func auditParameters(grid: String? = nil) -> [String: String] {
        var p = [
            "rebalance": rebalance, "execution": execution.rawValue, "sizing": sizing.rawValue, "costBps": String(costBps),
            "fixedCost": String(fixedCost), "minCost": String(minCost), "minTrade": String(minTrade), "capital": String(capital),
            "cashRate": String(cashRate), "riskFreeRate": String(riskFreeRate), "benchmark": benchmark,
        ]
        let optional = [
            ("strategy", strategy.isEmpty ? nil : strategy), ("grid", grid), ("start", start?.description), ("end", end?.description),
            ("contribution", contribution), ("prices", prices.isEmpty ? nil : prices.joined(separator: " ")),
        ]
        for (k, v) in optional { if let v { p[k] = v } }
        return p
    }

    /// The audit record of this back-test (or of the grid in the file `grid`): the prices'
    /// digest, the strategy's or the grid's file, the levels and the catalogue for `level:N`,
    /// the settings, the outputs and the warnings.
    public func auditEntry(prices: PriceTable, grid: String? = nil, inputs: WorkflowInputs, outputs: String, warnings: [String]) throws
        -> AuditEntry
    {
        var digests = ["prices": AuditDigest.prices(prices)]
        if !strategy.isEmpty, let file = try StrategyChoice(parsing: strategy).file {
            digests["strategy"] = AuditDigest.file(try inputs.resolve(file))
        }
        if let grid { digests["grid"] = AuditDigest.file(try inputs.resolve(grid)) }
        if strategy.hasPrefix("level:") {
            digests["levels"] = AuditDigest.file(try inputs.resolve(inputs.levels))
            digests["catalog"] = AuditDigest.file(try inputs.resolve(inputs.catalog))
        }
        return AuditEntry(
            command: "backtest", engineVersion: BallastVersion.current, inputs: digests, parameters: auditParameters(grid: grid),
            outputs: outputs, warnings: warnings)
    }
}
