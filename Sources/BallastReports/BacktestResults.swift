import BallastBacktest
import BallastMarketData
import BallastWorkflows
import Foundation

/// The metrics object of a back-test's JSON (`backtest --format json`, the `backtest` part of
/// `recommend --format json`, each row of a grid), version 1: every figure of
/// `PerformanceMetrics` with `null` for an undefined one, and its reason under `undefined`.
public struct MetricsJSON: Encodable, Sendable {
    /// Total return over the run.
    public var totalReturn: Double
    /// Compound annual growth rate.
    @ExplicitNull public var cagr: Double?
    /// Annualised volatility.
    @ExplicitNull public var annualVolatility: Double?
    /// Sharpe ratio.
    @ExplicitNull public var sharpeRatio: Double?
    /// Sortino ratio.
    @ExplicitNull public var sortinoRatio: Double?
    /// Annualised downside deviation.
    @ExplicitNull public var downsideRisk: Double?
    /// Maximum drawdown (negative).
    public var maxDrawdown: Double
    /// Peak, trough and recovery of the maximum drawdown.
    @ExplicitNull public var maxDrawdownPeriod: Drawdown?
    /// Calmar ratio.
    @ExplicitNull public var calmarRatio: Double?
    /// Historical value at risk and conditional value at risk, 95%, per period.
    public var valueAtRisk95, conditionalValueAtRisk95: Double
    /// Annualised tracking error against the benchmark.
    @ExplicitNull public var trackingError: Double?
    /// Information ratio against the benchmark.
    @ExplicitNull public var informationRatio: Double?
    /// Beta against the benchmark.
    @ExplicitNull public var beta: Double?
    /// Annualised alpha against the benchmark.
    @ExplicitNull public var alpha: Double?
    /// Annual turnover (the strategy's metrics only).
    @ExplicitNull public var turnover: Double?
    /// Total costs (the strategy's metrics only).
    @ExplicitNull public var costs: Double?
    /// Number of trades (the strategy's metrics only).
    @ExplicitNull public var trades: Int?
    /// Calendar-year returns.
    public var yearlyReturns: [PeriodReturn]
    /// Calendar-month returns.
    public var monthlyReturns: [PeriodReturn]
    /// Why each null figure is undefined.
    public var undefined: [String: String]

