import ArgumentParser
import Ballast
import Dispatch
import Foundation

extension BacktestError: UserFacingError {}
extension Execution: ExpressibleByArgument {}

/// `--sizing` values.
enum SizingOption: String, ExpressibleByArgument, CaseIterable {
    /// Exact quantities (bt's fractional positions).
    case fractional
    /// Whole lots sized by the rebalancing planner.
    case lots
}

/// A strategy from a JSON file: a mean-variance portfolio re-optimised on a trailing window.
struct StrategySpec: Codable {
    var name: String?
    /// `min-volatility`, `max-sharpe` or `max-utility`.
    var objective: String
    var riskAversion: Double?
    var riskFreeRate: Double?
    /// `sample`, `ledoit-wolf`, `oas` or `ewma`.
    var covariance: String?
    var window: Int?
    var minWeight: Double?
    var maxWeight: Double?
    var universe: [String]?
}

/// `ballast backtest`: what a strategy would have done.
struct BacktestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backtest",
        abstract: "Replay a strategy over historical prices with the production rebalancing code.",
        discussion: """
            At each rebalancing date the strategy sees only the prices up to that date; trades execute
            at that close (or the next with --execution next-close) and weights drift with prices in
            between. With --sizing lots the trades, lots, minimum trade and costs come from the same
            planner as `ballast rebalance`; with --sizing fractional (the default) quantities are exact,
            as bt's fractional positions. A decision that fails (for example an optimisation with too
            little history) is listed with its reason and the fallback (keep the previous holdings).

            Strategies: equal-weight, buy-and-hold (equal weights bought once), fixed:FILE (a JSON object
            {symbol: weight}), level:N (the risk level's model: on the multi-asset universe, the menu of
            each review of the investment process, as `recommend` trades to it; with --prices or
            --universe stocks, the stock level model re-built by the live rule at each rebalancing),
            or FILE.json ({"objective": "min-volatility"|"max-sharpe"|"max-utility", "covariance":
            "ledoit-wolf", "window": 252, "maxWeight": 0.2, ...}). Rebalancing: monthly, quarterly,
            annually, never, threshold:X (any weight more than X from target), or monthly+threshold:X.

            Metrics follow empyrical's conventions (periods a year from the data: 252 for daily prices,
            12 for the monthly multi-asset universe; the risk-free rate applied per period), named in the
            output under "conventions".

            --grid FILE runs many variants in parallel: {"strategies": ["equal-weight", "level:3"],
            "rebalance": ["monthly", "threshold:0.05"], "costBps": [0, 10]} (every combination).

            EXAMPLES
              ballast backtest --strategy equal-weight --rebalance monthly
              ballast backtest --strategy level:3 --sizing lots --cost-bps 10
              ballast backtest --strategy level:3 --prices market-data/sp500_20.csv market-data/factors_etf5.csv --start 2016-01-01
              ballast backtest --strategy Examples/strategies/min-vol-lw.json --start 1991-01-01 --report report.html
              ballast backtest --strategy equal-weight --rebalance threshold:0.05 --cost-bps 10 --sizing lots --csv out/
              ballast backtest --grid Examples/strategies/grid.json --start 2000-01-01

            EXIT CODES
              0 the back-test ran; decisions that failed after the first are counted on standard error
                and listed with their reasons and fallbacks in the result
              1 bad input or data, a weights file that breaks the rule (weights from 0 to 1 that sum to 1,
                known symbols, CASH named explicitly), or a first decision that failed (nothing was invested)
              2 usage error; 3 internal error
            """
    )

    @Option(
        name: .long, parsing: .upToNextOption,
        help: ArgumentHelp("Price files (joined on dates; default sp500_20.csv, plus factors_etf5.csv for level:N).", valueName: "file"))
    var prices: [String] = []

    @Option(help: ArgumentHelp("First date (YYYY-MM-DD).", valueName: "date"))
    var start: MarketDate?

    @Option(help: ArgumentHelp("Last date (YYYY-MM-DD).", valueName: "date"))
    var end: MarketDate?

    @Option(help: ArgumentHelp("equal-weight, buy-and-hold, fixed:FILE, level:N or FILE.json.", valueName: "strategy"))
    var strategy: String?

    @Option(help: ArgumentHelp("monthly, quarterly, annually, never, threshold:X or monthly+threshold:X.", valueName: "rule"))
    var rebalance: String = "monthly"

    @Option(help: ArgumentHelp("close (default, as bt) or next-close.", valueName: "when"))
    var execution: Execution = .close

    @Option(
        help: ArgumentHelp("fractional (exact quantities) or lots (the rebalancing planner: catalogue lots, cents).", valueName: "mode"))
    var sizing: SizingOption = .fractional

    @Option(help: ArgumentHelp("Cost in basis points of the traded value.", valueName: "bps"))
    var costBps: Double = 0

    @Option(help: ArgumentHelp("Fixed cost per trade.", valueName: "amount"))
    var fixedCost: Double = 0

    @Option(help: ArgumentHelp("Minimum cost per trade.", valueName: "amount"))
    var minCost: Double = 0

    @Option(help: ArgumentHelp("Minimum trade value.", valueName: "amount"))
    var minTrade: Double = 0

    @Option(help: ArgumentHelp("Starting capital.", valueName: "amount"))
    var capital: Double = 1_000_000

    @Option(help: ArgumentHelp("Annual rate earned by idle cash.", valueName: "rate"))
    var cashRate: Double = MarketConventions.defaultRiskFreeRate

    @Option(
        parsing: .unconditional, help: ArgumentHelp("Periodic flow AMOUNT/PERIOD, e.g. 1000/monthly or -5000/annual.", valueName: "flow"))
    var contribution: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Annual risk-free rate for the Sharpe ratio and alpha.", valueName: "rate"))
    var riskFreeRate: Double = MarketConventions.defaultRiskFreeRate

    @Option(
        help: ArgumentHelp(
            "Benchmark: a price FILE (first column), a SYMBOL of the prices, strategy:SPEC, or none.", valueName: "benchmark"))
    var benchmark: String = "market-data/sp500_index.csv"

    @Option(help: ArgumentHelp("Write a self-contained HTML report here.", valueName: "file"))
    var report: String?

    @Flag(help: "Draw the report's value chart on a log scale.")
    var logScale = false

    @Option(help: ArgumentHelp("Write nav.csv, weights.csv and trades.csv into this folder.", valueName: "dir"))
    var csv: String?

    @Option(help: ArgumentHelp("Run the variants of a grid file in parallel.", valueName: "file"))
    var grid: String?

    @Option(help: ArgumentHelp("Parallel variants for --grid.", valueName: "n"))
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @OptionGroup(title: "Model source") var source: ModelSourceOptions
    @OptionGroup(title: "Price checks") var check: PriceCheckOptions
    @OptionGroup(title: "Profiling files") var files: ProfilingFiles
    @OptionGroup(title: "Audit trail") var audit: AuditOptions
    @OptionGroup(title: "Output") var output: OutputOptions

    /// Every flag as given, for the audit record.
    var parameters: [String: String] {
        var p = [
            "rebalance": rebalance, "execution": execution.rawValue, "sizing": sizing.rawValue, "costBps": String(costBps),
            "fixedCost": String(fixedCost),
            "minCost": String(minCost), "minTrade": String(minTrade), "capital": String(capital), "cashRate": String(cashRate),
            "riskFreeRate": String(riskFreeRate), "benchmark": benchmark,
        ]
        if let strategy { p["strategy"] = strategy }
        if let grid { p["grid"] = grid }
        if let start { p["start"] = start.description }
        if let end { p["end"] = end.description }
        if let contribution { p["contribution"] = contribution }
        if !prices.isEmpty { p["prices"] = prices.joined(separator: " ") }
        return p
    }

    /// Appends a record of a back-test (or a grid of them) to the trail.
    func record(prices table: PriceTable, outputs: String, warnings: [String]) throws {
        guard let trail = try audit.open() else { return }
        var inputs = ["prices": Digest.prices(table)]
        if let strategy, strategy.hasSuffix(".json") || strategy.hasPrefix("fixed:") {
            inputs["strategy"] = Digest.file(strategy.hasPrefix("fixed:") ? String(strategy.dropFirst(6)) : strategy)
        }
        if let grid { inputs["grid"] = Digest.file(grid) }
        if strategy?.hasPrefix("level:") == true {
            inputs["levels"] = Digest.file(files.levels)
            inputs["catalog"] = Digest.file(files.catalog)
        }
        try trail.append([
            AuditEntry(
                command: "backtest", engineVersion: BallastVersion.current, inputs: inputs, parameters: parameters, outputs: outputs,
                warnings: warnings)
        ])
    }

    func validate() throws {
        try source.check(prices: prices)
        if (strategy == nil) == (grid == nil) { throw ValidationError("give --strategy (one back-test) or --grid FILE (many)") }
        if output.format == .csv { throw ValidationError("backtest prints table or json; use --csv DIR for CSV files") }
        if !(capital > 0) || !capital.isFinite { throw ValidationError("--capital must be positive") }
        if let start, let end, start > end { throw ValidationError("--start \(start) is after --end \(end); swap them") }
        if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        // The library's policy checks (the same as rebalance and recommend), as usage errors.
        var policy = RebalancePolicy()
        (policy.costBasisPoints, policy.fixedCost, policy.minimumCost, policy.minimumTradeValue) = (costBps, fixedCost, minCost, minTrade)
        do throws(RebalancePolicy.Problem) { try policy.validate() } catch {
            let flags = [
                "costBasisPoints": "--cost-bps", "fixedCost": "--fixed-cost", "minimumCost": "--min-cost",
                "minimumTradeValue": "--min-trade",
            ]
            throw ValidationError("\(flags[error.field] ?? error.field) \(error.value): must be \(error.requirement)")
        }
        var outputs: [NamedPath] = []
        if let report { outputs.append(NamedPath("--report", report)) }
        if let csv { outputs += ["nav.csv", "weights.csv", "trades.csv"].map { NamedPath("--csv", csv + "/" + $0) } }
        var inputs =
            prices.map { NamedPath("--prices", $0) } + [
                NamedPath("--benchmark", benchmark), NamedPath("--catalog", files.catalog), NamedPath("--levels", files.levels),
            ]
        if let grid { inputs.append(NamedPath("--grid", grid)) }
        if let strategy { inputs.append(NamedPath("--strategy", strategy.hasPrefix("fixed:") ? String(strategy.dropFirst(6)) : strategy)) }
        try refuseOverwriting(inputs: inputs, outputs: outputs)
        _ = try Self.schedule(rebalance)
        if let contribution { _ = try Self.flow(contribution) }
    }

    static func schedule(_ text: String) throws -> RebalanceSchedule {
        func period(_ p: String) -> RebalancePeriod? {
            switch p {
            case "monthly": .monthly
            case "quarterly": .quarterly
            case "annually", "annual", "yearly": .annual
            default: nil
            }
        }
        func band(_ t: String) throws -> Double {
            guard t.hasPrefix("threshold:"), let x = Double(t.dropFirst(10)), x > 0, x < 1 else {
                throw ValidationError("--rebalance \(text): a threshold is threshold:X with X a fraction such as 0.05")
            }
            return x
        }
        if text == "never" { return .never }
        if let p = period(text) { return .calendar(p) }
        if text.hasPrefix("threshold:") { return .threshold(try band(text)) }
        let parts = text.split(separator: "+").map(String.init)
        if parts.count == 2, let p = period(parts[0]) { return .calendarAndThreshold(p, try band(parts[1])) }
        throw ValidationError("--rebalance \(text) is not monthly, quarterly, annually, never, threshold:X or monthly+threshold:X")
    }

    static func flow(_ text: String) throws -> CashFlowSchedule {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let amount = Double(parts[0]), amount.isFinite, let p = try? schedule(String(parts[1])),
            case .calendar(let period) = p
        else { throw ValidationError("--contribution \(text) is not AMOUNT/PERIOD such as 1000/monthly") }
        return CashFlowSchedule(amount: amount, period: period)
    }

    /// Whether `spec` runs on the multi-asset universe: level:N unless --prices or --universe
    /// stocks say otherwise, any strategy with --universe multi-asset.
    func usesProcess(_ spec: String) -> Bool {
        prices.isEmpty && (source.universe == .multiAsset || (source.universe == nil && spec.hasPrefix("level:")))
    }

    /// The strategy and any schedule it imposes (buy and hold never rebalances).
    func makeStrategy(_ spec: String, symbols: [String], files cache: Files) throws -> (any AllocationStrategy, RebalanceSchedule?) {
        if spec == "equal-weight" { return (EqualWeight(), nil) }
        if spec == "buy-and-hold" { return (EqualWeight(), .never) }
        if spec.hasPrefix("fixed:") {
            let path = String(spec.dropFirst(6))
            let w = try TargetWeights.read(portfolio: try bundled(path), known: Set(symbols))
            return (FixedWeights(w, name: "fixed weights (\((path as NSString).lastPathComponent))"), nil)
        }
        if spec.hasPrefix("level:") {
            guard let n = Int(spec.dropFirst(6)), (1...5).contains(n) else {
                throw InputFileError(description: "strategy \(spec): the level is 1 to 5, as in level:3")
            }
            if usesProcess(spec) {
                // The menu of each review, as `recommend` and `rebalance` trade to it.
                let process = try cache.process(source)
                let reviews = try cache.reviews(through: end ?? process.lastDate)
                return (
                    MenuReviewStrategy(level: n, reviews: reviews, processName: process.assumptions.specification.name), nil
                )
            }
            let levels = try files.loadLevels()
            return (LevelStrategy(level: levels.parameters(n), levels: levels, catalog: try files.loadCatalog()), nil)
        }
        if spec.hasSuffix(".json") {
            guard let data = FileManager.default.contents(atPath: try bundled(spec)) else {
                throw InputFileError(description: "\(spec): no such file")
            }
            let s: StrategySpec
            do { s = try JSONDecoder().decode(StrategySpec.self, from: data) } catch let e as DecodingError {
                let (field, message) = describe(e)
                throw InputFileError(description: "\(spec): \(field): \(message)")
            }
            let objective: PortfolioObjective
            switch s.objective {
            case "min-volatility": objective = .minimumVolatility
            case "max-sharpe": objective = .maximumSharpe(riskFreeRate: s.riskFreeRate ?? MarketConventions.defaultRiskFreeRate)
            case "max-utility": objective = .maximumUtility(riskAversion: s.riskAversion ?? 1)
            default:
                throw InputFileError(description: "\(spec): objective: \(s.objective) is not min-volatility, max-sharpe or max-utility")
            }
            var config = RiskModelConfiguration()
            switch s.covariance ?? "ledoit-wolf" {
            case "sample": config.covariance = .sample
            case "ledoit-wolf": config.covariance = .ledoitWolf(.constantVariance)
            case "oas": config.covariance = .oracleApproximating
            case "ewma": config.covariance = .exponential(.span(180))
            case let other: throw InputFileError(description: "\(spec): covariance: \(other) is not sample, ledoit-wolf, oas or ewma")
            }
            var constraints = PortfolioConstraints()
            constraints.defaultLower = s.minWeight ?? 0
            constraints.defaultUpper = s.maxWeight ?? 1
            let window = s.window ?? 252
            guard window >= 2 else { throw InputFileError(description: "\(spec): window: must be at least 2 days") }
            let strategy = MeanVarianceStrategy(
                objective: objective, constraints: constraints, estimation: config, window: window, universe: s.universe)
            return (NamedStrategy(base: strategy, label: s.name ?? strategy.name), nil)
        }
        throw InputFileError(description: "strategy \(spec) is not equal-weight, buy-and-hold, fixed:FILE, level:N or FILE.json")
    }

    /// Price files read once per run, however many variants use them.
    final class Files {
        private var tables: [[String]: PriceTable] = [:]
        let check: PriceCheckOptions

        init(check: PriceCheckOptions) { self.check = check }

        private var loadedProcess: InvestmentProcess?
        private var walked: (MarketDate, [MenuReview])?

        /// The investment process, read once.
        func process(_ source: ModelSourceOptions) throws -> InvestmentProcess {
            if let loadedProcess { return loadedProcess }
            let (builder, policy) = try source.process.load()
            let p = InvestmentProcess(assumptions: builder, policy: policy)
            loadedProcess = p
            return p
        }

        /// The process's reviews up to `date`, walked once.
        func reviews(through date: MarketDate) throws -> [MenuReview] {
            if let walked, walked.0 == date { return walked.1 }
            guard let loadedProcess else { return [] }
            let r = try loadedProcess.reviews(through: date)
            walked = (date, r)
            return r
        }

        func table(_ paths: [String]) throws -> PriceTable {
            if let t = tables[paths] { return t }
            let table = try check.load(paths).table
            tables[paths] = table
            return table
        }
    }

    func loadPrices(for spec: String, from files: Files) throws -> PriceTable {
        if usesProcess(spec) { return try files.process(source).prices }
        var paths = prices
        if paths.isEmpty {
            paths = ["market-data/sp500_20.csv"]
            if spec.hasPrefix("level:") { paths.append("market-data/factors_etf5.csv") }
        }
        return try files.table(paths)
    }

    func makeBacktest(strategy spec: String, rebalance: String, costBps: Double, files shared: Files? = nil) throws -> Backtest {
        let cache = shared ?? Files(check: check)
        let table = try loadPrices(for: spec, from: cache)
        let (strategy, forced) = try makeStrategy(spec, symbols: table.symbols, files: cache)
        var b = Backtest(prices: table, strategy: strategy)
        b.start = start
        if usesProcess(spec), start == nil, let first = (strategy as? MenuReviewStrategy)?.reviews.first?.date {
            b.start = first  // the first review: there is no menu before it
        }
        b.end = end
        b.schedule = try forced ?? Self.schedule(rebalance)
        b.execution = execution
        b.policy.costBasisPoints = costBps
        b.policy.fixedCost = fixedCost
        b.policy.minimumCost = minCost
        b.policy.minimumTradeValue = minTrade
        if sizing == .lots {
            let catalog = try usesProcess(spec) ? cache.process(source).catalogInForce(asOf: table.dates.last!) : files.loadCatalog()
            b.sizing = .planner(lotSizes: Dictionary(uniqueKeysWithValues: catalog.products.map { ($0.symbol, $0.lotSize) }))
        }
        b.initialCapital = capital
        b.cashRate = cashRate
        b.contribution = try contribution.map(Self.flow)
        b.riskFreeRate = riskFreeRate
        b.benchmark = try benchmarkSeries(table, for: b, files: cache)
        return b
    }

    func benchmarkSeries(_ table: PriceTable, for b: Backtest, files cache: Files) throws -> ValueSeries? {
        if benchmark == "none" { return nil }
        if benchmark.hasPrefix("strategy:") {
            var other = b
            other.benchmark = nil
            let (s, forced) = try makeStrategy(String(benchmark.dropFirst(9)), symbols: table.symbols, files: cache)
            other.strategy = s
            if let forced { other.schedule = forced }
            let r = try other.run()
            return ValueSeries(name: s.name, dates: r.dates, values: r.values)
        }
        if table.index(of: benchmark) != nil { return try ValueSeries(table, symbol: benchmark) }
        guard FileManager.default.fileExists(atPath: try bundled(benchmark)) else {
            throw InputFileError(description: "--benchmark \(benchmark) is neither a file, a symbol of the prices, strategy:SPEC nor none")
        }
        let t = try cache.table([benchmark])
        return try ValueSeries(t, symbol: t.symbols[0])
    }

    func run() throws {
        try reportingErrors {
            if let grid { return try runGrid(grid) }
            let b = try makeBacktest(strategy: strategy!, rebalance: rebalance, costBps: costBps)
            let result = try b.run()
            if let first = result.events.first, let failure = first.failure {
                throw InputFileError(
                    description:
                        "the back-test's first decision (\(first.decided)) failed: \(failure); nothing was invested, so there is no result to show"
                )
            }
            // The files first: a result that could not be written is not recorded.
            if let csv { try writeCSV(result, to: csv) }
            if let report {
                try writeOutput(BacktestReport.html(result, logScale: logScale), to: report, what: "the report")
                if !output.quiet { printError("wrote \(report)") }
            }
            try record(
                prices: b.prices, outputs: auditJSON(MetricsJSON(result.metrics, result: result)),
                warnings: result.failures.map { "\($0.decided): \($0.failure ?? "") -> \($0.fallback ?? "")" })
            switch output.format {
            case .json: print(try jsonString(BacktestJSON(result)))
            default: print(Self.table(result), terminator: "")
            }
            if !output.quiet && !result.failures.isEmpty {
                let n = result.failures.count
                printError(
                    "note: \(n) of \(result.events.count) decision\(result.events.count == 1 ? "" : "s") failed; each is listed with its reason and fallback (--format json: \"events\")"
                )
            }
        }
    }

    /// A strategy spec short enough for a table column (a file's name without its folder).
    static func short(_ spec: String) -> String {
        let name = spec.hasSuffix(".json") ? (spec as NSString).lastPathComponent : spec
        return name.count > 24 ? String(name.prefix(23)) + "…" : name
    }

    static func pct(_ x: Double?) -> String { x.map { String(format: "%.2f%%", $0 * 100) } ?? "n/a" }
    static func num(_ x: Double?) -> String { x.map { String(format: "%.2f", $0) } ?? "n/a" }

    static func table(_ r: BacktestResult) -> String {
        var out = wrapped("Back-test: \(r.strategy), rebalancing \(r.schedule)") + "\n"
        out +=
            "  \(r.dates.first!) to \(r.dates.last!), \(r.returns.count) daily returns; \(r.events.count) decisions, \(r.trades.count) trades\n\n"
        var t = TextTable(["metric", "portfolio"] + (r.benchmarkMetrics != nil ? [r.benchmark!.name] : []))
        let m = r.metrics
        let b = r.benchmarkMetrics
        func row(_ name: String, _ get: (PerformanceMetrics) -> Double?, _ pct: Bool) {
            t.add([name, pct ? Self.pct(get(m)) : Self.num(get(m))] + (b.map { [pct ? Self.pct(get($0)) : Self.num(get($0))] } ?? []))
        }
        row("total return", { $0.totalReturn }, true)
        row("CAGR", { $0.cagr }, true)
        row("annual volatility", { $0.annualVolatility }, true)
        row("Sharpe ratio", { $0.sharpeRatio }, false)
        row("Sortino ratio", { $0.sortinoRatio }, false)
        row("max drawdown", { $0.maxDrawdown }, true)
        row("Calmar ratio", { $0.calmarRatio }, false)
        row("VaR 95% (daily)", { $0.valueAtRisk95 }, true)
        row("CVaR 95% (daily)", { $0.conditionalValueAtRisk95 }, true)
        if b != nil {
            row("tracking error", { $0.trackingError }, true)
            row("information ratio", { $0.informationRatio }, false)
            row("beta", { $0.beta }, false)
            row("alpha", { $0.alpha }, true)
        }
        out += t.render()
        out +=
            "Risk-free rate \(percent(r.conventions.annualRiskFreeRate)) a year (Sharpe ratio and alpha; Sortino uses a required return of 0).\n"
        for reason in Set(m.undefined.values).union(b.map { Array($0.undefined.values) } ?? []).sorted() {
            out += wrapped("n/a: \(reason)") + "\n"
        }
        if let d = m.maxDrawdownPeriod {
            out +=
                "\n"
                + wrapped(
                    "worst drawdown \(pct(d.depth)): peak \(d.peak), trough \(d.trough), "
                        + (d.recovery.map { "recovered \($0)" } ?? "not recovered") + " (\(d.length) trading days)") + "\n"
        }
        out +=
            "turnover \(pct(r.turnover)) a year, costs \(String(format: "%.2f", r.totalCosts)), final value \(String(format: "%.2f", r.values.last!))\n"
        if let mwr = r.moneyWeightedReturn { out += "money-weighted return \(pct(mwr)) a year (time-weighted CAGR above)\n" }
        let years = r.metrics.yearlyReturns.suffix(10)
        if !years.isEmpty {
            out += "\n" + wrapped("last years: " + years.map { "\($0.period) \(pct($0.value))" }.joined(separator: ", ")) + "\n"
        }
        for e in r.failures.prefix(5) { out += wrapped("failed \(e.decided): \(e.failure ?? "") -> \(e.fallback ?? "")") + "\n" }
        if r.failures.count > 5 { out += "... and \(r.failures.count - 5) more failed decisions\n" }
        return out
    }

    func writeCSV(_ r: BacktestResult, to dir: String) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var nav = "date,value,flow,return" + (r.benchmark != nil ? ",benchmark" : "") + "\n"
        for k in r.dates.indices {
            nav += "\(r.dates[k]),\(r.values[k]),\(r.flows[k]),\(k > 0 ? String(r.returns[k - 1]) : "")"
            if let b = r.benchmark { nav += ",\(b.values[k])" }
            nav += "\n"
        }
        var weights = "date," + (r.symbols + ["CASH"]).joined(separator: ",") + "\n"
        for k in r.dates.indices { weights += "\(r.dates[k])," + r.weights[k].map { String($0) }.joined(separator: ",") + "\n" }
        var trades = "date,symbol,side,quantity,price,value,cost\n"
        for t in r.trades { trades += "\(t.date),\(t.symbol),\(t.side.rawValue),\(t.quantity),\(t.price),\(t.value),\(t.cost)\n" }
        for (name, text) in [("nav.csv", nav), ("weights.csv", weights), ("trades.csv", trades)] {
            try writeOutput(text, to: URL(fileURLWithPath: dir).appendingPathComponent(name).path, what: name)
        }
        if !output.quiet { printError("wrote nav.csv, weights.csv and trades.csv in \(dir)") }
    }

    struct Grid: Codable {
        var strategies: [String]
        var rebalance: [String]?
        var costBps: [Double]?
    }

    func runGrid(_ path: String) throws {
        guard let data = FileManager.default.contents(atPath: try bundled(path)) else {
            throw InputFileError(description: "\(path): no such file")
        }
        let g: Grid
        do { g = try JSONDecoder().decode(Grid.self, from: data) } catch let e as DecodingError {
            let (field, message) = describe(e)
            throw InputFileError(description: "\(path): \(field): \(message)")
        }
        var variants: [(String, String, Double)] = []
        for s in g.strategies { for r in g.rebalance ?? [rebalance] { for c in g.costBps ?? [costBps] { variants.append((s, r, c)) } } }
        guard !variants.isEmpty else { throw InputFileError(description: "\(path): the grid has no variant") }
        for (_, r, _) in variants { _ = try Self.schedule(r) }
        let cache = Files(check: check)
        let tests = try variants.map { try makeBacktest(strategy: $0.0, rebalance: $0.1, costBps: $0.2, files: cache) }
        let results = GridResults(count: tests.count)
        let progress = !output.quiet && isatty(2) != 0
        let started = Date()
        let workers = min(jobs, tests.count)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            for k in stride(from: w, to: tests.count, by: workers) {
                let r: Result<BacktestResult, BacktestError>
                do throws(BacktestError) { r = .success(try tests[k].run()) } catch { r = .failure(error) }
                let done = results.set(k, r)
                if progress {
                    FileHandle.standardError.write(
                        Data(String(format: "\r%d of %d variants, %.1f s", done, tests.count, Date().timeIntervalSince(started)).utf8))
                }
            }
        }
        if progress { printError("") }
        var rows: [GridRow] = []
        for (k, v) in variants.enumerated() {
            switch results.values[k]! {
            case .success(let r):
                rows.append(
                    GridRow(
                        strategy: v.0, rebalance: r.schedule, costBps: v.2, metrics: MetricsJSON(r.metrics, result: r),
                        failedDecisions: r.failures.count,
                        error: nil))
            case .failure(let e):
                rows.append(GridRow(strategy: v.0, rebalance: v.1, costBps: v.2, metrics: nil, failedDecisions: 0, error: e.message))
            }
        }
        try record(prices: tests[0].prices, outputs: auditJSON(rows), warnings: rows.compactMap(\.error))
        if output.format == .json {
            print(try jsonString(rows))
            return
        }
        var t = TextTable(["strategy", "rebalance", "bps", "CAGR", "volatility", "Sharpe", "max DD", "turnover", "costs", "failed"])
        for r in rows {
            if let m = r.metrics {
                t.add([
                    Self.short(r.strategy), r.rebalance, String(format: "%g", r.costBps), Self.pct(m.cagr), Self.pct(m.annualVolatility),
                    Self.num(m.sharpeRatio),
                    Self.pct(m.maxDrawdown), Self.pct(m.turnover), String(format: "%.0f", m.costs ?? 0), "\(r.failedDecisions)",
                ])
            } else {
                t.add([
                    Self.short(r.strategy), r.rebalance, String(format: "%g", r.costBps), "error: \(r.error ?? "")", "", "", "", "", "", "",
                ])
            }
        }
        print(t.render(), terminator: "")
        if rows.contains(where: { $0.error != nil }) { throw ExitCode(ExitStatus.dataError) }
    }
}

