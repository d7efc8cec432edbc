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

    @Option(help: ArgumentHelp("Policy file (JSON), as for rebalance.", valueName: "file"))
    var policy: String?

    @Option(
        help: ArgumentHelp(
            "Trigger: absolute-band, relative-band, 5-25, portfolio-drift, calendar, calendar-and-threshold.", valueName: "trigger"))
    var trigger: RebalanceTrigger?

    @Option(help: ArgumentHelp("Absolute band (fraction, default 0.05).", valueName: "x"))
    var band: Double?

    @Option(help: ArgumentHelp("Relative band (fraction of the target, default 0.25).", valueName: "x"))
    var relativeBand: Double?

    @Option(help: ArgumentHelp("Portfolio drift threshold ½Σ|w - w*| (default 0.05).", valueName: "x"))
    var driftThreshold: Double?

    @Option(help: ArgumentHelp("Calendar period: monthly, quarterly, annual.", valueName: "period"))
    var period: RebalancePeriod?

    @Option(help: ArgumentHelp("Quantities may have this many decimals (as rebalance --fractional).", valueName: "n"))
    var fractional: Int?

    @Option(help: ArgumentHelp("Worker threads (default: the number of cores).", valueName: "n"))
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: ArgumentHelp("The longest account line measured, in bytes (default 1048576).", valueName: "n"))
    var maxLineBytes: Int = 1 << 20

    @Option(
        help: ArgumentHelp("Problems, exceptions and re-assessments listed, each (default 1000); the rest are counted.", valueName: "n"))
    var listLimit: Int = 1000

    @OptionGroup(title: "Targets and prices") var targets: TargetOptions
    @OptionGroup(title: "Profiling files") var files: ProfilingFiles
    @OptionGroup(title: "Audit trail") var audit: AuditOptions
    @OptionGroup(title: "Output") var output: OutputOptions

    func validate() throws {
        if output.format == .csv { throw ValidationError("monitor prints table or json") }
        if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if maxLineBytes < 64 { throw ValidationError("--max-line-bytes must be at least 64") }
        if listLimit < 0 { throw ValidationError("--list-limit must be at least 0") }
        if dueWithin < 0 { throw ValidationError("--due-within must be at least 0 days") }
        if since != nil && audit.noAudit { throw ValidationError("--since reads the audit trail; remove --no-audit") }
        if performance && targets.models != nil {
            throw ValidationError(
                "--performance back-tests the levels' models; the book's models come from --models, so remove one of them")
        }
        var inputs = [NamedPath("--accounts", accounts)]
        if let alerts { inputs.append(NamedPath("--alerts", alerts)) }
        if let policy { inputs.append(NamedPath("--policy", policy)) }
        if let models = targets.models { inputs.append(NamedPath("--models", models)) }
        inputs += targets.prices.map { NamedPath("--prices", $0) }
        var outputs: [NamedPath] = []
        if let report { outputs.append(NamedPath("--report", report)) }
        if let accountFigures { outputs.append(NamedPath("--account-figures", accountFigures)) }
        if !audit.noAudit { outputs.append(NamedPath("--audit-db", audit.path)) }
        try refuseOverwriting(inputs: inputs, outputs: outputs)
    }

    /// The policy: the file, then the flags; the library's checks (a flag out of range exits 2,
    /// a file value 1).
    func effectivePolicy() throws -> RebalancePolicy {
        var p = RebalancePolicy()
        if let policy {
            guard let data = FileManager.default.contents(atPath: try bundled(policy)) else {
                throw InputFileError(description: "\(policy): no such file")
            }
            do { p = try JSONDecoder().decode(RebalancePolicy.self, from: data) } catch let e as DecodingError {
                let (field, message) = describe(e)
                throw InputFileError(description: "\(policy): \(field): \(message)")
            }
        }
        if let trigger { p.trigger = trigger }
        if let band { p.absoluteBand = band }
        if let relativeBand { p.relativeBand = relativeBand }
        if let driftThreshold { p.driftThreshold = driftThreshold }
        if let period { p.period = period }
        if let fractional { p.fractionalDecimals = fractional }
        let fromFlags: [String: Bool] = [
            "absoluteBand": band != nil, "relativeBand": relativeBand != nil, "driftThreshold": driftThreshold != nil,
            "fractionalDecimals": fractional != nil,
        ]
        do throws(RebalancePolicy.Problem) { try p.validate() } catch {
            if fromFlags[error.field] == true, let flag = RebalanceCommand.policyFlags[error.field] {
                throw ValidationError("\(flag) \(error.value): must be \(error.requirement)")
            }
            throw InputFileError(description: "\(policy ?? "policy"): \(error.description)")
        }
        return p
    }

    func run() throws {
        let report = try reportingErrors { () throws -> MonitorReport in
            let rules = try alerts.map { try MonitorAlerts.read(path: try bundled($0)) } ?? []
            let market = try targets.load()
            let catalog = try targets.catalog(market, files: files)
            let baseLevels = try files.loadLevels()
            let levels = try market.process.map { try $0.levels(baseLevels) } ?? baseLevels
            let targetWeights = try targets.loadTargets(market, catalog: catalog, files: files)
            let policy = try effectivePolicy()
            var monitor = BookMonitor(
                planner: RebalancePlanner(policy: policy, lotSizes: catalog.lotSizes), targets: targetWeights, prices: market.prices,
                asOf: market.day, catalog: catalog, levels: levels)
            monitor.jobs = jobs
            monitor.maxLineBytes = maxLineBytes
            monitor.listLimit = listLimit
            monitor.accountFigures = accountFigures
            if let customers {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: customers, isDirectory: &isDirectory), isDirectory.boolValue else {
                    throw InputFileError(description: "--customers \(customers): no such folder; give the folder of the customer files")
                }
                var folder = BookMonitor.CustomerFolder(
                    directory: customers, questionnaire: try files.loadQuestionnaire(), market: try targets.check.load([self.market]).table,
                    prices: market.process?.prices ?? market.history,
                    pseudonymKey: try Privacy.pseudonymKey(keyFile: files.keyFile).withUnsafeBytes { Array($0) })
                folder.horizonDays = dueWithin
                monitor.customers = folder
            }
            if accounts != "-" && !FileManager.default.fileExists(atPath: accounts) {
                throw InputFileError(description: "--accounts \(accounts): no such file; give the book (JSON Lines, one account per line)")
            }
            let result = try monitor.run(input: accounts == "-" ? .standardInput : .file(accounts))
            var report = MonitorReport(result: result, book: accounts, alerts: MonitorAlerts.evaluate(rules, on: result))
            if performance {
                let (check, source, files) = (targets.check, targets.source, files)
                let setup = BacktestSetup(
                    sources: .init(
                        resolve: { try bundled($0) }, prices: { try check.load($0).table },
                        process: {
                            let (builder, policy) = try source.process.load()
                            return InvestmentProcess(assumptions: builder, policy: policy)
                        },
                        levels: { try files.loadLevels() }, catalog: { try files.loadCatalog() }))
                var request = BacktestRequest(strategy: "level:1")
                request.benchmark = benchmark
                if market.process == nil { request.prices = targets.prices.isEmpty ? TargetOptions.bundledPrices : targets.prices }
                let levelsHeld = result.byLevel.compactMap { g in levels.levels.first { $0.label == g.name } }
                report.performance = try ModelPerformance.measure(
                    models: levelsHeld.map { ($0.label, "level:\($0.level)") }, asOf: market.day, setup: setup, request: request)
            }
            let trail = try audit.open()
            if let since, let trail {
                if let (record, earlier) = try MonitorAuditOutputs.latest(in: trail, onOrBefore: since, book: accounts) {
                    report.comparison = MonitorComparison(
                        previousRecordId: record.id, previousTime: record.entry.time, previousAsOf: earlier.summary.asOf,
                        changes: MonitorSummary(result).changes(since: earlier.summary))
                } else if !output.quiet {
                    printError("note: no monitor run of \(accounts) was recorded on or before \(since); nothing to compare with")
                }
            }
            // The page is written before the record, so that a failed write records nothing.
            if let path = self.report { try ReportFile.write(MonitorDashboard.html(report), to: path, what: "the dashboard") }
            if let trail {
                var parameters = ["asOf": market.day.description, "accounts": accounts, "trigger": result.trigger]
                parameters["universe"] = targets.source.effective(prices: targets.prices).rawValue
                if let models = targets.models { parameters["models"] = models }
                if let alerts { parameters["alerts"] = alerts }
                if let customers { parameters["customers"] = customers }
                var inputs = [
                    "accounts": result.inputDigest, "prices": Digest.json(market.prices), "models": Digest.json(targetWeights),
                    "policy": Digest.json(policy), "catalog": Digest.json(catalog), "levels": Digest.json(levels),
                ]
                if let alerts { inputs["alerts"] = Digest.file(try bundled(alerts)) }
                let outputs = MonitorAuditOutputs(summary: MonitorSummary(result), alertsFired: report.fired.map(\.name))
                let ids = try trail.append([
                    AuditEntry(
                        command: MonitorAuditOutputs.command, engineVersion: BallastVersion.current, inputs: inputs, parameters: parameters,
                        outputs: auditJSON(outputs), warnings: report.fired.map { "\($0.name): \($0.evidence)" })
                ])
                report.auditRecordId = ids.last
            }
            return report
        }
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
