import BallastAudit
import BallastMarketData
import BallastProfiling
import BallastRebalancing
import Foundation

// MARK: - The result

/// How a run compares with the last earlier run of the same book in the audit trail.
public struct MonitorComparison: Sendable, Codable, Equatable {
    /// The earlier run's audit record.
    public var previousRecordId: Int64
    /// When the earlier run was recorded (ISO 8601).
    public var previousTime: String
    /// The date of the earlier run's prices.
    public var previousAsOf: MarketDate
    /// Every figure with both values, book first, then by level.
    public var changes: [MonitorSummary.Change]

    /// A comparison from values.
    public init(previousRecordId: Int64, previousTime: String, previousAsOf: MarketDate, changes: [MonitorSummary.Change]) {
        self.previousRecordId = previousRecordId
        self.previousTime = previousTime
        self.previousAsOf = previousAsOf
        self.changes = changes
    }
}

/// What `ballast monitor --format json` prints: the run's figures (the fields of
/// `BookMonitorResult` at the top level) with the book's name, the alerts and, with
/// `--since`, the comparison.
public struct MonitorReport: Sendable, Codable, Equatable {
    /// The run's figures.
    public var result: BookMonitorResult
    /// The book as named by the caller (a path, or `-`).
    public var book: String
    /// Every rule's outcome, in the rules' order.
    public var alerts: [AlertOutcome]
    /// The comparison with an earlier run, if asked for and found.
    public var comparison: MonitorComparison?
    /// Each level's model against the benchmark over 1 and 3 years, if asked for.
    public var performance: [ModelPerformance] = []
    /// The audit record of this run, when one was written.
    public var auditRecordId: Int64?
    /// The engine version.
    public var engineVersion: String
    /// The book's figures over its recorded monitor runs, oldest first, this run last (empty
    /// without an audit trail).
    public var history: [MonitorHistoryPoint] = []
    /// The health of the engine around the book, when an audit trail was read.
    public var health: AlgorithmHealth?

    /// The alerts that fired.
    public var fired: [AlertOutcome] { alerts.filter(\.fired) }

    /// A report from values.
    public init(
        result: BookMonitorResult, book: String, alerts: [AlertOutcome], comparison: MonitorComparison? = nil,
        auditRecordId: Int64? = nil, engineVersion: String = BallastVersion.current
    ) {
        self.result = result
        self.book = book
        self.alerts = alerts
        self.comparison = comparison
        self.auditRecordId = auditRecordId
        self.engineVersion = engineVersion
    }

    enum CodingKeys: String, CodingKey {
        case book, alerts, alertsFired, comparison, performance, auditRecordId, engineVersion, history, health
    }

    /// Encodes the figures at the top level beside the report's own fields (`comparison` and
    /// `auditRecordId` are `null` when absent).
    public func encode(to encoder: any Encoder) throws {
        try result.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(book, forKey: .book)
        try c.encode(alerts, forKey: .alerts)
        try c.encode(fired.count, forKey: .alertsFired)
        try c.encode(comparison, forKey: .comparison)
        try c.encode(performance, forKey: .performance)
        try c.encode(auditRecordId, forKey: .auditRecordId)
        try c.encode(engineVersion, forKey: .engineVersion)
        try c.encode(history, forKey: .history)
        try c.encode(health, forKey: .health)
    }

    /// Decodes what ``encode(to:)`` writes.
    public init(from decoder: any Decoder) throws {
        result = try BookMonitorResult(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        book = try c.decode(String.self, forKey: .book)
        alerts = try c.decode([AlertOutcome].self, forKey: .alerts)
        comparison = try c.decodeIfPresent(MonitorComparison.self, forKey: .comparison)
        performance = try c.decodeIfPresent([ModelPerformance].self, forKey: .performance) ?? []
        auditRecordId = try c.decodeIfPresent(Int64.self, forKey: .auditRecordId)
        engineVersion = try c.decode(String.self, forKey: .engineVersion)
        history = try c.decodeIfPresent([MonitorHistoryPoint].self, forKey: .history) ?? []
        health = try c.decodeIfPresent(AlgorithmHealth.self, forKey: .health)
    }
}

/// One monitor run of a book in its history: when, on which prices, and the book's figures.
public struct MonitorHistoryPoint: Sendable, Codable, Equatable {
    /// The run's audit record.
    public var recordId: Int64?
    /// When it was recorded (ISO 8601).
    public var time: String
    /// The date of its prices.
    public var asOf: MarketDate
    /// The book's figures by metric name (``MonitorSummary/book``).
    public var figures: [String: Double]