/// Results filled in by parallel workers.
final class GridResults: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [Result<BacktestResult, BacktestError>?]
    private var done = 0
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ k: Int, _ r: Result<BacktestResult, BacktestError>) -> Int {
        lock.lock()
        defer { lock.unlock() }
        values[k] = r
        done += 1
        return done
    }
}

/// A strategy with a name from its spec file.
struct NamedStrategy: AllocationStrategy {
    var base: any AllocationStrategy
    var label: String
    var name: String { label }
    func targetWeights(history: PriceHistory) throws -> [String: Double] { try base.targetWeights(history: history) }
}

struct GridRow: Encodable {
    var strategy: String
    var rebalance: String
    var costBps: Double
    var metrics: MetricsJSON?
    var failedDecisions: Int
    var error: String?
}

/// The metrics object of `--format json`.
struct MetricsJSON: Encodable {
    var totalReturn: Double
    @ExplicitNull var cagr: Double?
    @ExplicitNull var annualVolatility: Double?
    @ExplicitNull var sharpeRatio: Double?
    @ExplicitNull var sortinoRatio: Double?
    @ExplicitNull var downsideRisk: Double?
    var maxDrawdown: Double
    @ExplicitNull var maxDrawdownPeriod: Drawdown?
    @ExplicitNull var calmarRatio: Double?
    var valueAtRisk95, conditionalValueAtRisk95: Double
    @ExplicitNull var trackingError: Double?
    @ExplicitNull var informationRatio: Double?
    @ExplicitNull var beta: Double?
    @ExplicitNull var alpha: Double?
    @ExplicitNull var turnover: Double?
    @ExplicitNull var costs: Double?
    @ExplicitNull var trades: Int?
    var yearlyReturns: [PeriodReturn]
    var monthlyReturns: [PeriodReturn]
    /// Why each null figure is undefined.
    var undefined: [String: String]

