import ArgumentParser
import Ballast
import Foundation

extension AlertRulesError: UserFacingError {}

/// `ballast monitor --accounts BOOK.jsonl`: book figures, exceptions and alerts.
struct MonitorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Monitor a book of accounts: drift, out of band, suitability, re-assessments, alerts.",
        discussion: """
            Reads the book as `rebalance --accounts` does (JSON Lines, one account per line, `-` for standard
            input) against the same targets and prices (--models, --prices, --universe, --as-of) and reports:
            each account's drift ½Σ|w - w*| (cash included), its distribution (quantiles and a histogram),
            the accounts out of band (a rebalance is due under the policy: --trigger, --band, --relative-band,
            --drift-threshold, --period or --policy FILE, as for rebalance), by level, by model and by product,
            and the accounts holding products rated above their level's limit (suitability exceptions).
            With --customers DIR, each account's customer file DIR/ACCOUNT-ID.json is profiled as of its
            profiledOn date: re-assessments overdue and due within --due-within days, profile flags, and
            accounts on a model above the customer's level. A line that cannot be measured (bad JSON,
            unknown model, missing price, unreadable customer file) is counted and listed with its line
            number; the run goes on. Memory does not grow with the book.

            ALERTS: --alerts RULES.json holds thresholds over the figures, such as
            {"rules": [{"name": "C3 drifting", "metric": "outOfBandShare", "level": "C3", "above": 0.2}]}
            (scope: level, model or product; threshold: above or below, strictly; shares as fractions). The
            fired alerts are listed with their evidence. See Examples/monitor/alerts.json.

            HISTORY: each run appends an audit record with the book's digest and the summary figures;
            --since DATE compares this run with the last earlier run of the same book recorded on or before
            DATE.

            EXIT CODES
              0  no alert fired
              1  the input or the data cannot support the request (the message says what, where and how to fix it)
              2  usage error
              3  internal error
              4  at least one alert fired

            EXAMPLES
              ballast generate-accounts --count 2000 --seed 1 --broken 3 --out book.jsonl
              ballast monitor --accounts book.jsonl --alerts Examples/monitor/alerts.json
              ballast monitor --accounts book.jsonl --format json --report monitor.html --performance
              ballast monitor --universe stocks --accounts stock-book.jsonl --as-of 2022-12-28
              ballast monitor --accounts book.jsonl --since 2026-11-30
            """
    )

    /// Exit code when an alert fired.
    static let alertFired: Int32 = 4

    @Option(help: ArgumentHelp("The book: accounts as JSON Lines, one per line (`-` for standard input).", valueName: "file"))
    var accounts: String

    @Option(help: ArgumentHelp("Alert rules (JSON): thresholds over the figures.", valueName: "file"))
    var alerts: String?

    @Option(help: ArgumentHelp("Customer files, one per account, named ACCOUNT-ID.json.", valueName: "dir"))
    var customers: String?

    @Option(help: ArgumentHelp("Re-assessments due within this many days are listed (default 30).", valueName: "days"))
    var dueWithin: Int = 30

    @Option(help: ArgumentHelp("Market index prices for the customers' behaviour signals.", valueName: "file"))
    var market: String = "market-data/sp500_index.csv"

    @Option(help: ArgumentHelp("Also write the dashboard, a self-contained HTML page.", valueName: "file"))
    var report: String?

    @Option(
        help: ArgumentHelp(
            "Also write each account's figures (drift, out of band, products outside their band or above the level) as JSON Lines, in book order.",
            valueName: "file"))
    var accountFigures: String?

    @Flag(
        help:
            "Also back-test each level's model over the last 1 and 3 years against --benchmark (volatility, maximum drawdown); the book's models must be the levels."
    )
    var performance = false

    @Option(help: ArgumentHelp("The benchmark of --performance: a price file (default the S&P 500 index).", valueName: "file"))
    var benchmark: String = "market-data/sp500_index.csv"

    @Option(help: ArgumentHelp("Compare with the last earlier run of this book recorded on or before this date.", valueName: "date"))
    var since: MarketDate?

    @Option(
        help: ArgumentHelp("Problems, exceptions and re-assessments listed, each (default 1000); the rest are counted.", valueName: "n"))
    var listLimit: Int = 1000

    @OptionGroup(title: "Book") var book: BookOptions
    @OptionGroup(title: "Policy") var policy: PolicyOptions
    @OptionGroup(title: "Targets and prices") var targets: TargetOptions
    @OptionGroup(title: "Profiling files") var files: ProfilingFiles
    @OptionGroup(title: "Audit trail") var audit: AuditOptions
    @OptionGroup(title: "Output") var output: OutputOptions

    func validate() throws {
        if output.format == .csv { throw ValidationError("monitor prints table or json") }
        if listLimit < 0 { throw ValidationError("--list-limit must be at least 0") }
        if dueWithin < 0 { throw ValidationError("--due-within must be at least 0 days") }
        if since != nil && audit.noAudit { throw ValidationError("--since reads the audit trail; remove --no-audit") }
        if performance && targets.models != nil {
            throw ValidationError(
                "--performance back-tests the levels' models; the book's models come from --models, so remove one of them")
        }
        var inputs = [NamedPath("--accounts", accounts)] + targets.named
        for (option, path) in [("--alerts", alerts), ("--policy", policy.policy)] { if let path { inputs.append(NamedPath(option, path)) } }
        var outputs: [NamedPath] = []
        for (option, path) in [("--report", report), ("--account-figures", accountFigures)] {
            if let path { outputs.append(NamedPath(option, path)) }
        }
        if !audit.noAudit { outputs.append(NamedPath("--audit-db", audit.path)) }
        try refuseOverwriting(inputs: inputs, outputs: outputs)
    }

    func run() throws {
        var request = MonitorRequest(accounts: accounts)
        (request.alerts, request.customers, request.dueWithin, request.accountFigures) = (alerts, customers, dueWithin, accountFigures)
        (request.performance, request.benchmark, request.since, request.listLimit) = (performance, benchmark, since, listLimit)
        (request.jobs, request.maxLineBytes) = (book.jobs, book.maxLineBytes)
        let outcome = try reportingErrors {
            request.market = targets.request(policy: try policy.effective())
            // The page is written before the record, so that a failed write records nothing.
            return try request.run(workflowInputs(files, targets, market: market), trail: try audit.open()) { report in
                if let path = self.report { try ReportFile.write(MonitorDashboard.html(report), to: path, what: "the dashboard") }
            }
        }
        warn(outcome.warnings)
        warn(outcome.notes, quiet: output.quiet, prefix: "note: ")
        let report = outcome.report
        switch output.format {
        case .json: print(try ResultJSON.string(report))
        default: print(MonitorScreen.text(report), terminator: "")
        }
        if !report.fired.isEmpty {
            if !output.quiet { printError("warning: \(report.fired.count) of \(report.alerts.count) alerts fired (exit code 4)") }
            throw ExitCode(Self.alertFired)
        }
    }
}
