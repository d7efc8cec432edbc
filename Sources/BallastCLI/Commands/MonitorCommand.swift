import ArgumentParser
import Ballast
import Foundation

/// `ballast monitor --accounts BOOK.jsonl`: book figures, exceptions and alerts.
struct MonitorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Monitor a book of accounts: drift, out of band, suitability, re-assessments, alerts.",
        discussion: help("monitor")
    )

    /// Exit code when an alert fired.
    static let alertFired: Int32 = 4

    @Option(help: ArgumentHelp("The book: accounts as JSON Lines, one per line (`-` for standard input).", valueName: "file"))
    var accounts: String
    @Option(help: ArgumentHelp("Alert rules (JSON): thresholds over the figures.", valueName: "file")) var alerts: String?
    @Option(help: ArgumentHelp("Customer files, one per account, named ACCOUNT-ID.json.", valueName: "dir")) var customers: String?
    @Option(help: ArgumentHelp("Re-assessments due within this many days are listed (default 30).", valueName: "days"))
    var dueWithin: Int = 30
    @Option(help: ArgumentHelp("Market index prices for the customers' behaviour signals.", valueName: "file"))
    var market: String = WorkflowInputs().market
    @Option(help: ArgumentHelp("Also write the dashboard, a self-contained HTML page.", valueName: "file")) var report: String?
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
    var benchmark: String = WorkflowInputs().market
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
        if listLimit < 0 { throw ValidationError("--list-limit must be at least 0") }
        if dueWithin < 0 { throw ValidationError("--due-within must be at least 0 days") }
        if since != nil && audit.noAudit { throw ValidationError("--since reads the audit trail; remove --no-audit") }
        if performance && targets.models != nil {
            throw ValidationError(
                "--performance back-tests the levels' models; the book's models come from --models, so remove one of them")
        }
        let inputs = [NamedPath("--accounts", accounts)] + targets.named + NamedPath.given(["--alerts": alerts, "--policy": policy.policy])
        let outputs = NamedPath.given(
            ["--report": report, "--account-figures": accountFigures, "--audit-db": audit.noAudit ? nil : audit.path])
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
        try output.emit(report, table: MonitorScreen.text(report))
        if !report.fired.isEmpty {
            if !output.quiet { printError("warning: \(report.fired.count) of \(report.alerts.count) alerts fired (exit code 4)") }
            throw ExitCode(Self.alertFired)
        }
    }
}