    init(_ m: PerformanceMetrics, result: BacktestResult?) {
        totalReturn = m.totalReturn
        cagr = m.cagr
        annualVolatility = m.annualVolatility
        sharpeRatio = m.sharpeRatio
        sortinoRatio = m.sortinoRatio
        downsideRisk = m.downsideRisk
        maxDrawdown = m.maxDrawdown
        maxDrawdownPeriod = m.maxDrawdownPeriod
        calmarRatio = m.calmarRatio
        valueAtRisk95 = m.valueAtRisk95
        conditionalValueAtRisk95 = m.conditionalValueAtRisk95
        trackingError = m.trackingError
        informationRatio = m.informationRatio
        beta = m.beta
        alpha = m.alpha
        turnover = result?.turnover
        costs = result?.totalCosts
        trades = result?.trades.count
        yearlyReturns = m.yearlyReturns
        monthlyReturns = m.monthlyReturns
        undefined = m.undefined
    }
}

struct BacktestJSON: Encodable {
    var strategy: String
    var schedule: String
    var start: MarketDate
    var end: MarketDate
    var initialValue: Double
    var finalValue: Double
    var metrics: MetricsJSON
    var benchmark: String?
    var benchmarkMetrics: MetricsJSON?
    var rebalances: Int
    var timeWeightedReturn: Double
    var moneyWeightedReturn: Double?
    var events: [RebalanceEvent]
    var conventions: MetricConventions

    init(_ r: BacktestResult) {
        strategy = r.strategy
        schedule = r.schedule
        start = r.dates.first!
        end = r.dates.last!
        initialValue = r.values.first!
        finalValue = r.values.last!
        metrics = MetricsJSON(r.metrics, result: r)
        benchmark = r.benchmark?.name
        benchmarkMetrics = r.benchmarkMetrics.map { MetricsJSON($0, result: nil) }
        rebalances = r.events.filter { $0.failure == nil && $0.trades > 0 }.count
        timeWeightedReturn = r.metrics.totalReturn
        moneyWeightedReturn = r.moneyWeightedReturn
        events = r.events
        conventions = r.conventions
    }
}