    /// A point from values.
    public init(recordId: Int64?, time: String, asOf: MarketDate, figures: [String: Double]) {
        (self.recordId, self.time, self.asOf, self.figures) = (recordId, time, asOf, figures)
    }
}

/// What the audit trail says about the engine around a monitor run: batch runs halted by a
/// circuit breaker in the last ``lookbackDays`` days (by the records' time), and the data's
/// staleness warnings of this run.
public struct AlgorithmHealth: Sendable, Codable, Equatable {
    /// The window of halted runs, in days before the run (by the clock).
    public var lookbackDays: Int
    /// Each halt: its record, its time and what tripped.
    public var halts: [Halt]
    /// Stale or implausible data this run was warned about.
    public var dataWarnings: [String]
    /// What the model builder had to relax or fall back on for the menu in force (each level's
    /// notes and the optimiser's warnings; empty for models from a file).
    public var modelNotes: [String] = []

    /// A halted batch run.
    public struct Halt: Sendable, Codable, Equatable {
        /// The `rebalance-halt` record.
        public var recordId: Int64
        /// When the run halted.
        public var time: String
        /// The breaker, its figure and its limit, in words.
        public var what: String
    }
}

/// A monitor run over a book: the figures of ``BookMonitor``, the alerts of a rules file,
/// optionally the customers' re-assessments, the levels' performance and the comparison with
/// an earlier run, with the run's audit record (its history).
public struct MonitorRequest: Sendable {
    /// The book: accounts as JSON Lines (`-` for standard input).
    public var accounts: String
    /// The date, the models, the prices and the policy, as for rebalancing.
    public var market = RebalanceRequest()
    /// Alert rules (JSON), as the user names the file.
    public var alerts: String?
    /// The folder of the customer files (`ACCOUNT-ID.json`).
    public var customers: String?
    /// Re-assessments due within this many days are listed.
    public var dueWithin = 30
    /// Where each account's figures go as JSON Lines, if anywhere.
    public var accountFigures: String?
    /// Back-test each level's model over the last 1 and 3 years against ``benchmark``.
    public var performance = false
    /// The benchmark of ``performance``: a price file.
    public var benchmark = "market-data/sp500_index.csv"
    /// Compare with the last earlier run of this book recorded on or before this date.
    public var since: MarketDate?
    /// Worker threads.
    public var jobs = ProcessInfo.processInfo.activeProcessorCount
    /// The longest account line measured, in bytes.
    public var maxLineBytes = 1 << 20
    /// Problems, exceptions and re-assessments listed, each.
    public var listLimit = 1000

    /// A request over the book `accounts`.
    public init(accounts: String) { self.accounts = accounts }

    /// The run's report and what the caller should know (a stale date, implausible prices,
    /// nothing to compare with).
    public struct Outcome: Sendable {
        /// The report (with its audit record id when recorded).
        public var report: MonitorReport
        /// A stale date, implausible prices.
        public var warnings: [String]
        /// What the caller should know, such as an earlier run not found for `since`.
        public var notes: [String]
    }

