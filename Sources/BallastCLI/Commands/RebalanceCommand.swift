import ArgumentParser
import Ballast
import Foundation
import Synchronization

extension RebalanceTrigger: ExpressibleByArgument {}
extension RebalanceDestination: ExpressibleByArgument {}
extension RebalancePeriod: ExpressibleByArgument {}

/// `ballast rebalance --account FILE`: the plan for one account.
struct RebalanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebalance",
        abstract: "Plan the trades that bring an account back to its model portfolio.",
        discussion: """
            The account file: {"id": "A-1", "model": "C3", "cash": 1000, "holdings": {"USEQ": 10},
            "cashFlow": {"amount": 5000}, "lastRebalance": "2009-06-30"}. The target weights come from
            --models (a JSON object of model id to {symbol: weight}) or, for a risk level label such as C3,
            from the level's model of the menu in force on --as-of (see `ballast models`; the default date
            is the multi-asset universe's last, 2010-03-31). Prices are the universe's on or before --as-of,
            the last row on or before it in the --prices files (with --universe stocks), or a JSON map
            given with --price-map.

            The policy comes from --policy (JSON with the fields of the flags below, in camelCase) and the
            flags, which override it. Limits: --cost-bps from 0 to below 1000 (10% of a trade), amounts
            and bands finite and at least 0, --cash-buffer below 1, --fractional 0 to 8; a flag out of range
            exits 2, a policy-file value exits 1. With --destination band-edge every asset ends within its
            band (the 5/25 rule's is the narrower of the two) or a note names the constraint that kept it
            out; a plan whose trades are all below --min-trade has status below-minimum-trade, with a
            warning. An output (--out, its checkpoint, --errors, the audit database) that is the same file
            as an input is refused (exit 2). Money is kept in integer cents: cash after = cash before + flow +
            sales - purchases - costs exactly.

            BATCH MODE: --accounts FILE|- --out FILE|- reads JSON Lines (one account per line) and writes one
            plan per line in input order, in parallel over --jobs workers. A bad line becomes an error record
            ({"line", "accountId", "status": "error", "error"}) and the run goes on: unknown fields, trailing
            commas, cash with more than 2 decimals, fractional quantities of whole-lot products (without
            --fractional), a lastRebalance after --as-of, and an account id already seen in the book (the
            record names the line of the first, which is planned; ids are kept in memory, and --resume
            re-reads the lines before the checkpoint for their ids).
            Plan lines have sorted keys; money is exact to the cent, quantities have up to 8 decimals,
            weights, drift and turnover 12. The output is checkpointed after each block of lines; after the
            process is killed, --resume completes the run with every account exactly once (add --fsync to
            make that hold after a machine crash too, and to flush a finished run to disk before exiting).
            On a terminal a progress line shows accounts done, rate and ETA. With - for input and output it
            runs as a pipe stage (e.g. Spark's RDD.pipe). Exit code 0 when every account succeeded, 1 when some failed, 2 for usage errors, 3 for
            internal errors.

            EXAMPLES
              ballast rebalance --account profiles/accounts/drifted-balanced.json
              ballast rebalance --accounts book.jsonl --out plans.jsonl --errors errors.jsonl
              cat book.jsonl | ballast rebalance --accounts - --out - > plans.jsonl
              ballast rebalance --account profiles/stock-accounts/drifted-balanced.json --universe stocks --as-of 2022-12-28
              ballast rebalance --account account.json --trigger portfolio-drift --drift-threshold 0.03
              ballast rebalance --account account.json --destination band-edge --cost-bps 10 --format json
            """
    )

    @Option(help: ArgumentHelp("The account file (JSON).", valueName: "file"))
    var account: String?

    @Option(help: ArgumentHelp("Batch mode: accounts as JSON Lines, one per line (`-` for standard input).", valueName: "file"))
    var accounts: String?

    @Option(
        help: ArgumentHelp(
            "Batch mode: where the plans go, one JSON line per account in input order (`-` for standard output).", valueName: "file"))
    var out: String?

    @Option(help: ArgumentHelp("Batch mode: also write the error records here.", valueName: "file"))
    var errors: String?

    @Flag(help: "Batch mode: continue an interrupted run from its checkpoint (every account exactly once).")
    var resume = false

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

    @OptionGroup(title: "Batch") var book: BookOptions
    @OptionGroup(title: "Policy") var policy: PolicyOptions
    @OptionGroup(title: "Targets and prices") var market: TargetOptions
    @OptionGroup(title: "Profiling files") var files: ProfilingFiles
    @OptionGroup(title: "Audit trail") var audit: AuditOptions
    @OptionGroup(title: "Output") var output: OutputOptions

    func validate() throws {
        if output.format == .csv { throw ValidationError("rebalance prints table or json") }
        if (account == nil) == (accounts == nil) {
            throw ValidationError("give --account FILE for one account or --accounts FILE --out FILE for a batch")
        }
        if accounts != nil && out == nil { throw ValidationError("--accounts needs --out FILE (or - for standard output)") }
        if resume && out == "-" { throw ValidationError("--resume needs an output file, not standard output") }
        if maxFieldBytes < 16 { throw ValidationError("--max-field-bytes must be at least 16") }
        if maxInputBytes < 1 { throw ValidationError("--max-input-bytes must be at least 1") }
        var inputs = market.named + files.named + (policy.policy.map { [NamedPath("--policy", $0)] } ?? [])
        for (option, path) in [("--account", account), ("--accounts", accounts)] { if let path { inputs.append(NamedPath(option, path)) } }
        // The plans, the error records, the checkpoint beside the plans, and the audit database.
        var outputs: [NamedPath] = []
        if let out, out != "-" { outputs += [NamedPath("--out", out), NamedPath("--out (its checkpoint)", out + ".checkpoint")] }
        if let errors { outputs.append(NamedPath("--errors", errors)) }
        if !audit.noAudit { outputs.append(NamedPath("--audit-db", audit.path)) }
        try refuseOverwriting(inputs: inputs, outputs: outputs)
    }

    func run() throws {
        let inputs = workflowInputs(files, market, prices: market.prices)
        if let accounts, let out {
            let counts = try reportingErrors { () throws -> BatchSummary in
                var (batch, warnings) = try market.request(policy: try policy.effective()).batch(
                    input: accounts == "-" ? .standardInput : .file(accounts), output: out == "-" ? .standardOutput : .file(out),
                    errors: errors, jobs: book.jobs, inputs, trail: try audit.open(), parameters: ["accounts": accounts, "out": out])
                warn(warnings)
                (batch.resume, batch.durable, batch.maxLineBytes) = (resume, fsync, book.maxLineBytes)
                (batch.maxFieldBytes, batch.maxInputBytes) = (maxFieldBytes, maxInputBytes)
                // Crash tests (Benchmarks/kill_harness.py): a deterministic kill point and a block size.
                let env = ProcessInfo.processInfo.environment
                if let kill = env["BALLAST_BATCH_KILL_AT"] {
                    guard let fault = BatchFaultInjection(kill) else {
                        throw InputFileError(
                            description: "BALLAST_BATCH_KILL_AT=\(kill): expected POINT:BLOCK, such as after-audit-commit:3")
                    }
                    batch.faultInjection = fault
                }
                if let bytes = env["BALLAST_BATCH_BLOCK_BYTES"].flatMap(Int.init), bytes > 0 { batch.blockSize = bytes }
                if !output.quiet && isatty(2) != 0 { batch.progress = ProgressLine().report }
                return try batch.run()
            }
            if !output.quiet { printError(PlanScreen.batchSummary(counts)) }
            if counts.errors > 0 { throw ExitCode(ExitStatus.dataError) }
            return
        }
        let outcome = try reportingErrors {
            try market.request(policy: try policy.effective()).plan(account: account!, inputs, trail: try audit.open())
        }
        warn(outcome.warnings)
        let plan = outcome.plan
        if plan.status == .belowMinimumTrade {
            printError("warning: account \(plan.accountId): \(plan.notes.last ?? "no trade placed: every trade is below the minimum")")
        }
        switch output.format {
        case .json: print(try ResultJSON.string(PlanWithTarget(plan: plan, targetWeights: outcome.target)))
        default: print(PlanScreen.text(plan, target: outcome.target), terminator: "")
        }
    }
}

/// The batch's progress line on a terminal: `\r1234567 accounts, 250000/s, 3 errors, ETA 0:04`
/// (no ETA when reading a pipe), at most four times a second, and a line end when done.
final class ProgressLine: Sendable {
    let started = Date()
    let last = Mutex(Date.distantPast)

    @Sendable func report(_ p: BatchProgress) {
        let now = Date()
        let due = last.withLock { last in
            guard p.finished || now.timeIntervalSince(last) >= 0.25 else { return false }
            last = now
            return true
        }
        guard due else { return }
        let elapsed = max(now.timeIntervalSince(started), 1e-3)
        let rate = Int((Double(p.lines) / elapsed).rounded())
        var text = "\r\(p.lines) accounts, \(rate)/s, \(p.errors) errors"
        if let size = p.inputSize, size > 0, p.bytesRead > 0 {
            let seconds = Int((elapsed * Double(size - min(size, p.bytesRead)) / Double(p.bytesRead)).rounded())
            text += ", ETA \(seconds / 60):" + (seconds % 60 < 10 ? "0" : "") + "\(seconds % 60)"
        }
        FileHandle.standardError.write(Data((text + "   " + (p.finished ? "\n" : "")).utf8))
    }
}
