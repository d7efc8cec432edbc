import ArgumentParser
import Ballast
import Foundation

extension Execution: ExpressibleByArgument {}
extension BacktestSizing: ExpressibleByArgument {}

/// `ballast backtest`: what a strategy would have done.
struct BacktestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backtest",
        abstract: "Replay a strategy over historical prices with the production rebalancing code.",
        discussion: help("backtest")
    )

    @Option(
        name: .long, parsing: .upToNextOption,
        help: ArgumentHelp("Price files (joined on dates; default sp500_20.csv, plus factors_etf5.csv for level:N).", valueName: "file"))
    var prices: [String] = []
    @Option(help: ArgumentHelp("First date (YYYY-MM-DD).", valueName: "date")) var start: MarketDate?
    @Option(help: ArgumentHelp("Last date (YYYY-MM-DD).", valueName: "date")) var end: MarketDate?
    @Option(help: ArgumentHelp("equal-weight, buy-and-hold, fixed:FILE, level:N or FILE.json.", valueName: "strategy"))
    var strategy: String?
    @Option(help: ArgumentHelp("monthly, quarterly, annually, never, threshold:X or monthly+threshold:X.", valueName: "rule"))
    var rebalance: String = "monthly"
    @Option(help: ArgumentHelp("close (default, as bt) or next-close.", valueName: "when")) var execution: Execution = .close
    @Option(
        help: ArgumentHelp("fractional (exact quantities) or lots (the rebalancing planner: catalogue lots, cents).", valueName: "mode"))
    var sizing: BacktestSizing = .fractional
    @Option(help: ArgumentHelp("Cost in basis points of the traded value.", valueName: "bps")) var costBps: Double = 0
    @Option(help: ArgumentHelp("Fixed cost per trade.", valueName: "amount")) var fixedCost: Double = 0
    @Option(help: ArgumentHelp("Minimum cost per trade.", valueName: "amount")) var minCost: Double = 0
    @Option(help: ArgumentHelp("Minimum trade value.", valueName: "amount")) var minTrade: Double = 0
    @Option(help: ArgumentHelp("Starting capital.", valueName: "amount")) var capital: Double = 1_000_000
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
    var benchmark: String = WorkflowInputs().market
    @Option(help: ArgumentHelp("Write a self-contained HTML report here.", valueName: "file")) var report: String?
    @Flag(help: "Draw the report's value chart on a log scale.") var logScale = false
    @Option(help: ArgumentHelp("Write nav.csv, weights.csv and trades.csv into this folder.", valueName: "dir")) var csv: String?
    @Option(help: ArgumentHelp("Run the variants of a grid file in parallel.", valueName: "file")) var grid: String?
    @Option(help: ArgumentHelp("Parallel variants for --grid.", valueName: "n"))
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount
    @OptionGroup(title: "Model source") var source: ModelSourceOptions
    @OptionGroup(title: "Price checks") var check: PriceCheckOptions
    @OptionGroup(title: "Profiling files") var files: ProfilingFiles
    @OptionGroup(title: "Audit trail") var audit: AuditOptions
    @OptionGroup(title: "Output") var output: OutputOptions

    /// The request these options describe.
    var request: BacktestRequest {
        var r = BacktestRequest(strategy: strategy ?? "")
        (r.rebalance, r.execution, r.sizing, r.start, r.end, r.prices, r.benchmark) = (
            rebalance, execution, sizing, start, end, prices, benchmark
        )
        (r.costBps, r.fixedCost, r.minCost, r.minTrade) = (costBps, fixedCost, minCost, minTrade)
        (r.capital, r.cashRate, r.contribution, r.riskFreeRate) = (capital, cashRate, contribution, riskFreeRate)
        r.universe = source.universe
        return r
    }

    /// Appends a record of a back-test (or a grid of them) to the trail.
    func record(prices table: PriceTable, outputs: String, warnings: [String]) throws {
        guard let trail = try audit.open() else { return }
        try trail.append([try request.auditEntry(prices: table, grid: grid, inputs: inputs, outputs: outputs, warnings: warnings)])
    }

    /// The files of this command.
    var inputs: WorkflowInputs { workflowInputs(source, check, files, prices: prices) }

    func validate() throws {
        try source.check(prices: prices)
        if (strategy == nil) == (grid == nil) { throw ValidationError("give --strategy (one back-test) or --grid FILE (many)") }
        if !(capital > 0) || !capital.isFinite { throw ValidationError("--capital must be positive") }
        if let start, let end, start > end { throw ValidationError("--start \(start) is after --end \(end); swap them") }
        if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        do throws(RebalancePolicy.Problem) { try request.validateCosts() } catch { throw usageError(error) }
        let outputs =
            NamedPath.given(["--report": report])
            + (csv.map { dir in ["nav.csv", "weights.csv", "trades.csv"].map { NamedPath("--csv", dir + "/" + $0) } } ?? [])
        let inputs =
            prices.map { NamedPath("--prices", $0) } + [
                NamedPath("--benchmark", benchmark), NamedPath("--catalog", files.catalog), NamedPath("--levels", files.levels),
            ]
            + NamedPath.given(["--grid": grid, "--strategy": strategy.map { $0.hasPrefix("fixed:") ? String($0.dropFirst(6)) : $0 }])
        try refuseOverwriting(inputs: inputs, outputs: outputs)
        // The rule and the flow are usage errors; a bad strategy is bad input (exit 1), found in run.
        var r = request
        r.strategy = "equal-weight"
        do throws(BacktestSetupError) { try r.validate() } catch { throw ValidationError(error.description) }
    }

    func run() throws {
        try reportingErrors {
            if let grid { return try runGrid(grid) }
            let (backtest, result) = try inputs.backtestSetup.run(request)
            // The files first: a result that could not be written is not recorded.
            if let csv {
                try ReportFile.write(BacktestScreen.csvFiles(result), into: csv)
                if !output.quiet { printError("wrote nav.csv, weights.csv and trades.csv in \(csv)") }
            }
            if let report {
                try ReportFile.write(BacktestReport.html(result, logScale: logScale), to: report, what: "the report")
                if !output.quiet { printError("wrote \(report)") }
            }
            try record(
                prices: backtest.prices, outputs: auditJSON(MetricsJSON(result.metrics, result: result)),
                warnings: result.failures.map { "\($0.decided): \($0.failure ?? "") -> \($0.fallback ?? "")" })
            try output.emit(BacktestJSON(result), table: BacktestScreen.text(result))
            if !output.quiet && !result.failures.isEmpty {
                let n = result.failures.count
                printError(
                    "note: \(n) of \(result.events.count) decision\(result.events.count == 1 ? "" : "s") failed; each is listed with its reason and fallback (--format json: \"events\")"
                )
            }
        }
    }

    func runGrid(_ path: String) throws {
        let g = try BacktestGrid.read(path: try bundled(path))
        let started = Date()
        let progress: (@Sendable (Int, Int) -> Void)? =
            !output.quiet && isatty(2) != 0
            ? { @Sendable (done: Int, total: Int) in
                FileHandle.standardError.write(
                    Data(String(format: "\r%d of %d variants, %.1f s", done, total, Date().timeIntervalSince(started)).utf8))
            } : nil
        let outcomes: [BacktestGridOutcome]
        do { outcomes = try inputs.backtestSetup.runGrid(g, request: request, jobs: jobs, progress: progress) } catch let e
            as BacktestSetupError
        {
            throw InputFileError(description: "\(path): \(e)")
        }
        if progress != nil { printError("") }
        let rows = outcomes.map(BacktestGridRow.init)
        try record(prices: outcomes[0].prices, outputs: auditJSON(rows), warnings: rows.compactMap(\.error))
        try output.emit(rows, table: BacktestScreen.grid(rows))
        if rows.contains(where: { $0.error != nil }) { throw ExitCode(ExitStatus.dataError) }
    }
}