    /// Runs the monitor with `inputs`; `beforeRecording` runs on the report (writing the
    /// dashboard, say) before its record is appended to `trail`.
    ///
    /// - Throws: ``PlanMarketError`` for a missing book or customer folder, the rules' and
    ///   the data's errors, and the trail's.
    public func run(_ inputs: WorkflowInputs, trail: AuditTrail?, beforeRecording: (MonitorReport) throws -> Void = { _ in }) throws
        -> Outcome
    {
        let rules = try alerts.map { try MonitorAlerts.read(path: try inputs.resolve($0)) } ?? []
        let (m, catalog, targets) = try market.targets(inputs)
        var (warnings, notes) = (m.warnings, [String]())
        let levels = try inputs.levels(for: m.process)
        var monitor = BookMonitor(
            planner: RebalancePlanner(policy: market.policy, lotSizes: catalog.lotSizes), targets: targets, prices: m.prices, asOf: m.day,
            catalog: catalog, levels: levels)
        (monitor.jobs, monitor.maxLineBytes, monitor.listLimit, monitor.accountFigures) = (jobs, maxLineBytes, listLimit, accountFigures)
        monitor.riskHistory = m.history
        if let customers {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: customers, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw PlanMarketError("--customers \(customers): no such folder; give the folder of the customer files")
            }
            let (marketSet, w) = try inputs.loadPrices([inputs.market])
            warnings += w
            var folder = BookMonitor.CustomerFolder(
                directory: customers, questionnaire: try inputs.loadQuestionnaire(), market: marketSet.table,
                prices: m.process?.prices ?? m.history, pseudonymKey: try inputs.pseudonymKey().withUnsafeBytes { Array($0) })
            folder.horizonDays = dueWithin
            monitor.customers = folder
        }
        if accounts != "-" && !FileManager.default.fileExists(atPath: accounts) {
            throw PlanMarketError("--accounts \(accounts): no such file; give the book (JSON Lines, one account per line)")
        }
        let result = try monitor.run(input: accounts == "-" ? .standardInput : .file(accounts))
        var report = MonitorReport(result: result, book: accounts, alerts: MonitorAlerts.evaluate(rules, on: result))
        if performance {
            var request = BacktestRequest(strategy: "level:1")
            request.benchmark = benchmark
            // The policy's costs, so that the cost drag is the book's.
            (request.costBps, request.fixedCost, request.minCost) = (
                market.policy.costBasisPoints, market.policy.fixedCost, market.policy.minimumCost
            )
            if m.process == nil { request.prices = inputs.stockPriceFiles }
            let held = result.byLevel.compactMap { g in levels.levels.first { $0.label == g.name } }
            report.performance = try ModelPerformance.measure(
                models: held.map { ($0.label, "level:\($0.level)") }, asOf: m.day, setup: inputs.backtestSetup, request: request)
        }
        if let since, let trail {
            if let (record, earlier) = try MonitorAuditOutputs.latest(in: trail, onOrBefore: since, book: accounts) {
                report.comparison = MonitorComparison(
                    previousRecordId: record.id, previousTime: record.entry.time, previousAsOf: earlier.summary.asOf,
                    changes: MonitorSummary(result).changes(since: earlier.summary))
            } else {
                notes.append("no monitor run of \(accounts) was recorded on or before \(since); nothing to compare with")
            }
        }
        if let trail {
            // The book's earlier runs, then this one; halted batch runs of the last 30 days.
            let earlier = try trail.records(command: MonitorAuditOutputs.command, parameter: ("accounts", accounts), limit: 49)
            report.history = earlier.compactMap { r in
                (try? JSONDecoder().decode(MonitorAuditOutputs.self, from: Data(r.entry.outputs.utf8))).map {
                    MonitorHistoryPoint(recordId: r.id, time: r.entry.time, asOf: $0.summary.asOf, figures: $0.summary.book)
                }
            }
            report.history.append(
                MonitorHistoryPoint(recordId: nil, time: AuditEntry.timestamp(Date()), asOf: m.day, figures: MonitorSummary(result).book))
            let lookback = 30
            let from = MarketDate.today.adding(days: -lookback).description
            let halts = try trail.records(command: .rebalanceHalt, since: from, limit: 1000).map { r in
                AlgorithmHealth.Halt(
                    recordId: r.id, time: r.entry.time,
                    what: (try? JSONDecoder().decode(BreakerTrip.self, from: Data(r.entry.outputs.utf8)))?.description ?? r.entry.outputs)
            }
            var health = AlgorithmHealth(lookbackDays: lookback, halts: halts, dataWarnings: warnings)
            if market.models == nil, let process = m.process, let review = try? process.review(asOf: m.day) {
                health.modelNotes =
                    review.menu.portfolios.flatMap { p in p.notes.map { "\(p.label): \($0)" } }
                    + review.results.flatMap(\.warnings)
            }
            report.health = health
        }
        try beforeRecording(report)
        if let trail {
            var parameters = ["asOf": m.day.description, "accounts": accounts, "trigger": result.trigger]
            parameters["universe"] = inputs.effectiveUniverse.rawValue
            for (k, v) in [("models", market.models), ("alerts", alerts), ("customers", customers)] { if let v { parameters[k] = v } }
            var digests = [
                "accounts": result.inputDigest, "prices": AuditDigest.json(m.prices), "models": AuditDigest.json(targets),
                "policy": AuditDigest.json(market.policy), "catalog": AuditDigest.json(catalog), "levels": AuditDigest.json(levels),
            ]
            if let alerts { digests["alerts"] = AuditDigest.file(try inputs.resolve(alerts)) }
            let outputs = MonitorAuditOutputs(summary: MonitorSummary(result), alertsFired: report.fired.map(\.name))
            let entry = AuditEntry(
                command: MonitorAuditOutputs.command, engineVersion: BallastVersion.current, inputs: digests, parameters: parameters,
                outputs: AuditDigest.canonicalJSON(outputs), warnings: report.fired.map { "\($0.name): \($0.evidence)" })
            report.auditRecordId = try trail.append([entry]).last
            if !report.history.isEmpty {
                (report.history[report.history.count - 1].recordId, report.history[report.history.count - 1].time) = (
                    report.auditRecordId, entry.time
                )
            }
        }
        return Outcome(report: report, warnings: warnings, notes: notes)
    }
}
