import ArgumentParser
import Ballast
import Foundation

extension RebalanceTrigger: ExpressibleByArgument {}
extension RebalanceDestination: ExpressibleByArgument {}
extension RebalancePeriod: ExpressibleByArgument {}

/// `ballast rebalance --account FILE`: the plan for one account.
struct RebalanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebalance",
        abstract: "Plan the trades that bring an account back to its model portfolio.",
        discussion: help("rebalance")
    )

    @Option(help: ArgumentHelp("The account file (JSON).", valueName: "file")) var account: String?
    @Option(help: ArgumentHelp("Batch mode: accounts as JSON Lines, one per line (`-` for standard input).", valueName: "file"))
    var accounts: String?
    @Option(
        help: ArgumentHelp(
            "Batch mode: where the plans go, one JSON line per account in input order (`-` for standard output).", valueName: "file"))
    var out: String?
    @Option(help: ArgumentHelp("Batch mode: also write the error records here.", valueName: "file")) var errors: String?
    @Flag(help: "Batch mode: continue an interrupted run from its checkpoint (every account exactly once).") var resume = false
    @Flag(
        help:
            "Batch mode: flush the output to disk before each checkpoint, so that --resume also works after the machine stops (slower: bounded by the disk)."
    )
    var fsync = false
    @Option(
        help: ArgumentHelp(
            "Batch mode: the longest field (key, text or number) of an account line, in bytes (default 65536); a line with a longer one becomes an error record naming it.",
            valueName: "n"))
    var maxFieldBytes: Int = 1 << 16
    @Option(
        help: ArgumentHelp(
            "Batch mode: the largest input read, in bytes (default 274877906944, 256 GiB); a larger book file is refused, standard input stops there.",
            valueName: "n"))
    var maxInputBytes: UInt64 = 1 << 38
    @Option(
        help: ArgumentHelp(
            "Pre-trade controls (JSON): price stops, account limits, batch circuit breakers, a suspension file (see Examples/controls).",
            valueName: "file"))
    var controls: String?
    @Option(help: ArgumentHelp("Suspend every rebalance with this reason: no trade is released.", valueName: "reason"))
    var suspend: String?
    @Option(
        help: ArgumentHelp(
            "Batch mode, with --resume: continue a run halted by a circuit breaker; the reason and the user are recorded.",
            valueName: "reason"))
    var overrideHalt: String?
    @OptionGroup(title: "Batch") var book: BookOptions
    @OptionGroup(title: "Policy") var policy: PolicyOptions
    @OptionGroup(title: "Targets and prices") var market: TargetOptions
    @OptionGroup(title: "Profiling files") var files: ProfilingFiles
    @OptionGroup(title: "Audit trail") var audit: AuditOptions
    @OptionGroup(title: "Output") var output: OutputOptions

    func validate() throws {
        if (account == nil) == (accounts == nil) {
            throw ValidationError("give --account FILE for one account or --accounts FILE --out FILE for a batch")
        }
        if accounts != nil && out == nil { throw ValidationError("--accounts needs --out FILE (or - for standard output)") }
        if resume && out == "-" { throw ValidationError("--resume needs an output file, not standard output") }
        if maxFieldBytes < 16 { throw ValidationError("--max-field-bytes must be at least 16") }
        if maxInputBytes < 1 { throw ValidationError("--max-input-bytes must be at least 1") }
        if overrideHalt != nil && !(resume && accounts != nil) {
            throw ValidationError("--override-halt continues a halted batch: give it with --accounts and --resume")
        }
        if let r = overrideHalt ?? suspend, r.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--override-halt and --suspend need a reason")
        }
        let inputs =
            market.named + files.named
            + NamedPath.given(["--policy": policy.policy, "--account": account, "--accounts": accounts, "--controls": controls])
        // The plans, the checkpoint beside them, the error records and the audit database.
        let file = out == "-" ? nil : out
        let outputs = NamedPath.given([
            "--out": file, "--out (its checkpoint)": file.map { $0 + ".checkpoint" }, "--errors": errors,
            "--audit-db": audit.noAudit ? nil : audit.path,
        ])
        try refuseOverwriting(inputs: inputs, outputs: outputs)
    }

    /// The request: the policy, the controls and the suspension.
    func request() throws -> RebalanceRequest {
        var request = market.request(policy: try policy.effective())
        request.controls = try controls.map { path throws(RebalanceError) in try PreTradeControls.read(path: path) }
        request.suspension = suspend
        return request
    }

    func run() throws {
        let inputs = workflowInputs(files, market, prices: market.prices)
        if let accounts, let out {
            let counts = try reportingErrors { () throws -> BatchSummary in
                var (batch, warnings) = try request().batch(
                    input: accounts == "-" ? .standardInput : .file(accounts), output: out == "-" ? .standardOutput : .file(out),
                    errors: errors, jobs: book.jobs, inputs, trail: try audit.open(), parameters: ["accounts": accounts, "out": out])
                warn(warnings)
                (batch.resume, batch.durable, batch.maxLineBytes) = (resume, fsync, book.maxLineBytes)
                (batch.maxFieldBytes, batch.maxInputBytes) = (maxFieldBytes, maxInputBytes)
                batch.haltOverride = overrideHalt.map { HaltOverride(reason: $0) }
                try batch.applyCrashTestSwitches(ProcessInfo.processInfo.environment)
                if !output.quiet && isatty(2) != 0 {
                    let line = BatchProgressLine()
                    batch.progress = { p in if let text = line.text(p) { FileHandle.standardError.write(Data(text.utf8)) } }
                }
                return try batch.run()
            }
            if !output.quiet { printError(PlanScreen.batchSummary(counts)) }
            if counts.errors > 0 { throw ExitCode(ExitStatus.dataError) }
            return
        }
        let outcome = try reportingErrors {
            try request().plan(account: account!, inputs, trail: try audit.open())
        }
        warn(outcome.warnings)
        let plan = outcome.plan
        if plan.status == .held || plan.status == .suspended {
            printError("warning: account \(plan.accountId): \(plan.notes.last ?? plan.status.rawValue)")
        }
        if plan.status == .belowMinimumTrade {
            printError("warning: account \(plan.accountId): \(plan.notes.last ?? "no trade placed: every trade is below the minimum")")
        }
        try output.emit(PlanWithTarget(plan: plan, targetWeights: outcome.target), table: PlanScreen.text(plan, target: outcome.target))
    }
}