    /// The metrics, with the run's turnover, costs and trades when `result` is given.
    public init(_ m: PerformanceMetrics, result: BacktestResult?) {
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

/// The JSON of `ballast backtest --format json`, version 1.
public struct BacktestJSON: Encodable, Sendable {
    /// The strategy's name.
    public var strategy: String
    /// The rebalancing rule.
    public var schedule: String
    /// First and last date.
    public var start, end: MarketDate
    /// Value at the start and at the end.
    public var initialValue, finalValue: Double
    /// The strategy's metrics.
    public var metrics: MetricsJSON
    /// The benchmark's name.
    public var benchmark: String?
    /// The benchmark's metrics.
    public var benchmarkMetrics: MetricsJSON?
    /// Decisions that traded.
    public var rebalances: Int
    /// Time-weighted total return.
    public var timeWeightedReturn: Double
    /// Money-weighted annual return, with flows.
    public var moneyWeightedReturn: Double?
    /// Every decision, with its failure and fallback if it failed.
    public var events: [RebalanceEvent]
    /// The conventions of the metrics.
    public var conventions: MetricConventions

    /// The JSON of a back-test.
    public init(_ r: BacktestResult) {
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

/// One variant of a back-test grid, as `backtest --grid FILE --format json` lists it.
public struct BacktestGridRow: Encodable, Sendable {
    /// The strategy specification.
    public var strategy: String
    /// The rebalancing rule.
    public var rebalance: String
    /// The cost in basis points.
    public var costBps: Double
    /// The metrics, `nil` when the variant failed.
    public var metrics: MetricsJSON?
    /// Decisions that failed (each fell back to the previous holdings).
    public var failedDecisions: Int
    /// Why the variant failed, `nil` when it ran.
    public var error: String?

    /// A row.
    public init(strategy: String, rebalance: String, costBps: Double, metrics: MetricsJSON?, failedDecisions: Int, error: String?) {
        self.strategy = strategy
        self.rebalance = rebalance
        self.costBps = costBps
        self.metrics = metrics
        self.failedDecisions = failedDecisions
        self.error = error
    }
}

extension BacktestGridRow {
    /// The row of a grid variant: its metrics, or its error.
    public init(_ o: BacktestGridOutcome) {
        switch o.result {
        case .success(let r):
            self.init(
                strategy: o.strategy, rebalance: r.schedule, costBps: o.costBps, metrics: MetricsJSON(r.metrics, result: r),
                failedDecisions: r.failures.count, error: nil)
        case .failure(let e):
            self.init(strategy: o.strategy, rebalance: o.rebalance, costBps: o.costBps, metrics: nil, failedDecisions: 0, error: e.message)
        }
    }
}

/// The text screens and CSV files of back-tests.
public enum BacktestScreen {
    static func pct(_ x: Double?) -> String { x.map { String(format: "%.2f%%", $0 * 100) } ?? "n/a" }
    static func num(_ x: Double?) -> String { x.map { String(format: "%.2f", $0) } ?? "n/a" }

    /// A strategy spec short enough for a table column (a file's name without its folder).
    static func short(_ spec: String) -> String {
        let name = spec.hasSuffix(".json") ? (spec as NSString).lastPathComponent : spec
        return name.count > 24 ? String(name.prefix(23)) + "…" : name
    }

    /// The screen of one back-test: the metrics against the benchmark, the worst drawdown,
    /// turnover and costs, the last years and the first failed decisions.
    public static func text(_ r: BacktestResult) -> String {
        let (period, periods) =
            switch r.conventions.periodsPerYear {
            case 12: ("monthly", "months")
            case 52: ("weekly", "weeks")
            default: ("daily", "trading days")
            }
        var out = wrapped("Back-test: \(r.strategy), rebalancing \(r.schedule)") + "\n"
        out +=
            "  \(r.dates.first!) to \(r.dates.last!), \(r.returns.count) \(period) returns; \(r.events.count) decisions, \(r.trades.count) trades\n\n"
        var t = TextTable(["metric", "portfolio"] + (r.benchmarkMetrics != nil ? [r.benchmark!.name] : []))
        let m = r.metrics
        let b = r.benchmarkMetrics
        func row(_ name: String, _ get: (PerformanceMetrics) -> Double?, _ isPercent: Bool) {
            t.add(
                [name, isPercent ? pct(get(m)) : num(get(m))] + (b.map { [isPercent ? pct(get($0)) : num(get($0))] } ?? []))
        }
        row("total return", { $0.totalReturn }, true)
        row("CAGR", { $0.cagr }, true)
        row("annual volatility", { $0.annualVolatility }, true)
        row("Sharpe ratio", { $0.sharpeRatio }, false)
        row("Sortino ratio", { $0.sortinoRatio }, false)
        row("max drawdown", { $0.maxDrawdown }, true)
        row("Calmar ratio", { $0.calmarRatio }, false)
        row("VaR 95% (\(period))", { $0.valueAtRisk95 }, true)
        row("CVaR 95% (\(period))", { $0.conditionalValueAtRisk95 }, true)
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
                        + (d.recovery.map { "recovered \($0)" } ?? "not recovered") + " (\(d.length) \(periods))") + "\n"
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

    /// The grid's table: one row per variant, its error in place of the figures when it failed.
    public static func grid(_ rows: [BacktestGridRow]) -> String {
        var t = TextTable(["strategy", "rebalance", "bps", "CAGR", "volatility", "Sharpe", "max DD", "turnover", "costs", "failed"])
        for r in rows {
            if let m = r.metrics {
                t.add([
                    short(r.strategy), r.rebalance, String(format: "%g", r.costBps), pct(m.cagr), pct(m.annualVolatility),
                    num(m.sharpeRatio), pct(m.maxDrawdown), pct(m.turnover), String(format: "%.0f", m.costs ?? 0), "\(r.failedDecisions)",
                ])
            } else {
                t.add([short(r.strategy), r.rebalance, String(format: "%g", r.costBps), "error: \(r.error ?? "")", "", "", "", "", "", ""])
            }
        }
        return t.render()
    }

    /// The CSV files of a back-test, by name: `nav.csv` (date, value, flow, return and the
    /// benchmark's value), `weights.csv` (one column per symbol and `CASH`) and `trades.csv`.
    public static func csvFiles(_ r: BacktestResult) -> [(name: String, text: String)] {
        var nav = "date,value,flow,return" + (r.benchmark != nil ? ",benchmark" : "") + "\n"
        for k in r.dates.indices {
            nav += "\(r.dates[k]),\(r.values[k]),\(r.flows[k]),\(k > 0 ? String(r.returns[k - 1]) : "")"
            if let b = r.benchmark { nav += ",\(b.values[k])" }
            nav += "\n"
        }
        var weights = "date," + (r.symbols + [BacktestResult.cashColumn]).joined(separator: ",") + "\n"
        for k in r.dates.indices { weights += "\(r.dates[k])," + r.weights[k].map { String($0) }.joined(separator: ",") + "\n" }
        var trades = "date,symbol,side,quantity,price,value,cost\n"
        for t in r.trades { trades += "\(t.date),\(t.symbol),\(t.side.rawValue),\(t.quantity),\(t.price),\(t.value),\(t.cost)\n" }
        return [("nav.csv", nav), ("weights.csv", weights), ("trades.csv", trades)]
    }
}
