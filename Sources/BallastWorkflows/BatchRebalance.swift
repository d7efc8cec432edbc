import BallastAudit
import BallastMarketData
import BallastProfiling
import BallastRebalancing
import Crypto
import Dispatch
import Foundation
import Logging
import Synchronization

// MARK: - Values

/// Where a batch reads its accounts: a JSON Lines file, or standard input.
public enum BatchInput: Sendable, Equatable {
    /// A file, one account per line.
    case file(String)
    /// Standard input (a pipe stage); read as it arrives, never checkpointed.
    case standardInput
}

/// Where a batch writes its plans: a file (checkpointed), or standard output.
public enum BatchOutput: Sendable, Equatable {
    /// A file, one plan per line in input order.
    case file(String)
    /// Standard output (a pipe stage); no checkpoint, no resume.
    case standardOutput
}

/// What a batch run came to: lines planned by status, turnover and costs.
///
/// Money is in the accounts' currency; `turnover` is the sum over accounts of traded value / 2
/// / account value (a sum of fractions, not an average).
public struct BatchSummary: Sendable, Codable, Equatable {
    /// Non-blank input lines planned (including error records).
    public var lines = 0
    /// Accounts with trades placed.
    public var rebalanced = 0
    /// Accounts inside their bands (no trade).
    public var withinBand = 0
    /// Accounts whose cash flow alone was invested or raised.
    public var cashFlowOnly = 0
    /// Accounts whose trades were all below the minimum trade value.
    public var belowMinimumTrade = 0
    /// Error records written.
    public var errors = 0
    /// Sum of the accounts' turnover (fractions).
    public var turnover = 0.0
    /// Sum of the plans' estimated costs.
    public var cost = 0.0
    /// Accounts held by a pre-trade control (no trade released).
    public var held = 0
    /// Accounts whose rebalance is suspended.
    public var suspended = 0
    /// The value of every trade planned, in the account currency.
    public var tradedValue = 0.0

    /// An empty summary.
    public init() {}

    /// Decodes a summary; the counts a summary of an earlier version lacks are 0.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        lines = try c.decode(Int.self, forKey: .lines)
        rebalanced = try c.decode(Int.self, forKey: .rebalanced)
        withinBand = try c.decode(Int.self, forKey: .withinBand)
        cashFlowOnly = try c.decode(Int.self, forKey: .cashFlowOnly)
        belowMinimumTrade = try c.decode(Int.self, forKey: .belowMinimumTrade)
        errors = try c.decode(Int.self, forKey: .errors)
        turnover = try c.decode(Double.self, forKey: .turnover)
        cost = try c.decode(Double.self, forKey: .cost)
        held = try c.decodeIfPresent(Int.self, forKey: .held) ?? 0
        suspended = try c.decodeIfPresent(Int.self, forKey: .suspended) ?? 0
        tradedValue = try c.decodeIfPresent(Double.self, forKey: .tradedValue) ?? 0
    }

    /// Adds another summary's counts and sums to this one.
    public mutating func add(_ o: Self) {
        lines += o.lines
        rebalanced += o.rebalanced
        withinBand += o.withinBand
        cashFlowOnly += o.cashFlowOnly
        belowMinimumTrade += o.belowMinimumTrade
        errors += o.errors
        turnover += o.turnover
        cost += o.cost
        held += o.held
        suspended += o.suspended
        tradedValue += o.tradedValue
    }

    mutating func count(_ status: PlanStatus, by delta: Int = 1) {
        switch status {
        case .rebalanced: rebalanced += delta
        case .withinBand: withinBand += delta
        case .cashFlowOnly: cashFlowOnly += delta
        case .belowMinimumTrade: belowMinimumTrade += delta
        case .error: errors += delta
        case .held: held += delta
        case .suspended: suspended += delta
        }
    }
}

/// How far a batch has come: lines done, the output's size and fingerprints of its last
/// bytes, and the summary so far. Saved after every block; `--resume` continues from it.
public struct BatchCheckpoint: Sendable, Codable, Equatable {
    /// Input lines (blank ones included) whose plans are in the output.
    public var linesDone: Int
    /// Bytes of the output that hold those plans.
    public var bytesWritten: UInt64
    /// Bytes of the error file that hold their error records.
    public var errorBytesWritten: UInt64
    /// FNV-1a (64 bits) of the last (up to 4096) bytes before `bytesWritten`.
    public var outputTail: UInt64
    /// FNV-1a (64 bits) of the last (up to 4096) bytes before `errorBytesWritten`.
    public var errorTail: UInt64
    /// The summary of the lines done.
    public var counts: BatchSummary
    /// Bytes of input consumed by the lines done.
    public var inputBytes: UInt64 = 0
    /// SHA-256 (hex) of those input bytes: a resume reads them again and must find the same.
    public var inputDigest = ""
    /// What the plans depend on, by name (`as-of date`, `policy`, ...), to SHA-256 digests: a
    /// resume with other options is refused, naming the option.
    public var options: [String: String] = [:]
    /// Whether the run finished: a resume of a finished run records nothing again.
    public var finished = false

    /// A checkpoint with every field given.
    public init(
        linesDone: Int, bytesWritten: UInt64, errorBytesWritten: UInt64, outputTail: UInt64, errorTail: UInt64, counts: BatchSummary
    ) {
        self.linesDone = linesDone
        self.bytesWritten = bytesWritten
        self.errorBytesWritten = errorBytesWritten
        self.outputTail = outputTail
        self.errorTail = errorTail
        self.counts = counts
    }
}

/// What a batch reports while it runs (after every block of lines).
public struct BatchProgress: Sendable, Equatable {
    /// Lines planned so far (this run and the ones before a resume).
    public var lines: Int
    /// Error records so far.
    public var errors: Int
    /// Bytes of input read by this run.
    public var bytesRead: UInt64
    /// The input's size when it is a file (`nil` for a pipe).
    public var inputSize: UInt64?
    /// Whether the input is at its end (the last report).
    public var finished: Bool
}

/// One account's audit record in a batch: the line, the account's pseudonymous reference,
/// SHA-256 digests of the input line and of the plan line, and the plan's status (the audit
/// trail's compact account row; nothing personal is in it).
public typealias BatchAccountRecord = AuditAccountRow

/// An error of a batch run: what went wrong, where, and how to fix it.
public struct BatchRebalanceError: Error, Sendable, CustomStringConvertible {
    /// The message, starting with the path concerned.
    public var message: String
    /// An error with its message.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}

/// A run stopped by a circuit breaker: the blocks before it are written and checkpointed, the
/// block that tripped it is not.
public struct BatchHaltError: Error, Sendable, CustomStringConvertible {
    /// The breaker, its figure and its limit.
    public var trip: BreakerTrip
    /// Input lines whose plans are written (the checkpoint's).
    public var linesDone: Int
    /// The audit record of the halt, when the run has a trail.
    public var auditRecordId: String?

    /// A halt with its figures.
    public init(trip: BreakerTrip, linesDone: Int, auditRecordId: String?) {
        (self.trip, self.linesDone, self.auditRecordId) = (trip, linesDone, auditRecordId)
    }

    /// What tripped, what was written and how to go on.
    public var description: String {
        "halted by a circuit breaker: \(trip); the plans of the first \(linesDone) lines are written and checkpointed, "
            + "the rest are not. Check the book, the prices and the models; then continue with --resume and "
            + "--override-halt REASON, which records who overrode the halt and why"
    }
}

/// Who overrides a halted run, and why.
public struct HaltOverride: Sendable, Codable, Equatable {
    /// Why the halt is overridden.
    public var reason: String
    /// Who overrides it (the operating-system user by default).
    public var by: String

    /// An override; `by` defaults to the user running the process.
    public init(reason: String, by: String? = nil) {
        self.reason = reason
        self.by = by ?? ProcessInfo.processInfo.environment["USER"].flatMap { $0.isEmpty ? nil : $0 } ?? "uid \(getuid())"
    }
}

/// A deterministic kill point for crash tests: the process kills itself (SIGKILL) when it
/// reaches `point` in block `block` (from 1), as a power cut or `kill -9` would.
public struct BatchFaultInjection: Sendable, Equatable {
    /// Where in a block's write the process dies.
    public enum Point: String, Sendable, CaseIterable {
        /// After the block's plans were written to the output, before the audit commit.
        case afterOutputWrite = "after-output-write"
        /// After the audit commit of the block's records and progress, before the checkpoint.
        case afterAuditCommit = "after-audit-commit"
        /// After the checkpoint was saved (renamed into place).
        case afterCheckpoint = "after-checkpoint"
    }
    /// Where.
    public var point: Point
    /// In which block.
    public var block: Int

    /// A kill point.
    public init(point: Point, block: Int) {
        self.point = point
        self.block = block
    }

    /// Parses `POINT:BLOCK`, such as `after-audit-commit:3`; `nil` for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let point = Point(rawValue: String(parts[0])), let block = Int(parts[1]), block >= 1 else { return nil }
        self.init(point: point, block: block)
    }

    func reached(_ p: Point, block b: Int) {
        if p == point && b == block { raise(SIGKILL) }
    }
}

// MARK: - Protocols a service plugs its own parts into

/// Where a batch keeps its checkpoint between runs.
///
/// The default, ``FileCheckpointStore``, is a file beside the output replaced atomically. A
/// service can keep checkpoints in its own database; `save` must replace the old checkpoint
/// atomically (a reader sees the old one or the new one, never a mix).
public protocol BatchCheckpointStore: Sendable {
    /// The saved checkpoint, or `nil` when there is none.
    /// - Throws: when one exists but cannot be read (the message says where and why).
    func load() throws -> BatchCheckpoint?
    /// Replaces the saved checkpoint atomically.
    func save(_ checkpoint: BatchCheckpoint) throws
    /// Forgets the checkpoint (the run finished).
    func remove() throws
}

/// Where a batch's audit records go.
///
/// `AuditTrail` is the default sink. A block's records and the checkpoint that covers them
/// are committed together, so that after a crash the sink's progress is never behind the
/// records it holds.
public protocol BatchAuditSink: Sendable {
    /// Records the start of a run (its shared inputs and parameters) and returns the run's id.
    func beginBatch(_ run: AuditEntry) throws -> String
    /// Records one block's accounts of run `run` and, when given, the progress of `output`
    /// in the same transaction.
    func recordBlock(
        _ accounts: [BatchAccountRecord], run: String, engineVersion: String, time: String,
        progress: (output: String, checkpoint: String)?
    ) throws
    /// The progress last recorded for `output`, if any.
    func batchProgress(output: String) throws -> String?
    /// Forgets the progress of `output` (its run finished).
    func clearBatchProgress(output: String) throws
}

/// A checkpoint in a JSON file, replaced by writing a temporary file and renaming it.
public struct FileCheckpointStore: BatchCheckpointStore {
    /// The checkpoint file.
    public let path: String

    /// A store at `path` (by convention the output's path followed by `.checkpoint`).
    public init(path: String) { self.path = path }

    /// The file's form: the checkpoint and SHA-256 of its JSON, so that a damaged or edited
    /// file is recognised.
    struct Sealed: Codable {
        var checkpoint: BatchCheckpoint
        var sha256: String
    }

    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }

    /// Reads the checkpoint file and checks its checksum.
    /// - Throws: ``BatchRebalanceError`` when the file exists but is damaged, edited or of
    ///   another version.
    public func load() throws -> BatchCheckpoint? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        guard let sealed = try? JSONDecoder().decode(Sealed.self, from: data),
            let body = try? Self.encoder().encode(sealed.checkpoint), AuditEntry.digest(body) == sealed.sha256
        else {
            throw BatchRebalanceError(
                "\(path): the checkpoint is damaged or was edited (its checksum does not match); run again without --resume")
        }
        return sealed.checkpoint
    }

    /// Writes `PATH.tmp`, then renames it over the checkpoint.
    public func save(_ checkpoint: BatchCheckpoint) throws {
        let temp = path + ".tmp"
        do {
            let body = try Self.encoder().encode(checkpoint)
            let sealed = Sealed(checkpoint: checkpoint, sha256: AuditEntry.digest(body))
            try Self.encoder().encode(sealed).write(to: URL(fileURLWithPath: temp))
        } catch {
            throw BatchRebalanceError("\(temp): cannot save the checkpoint (\(reason(of: error)))")
        }
        guard rename(temp, path) == 0 else {
            throw BatchRebalanceError("\(path): cannot save the checkpoint (\(String(cString: strerror(errno))))")
        }
    }

    /// Removes the checkpoint file (a missing one is fine).
    public func remove() throws {
        if unlink(path) != 0 && errno != ENOENT {
            throw BatchRebalanceError("\(path): cannot remove the checkpoint (\(String(cString: strerror(errno))))")
        }
    }
}

/// The audit side of a batch: the sink, the pseudonymisation key, and what the run record
/// holds (the shared inputs' digests and the parameters).
public struct BatchAuditContext: Sendable {
    /// Where the records go.
    public var sink: any BatchAuditSink
    /// The secret of the pseudonymous account references.
    public var key: [UInt8]
    /// Input name to SHA-256 digest (prices, models, policy, catalogue).
    public var inputs: [String: String]
    /// Parameter name to value (as-of date, paths as given).
    public var parameters: [String: String]

    /// A context with every part given.
    public init(sink: any BatchAuditSink, key: [UInt8], inputs: [String: String], parameters: [String: String]) {
        self.sink = sink
        self.key = key
        self.inputs = inputs
        self.parameters = parameters
    }

    /// `acct-` and the first 24 hex digits of the keyed pseudonym of `account:ID`: the same
    /// account gets the same reference in every run with the same key.
    public func accountReference(_ id: String) -> String { AuditAccountPseudonyms(key: key).reference(id) }
}

// MARK: - The workflow

/// The batch rebalancer: JSON Lines in, JSON Lines out, in input order, crash-safe.
///
/// Input is read in blocks of whole lines; each block is planned in parallel (``jobs``
/// workers, each with its own output buffer) while a writer thread writes the previous block
/// in input order. After each block the writer saves a checkpoint (lines done, bytes written,
/// counts, and a fingerprint of the output's last bytes) through the ``checkpoints`` store,
/// after committing the block's audit records and the same progress to the audit sink.
/// After a killed process (even `kill -9`), ``resume`` checks the fingerprint, truncates the
/// output to the checkpoint and continues from the next line, so every account appears
/// exactly once. With ``durable`` the output is also flushed to disk before each checkpoint,
/// so that the same holds after the machine itself stops. A bad line becomes an error record
/// (`{"accountId", "error", "line", "status": "error"}`, sorted keys) and the run goes on; a
/// later line with an account id seen before becomes an error record naming the first line.
///
/// The workflow never prints: progress goes to ``progress`` and notes to ``logger``.
///
/// - Complexity: O(input bytes) time; memory O(block size x 2 + distinct account ids).
public struct BatchRebalancer: Sendable {
    /// Where the accounts come from.
    public var input: BatchInput
    /// Where the plans go.
    public var output: BatchOutput
    /// Also write the error records to this file.
    public var errors: String?
    /// Worker threads (at least 1).
    public var jobs: Int
    /// Continue an interrupted run from its checkpoint.
    public var resume = false
    /// Flush the output to disk before each checkpoint and at the end.
    public var durable = false
    /// The rebalancing rules and lot sizes.
    public var planner: RebalancePlanner
    /// Model id to symbol to target weight.
    public var targets: [String: [String: Double]]
    /// Symbol to price on ``asOf``.
    public var prices: [String: Double]
    /// The decision date.
    public var asOf: MarketDate
    /// The engine version that audit records name.
    public var engineVersion: String
    /// The audit trail's side (`nil`: no audit records).
    public var audit: BatchAuditContext?
    /// Where checkpoints go (default: ``FileCheckpointStore`` at the output's path + `.checkpoint`).
    public var checkpoints: (any BatchCheckpointStore)?
    /// Where notes go (resumes, fallbacks).
    public var logger: Logger = BallastWorkflows.silentLogger
    /// Called on the writer's thread after every block, and once more at the end.
    public var progress: (@Sendable (BatchProgress) -> Void)?
    /// Bytes read per block (default 4 MiB).
    public var blockSize = 4 << 20
    /// The longest input line planned, in bytes (default 1 MiB): a longer line becomes an
    /// error record and its bytes are dropped as they are read, so that memory stays bounded
    /// by this limit plus two blocks.
    public var maxLineBytes = 1 << 20
    /// The longest field of an account line, in bytes (default 64 KiB): a key, a text or a
    /// number longer than this makes the line an error record naming the field, its line and its
    /// account id. Checked only on lines longer than the limit, so ordinary lines cost nothing.
    public var maxFieldBytes = 1 << 16
    /// The largest input read, in bytes (default 256 GiB): a book file larger than this is
    /// refused before anything is written, and standard input that grows past it stops the run
    /// at the line that crosses it.
    public var maxInputBytes: UInt64 = 1 << 38
    /// The clock that stamps the audit records (default the system's). Each block record is
    /// stamped when the writer commits it, never earlier than the record before it, so that the
    /// chain's order and its times agree even when the system clock steps back.
    public var clock: @Sendable () -> Date = { Date() }
    /// A kill point for crash tests (`nil`: none).
    public var faultInjection: BatchFaultInjection?
    /// The circuit breakers judged after every block (`nil`: none): when one trips, the run
    /// stops before writing the block, records the halt in the audit trail and throws
    /// ``BatchHaltError``; the checkpoint lets a resume continue from there.
    public var breakers: CircuitBreakers?
    /// Who resumes a halted run past its breakers, and why (recorded in the run's audit record);
    /// the breakers are not judged while it is set.
    public var haltOverride: HaltOverride?

    /// Sets the crash-test switches from the environment (`Benchmarks/kill_harness.py`):
    /// `BALLAST_BATCH_KILL_AT=POINT:BLOCK` (``faultInjection``) and `BALLAST_BATCH_BLOCK_BYTES`
    /// (``blockSize``). Neither is set in normal use.
    ///
    /// - Throws: ``BatchRebalanceError`` for a kill point that does not parse.
    public mutating func applyCrashTestSwitches(_ environment: [String: String]) throws(BatchRebalanceError) {
        if let kill = environment["BALLAST_BATCH_KILL_AT"] {
            guard let fault = BatchFaultInjection(kill) else {
                throw BatchRebalanceError("BALLAST_BATCH_KILL_AT=\(kill): expected POINT:BLOCK, such as after-audit-commit:3")
            }
            faultInjection = fault
        }
        if let bytes = environment["BALLAST_BATCH_BLOCK_BYTES"].flatMap(Int.init), bytes > 0 { blockSize = bytes }
    }

    /// A batch from `input` to `output` with the planner, targets and prices it plans with.
    public init(
        input: BatchInput, output: BatchOutput, errors: String? = nil, jobs: Int = ProcessInfo.processInfo.activeProcessorCount,
        planner: RebalancePlanner, targets: [String: [String: Double]], prices: [String: Double], asOf: MarketDate,
        engineVersion: String
    ) {
        self.input = input
        self.output = output
        self.errors = errors
        self.jobs = jobs
        self.planner = planner
        self.targets = targets
        self.prices = prices
        self.asOf = asOf
        self.engineVersion = engineVersion
    }

    /// The default checkpoint path for an output file.
    public static func checkpointPath(for output: String) -> String { output + ".checkpoint" }

    var outputPath: String? {
        if case .file(let p) = output { return p }
        return nil
    }

    /// The checkpoint store in effect (`nil` for standard output).
    var checkpointStore: (any BatchCheckpointStore)? {
        guard let outputPath else { return nil }
        return checkpoints ?? FileCheckpointStore(path: Self.checkpointPath(for: outputPath))
    }

    // MARK: Planning one line (the general path)

    /// Plans one input line; returns the output line and the error line, if any. An
    /// `unterminated` line (the input's last, without a line end) that cannot be planned says so.
    func process(line: String, number: Int, unterminated: Bool = false) -> (
        output: String, error: String?, status: PlanStatus, turnover: Double, cost: Double, accountId: String?, tradedValue: Double
    ) {
        func failure(_ id: String?, _ reason: String) -> (String, String?, PlanStatus, Double, Double, String?, Double) {
            let cut =
                unterminated
                ? "the input ends in the middle of this line (no line end after it: the file was cut short or was still being written); "
                : ""
            let text = Self.errorRecord(line: number, accountId: id, cut + reason)
            return (text, text, .error, 0, 0, id, 0)
        }
        let account: Account
        do throws(RebalanceError) {
            // Lines the batch planner declined: the strict reader's errors name the field or the column.
            account = try Account.decode(json: line.utf8)
            try account.validate(asOf: asOf, lotSizes: planner.lotSizes, fractionalDecimals: planner.policy.fractionalDecimals)
        } catch {
            let id = error.accountId ?? Self.readableId(line)
            return failure(id, (error.field.map { "\($0): " } ?? "") + error.message)
        }
        guard let model = account.model else { return failure(account.id, "model: required") }
        guard let target = targets[model] else {
            return failure(account.id, "model \(model) is unknown; known models: \(targets.keys.sorted().joined(separator: ", "))")
        }
        do {
            let plan = try planner.plan(for: account, toward: target, at: prices, asOf: asOf)
            let traded = plan.trades.reduce(Money(cents: 0)) { $0 + $1.value }
            return (plan.jsonLine, nil, plan.status, plan.turnover, plan.estimatedCost.amount, account.id, traded.amount)
        } catch {
            return failure(account.id, (error.field.map { "\($0): " } ?? "") + error.message)
        }
    }

    /// An error record: `{"accountId", "error", "line", "status": "error"}` with sorted keys.
    static func errorRecord(line number: Int, accountId id: String?, _ reason: String) -> String {
        var record: [String: Any] = ["line": number, "status": "error", "error": reason]
        if let id { record["accountId"] = id }
        return (try? JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) }
            ?? "{\"status\":\"error\"}"
    }

    /// The longest field of a JSON line (a key, a text between quotes, or a bare number or
    /// word) with its length in bytes and a name for messages: `key "holdings"` for a value
    /// (the key it belongs to, shortened), `a key` for a key. `nil` for a line without fields.
    ///
    /// - Complexity: O(line length), one pass.
    static func longestField(in line: UnsafeBufferPointer<UInt8>) -> (bytes: Int, name: String)? {
        var best: (bytes: Int, start: Int, isKey: Bool, key: Range<Int>?)?
        var lastKey: Range<Int>?
        var k = 0
        while k < line.count {
            let c = line[k]
            var token: Range<Int>
            var quoted = false
            if c == 34 {
                // A text: up to the closing quote, skipping escaped characters.
                var j = k + 1
                while j < line.count && line[j] != 34 { j += line[j] == 92 ? 2 : 1 }
                token = (k + 1)..<min(j, line.count)
                quoted = true
                k = j + 1
            } else if c == 123 || c == 125 || c == 91 || c == 93 || c == 44 || c == 58 || c == 32 || c == 9 || c == 13 {
                k += 1
                continue
            } else {
                var j = k
                while j < line.count && ![123, 125, 91, 93, 44, 58, 32, 9, 13, 34].contains(line[j]) { j += 1 }
                token = k..<j
                k = j
            }
            // A key is a text followed by a colon.
            var n = k
            while n < line.count && (line[n] == 32 || line[n] == 9) { n += 1 }
            let isKey = quoted && n < line.count && line[n] == 58
            if best == nil || token.count > best!.bytes {
                best = (token.count, token.lowerBound, isKey, isKey ? nil : lastKey)
            }
            if isKey { lastKey = token }
        }
        guard let best else { return nil }
        if best.isKey { return (best.bytes, "a key") }
        guard let key = best.key else { return (best.bytes, "a value") }
        let name = String(
            decoding: UnsafeBufferPointer(rebasing: line[key.lowerBound..<min(key.upperBound, key.lowerBound + 40)]), as: UTF8.self)
        return (best.bytes, name + (key.count > 40 ? "..." : ""))
    }

    /// The id of a line that cannot be planned, when its top-level `id` can be read at all.
    static func readableId(_ line: String) -> String? {
        (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["id"] as? String
    }

    /// The account id a line stands for in the duplicate check: the id of its plan or error
    /// record, computed the same way for the lines before a resume's checkpoint.
    func identity(of line: UnsafeBufferPointer<UInt8>) -> String? {
        let text = String(decoding: line, as: UTF8.self)
        do throws(RebalanceError) { return try Account.decode(json: line).id } catch { return error.accountId ?? Self.readableId(text) }
    }

    // MARK: Blocks, parts and the writer

    /// One input line of a block, as the writer needs it for the duplicate-id check.
    /// A line of the block being read: its bytes (`start` -1: over the length limit, not kept),
    /// its number, and whether it lies before a resume's checkpoint (its id only).
    struct LineSpan {
        var start: Int
        var end: Int
        var number: Int
        var idOnly: Bool
    }

    /// Plain values only (the id's bytes are in the part's `ids`), so that a block's lines are
    /// copied without reference counting.
    struct LineInfo {
        /// The offset in the part's output just after this line's record (and newline).
        var end: Int
        /// Where the id's bytes start in the part's `ids`, and how many (-1: no id).
        var idStart: Int
        var idCount: Int
        /// ``FirstLineTable/hash(_:)`` of the id, computed by the worker.
        var idHash: UInt64
        var number: Int
        /// `nil` for a line before a resume's checkpoint (its id only, no output).
        var status: PlanStatus?
        var turnover: Double
        var cost: Double
        var traded: Double
    }

    /// What one worker produced for its share of a block.
    ///
    /// A part is owned by one thread at a time: its worker fills it inside
    /// `concurrentPerform`, then the block's parts go to the writer queue, and the workers
    /// take them back only after the writer signals the set's semaphore. The semaphores give
    /// the happens-before edges; that hand-off is why the class is `@unchecked Sendable`.
    final class Part: @unchecked Sendable {
        let output = ByteSink(capacity: 4 << 20)
        let errors = ByteSink(capacity: 1 << 12)
        var counts = BatchSummary()
        var scratch = BatchPlanner.Scratch()
        var records: [BatchAccountRecord] = []
        var lines: [LineInfo] = []
        /// The ids of `lines`, back to back.
        var ids: [UInt8] = []

        /// Empties the part for the next block, keeping its capacity.
        func reset() {
            output.removeAll()
            errors.removeAll()
            counts = BatchSummary()
            records.removeAll(keepingCapacity: true)
            lines.removeAll(keepingCapacity: true)
            ids.removeAll(keepingCapacity: true)
        }

        /// Records a line whose output ends at the output's current end.
        func addLine(id: String?, number: Int, status: PlanStatus?, turnover: Double = 0, cost: Double = 0, traded: Double = 0) {
            let start = ids.count
            var (count, hash) = (-1, UInt64(0))
            if var id {
                id.withUTF8 { bytes in
                    ids.append(contentsOf: bytes)
                    count = bytes.count
                    hash = FirstLineTable.hash(UnsafeRawBufferPointer(bytes))
                }
            }
            lines.append(
                LineInfo(
                    end: output.count, idStart: start, idCount: count, idHash: hash, number: number, status: status, turnover: turnover,
                    cost: cost, traded: traded))
        }

        /// The id of a line (`nil`: none).
        func id(of line: LineInfo) -> String? {
            guard line.idCount >= 0 else { return nil }
            return String(decoding: ids[line.idStart..<(line.idStart + line.idCount)], as: UTF8.self)
        }
    }

    /// The writer's state: touched only on its queue, and by the caller after the queue drained.
    struct WriterState {
        var counts: BatchSummary
        var outTail: [UInt8]
        var errTail: [UInt8]
        var lastWritten = (lines: 0, time: "")
        /// The time of the last audit record written (block records are never stamped earlier).
        var lastStamp = ""
    }

    /// Writes blocks in order on its own queue, keeps the counts, saves checkpoints.
    final class Writer: Sendable {
        let out: FileHandle
        let err: FileHandle?
        let checkpoints: (any BatchCheckpointStore)?
        let durable: Bool
        let audit: (any BatchAuditSink)?
        let run: String
        let engineVersion: String
        let options: [String: String]
        let fault: BatchFaultInjection?
        let clock: @Sendable () -> Date
        let blocks = Mutex(0)
        let outputPath: String
        let state: Mutex<WriterState>
        /// The first failure; the reading loop checks it between blocks.
        let failure = Mutex<(any Error)?>(nil)
        let queue = DispatchQueue(label: "ballast.batch.writer")

        init(
            out: FileHandle, err: FileHandle?, checkpoints: (any BatchCheckpointStore)?, durable: Bool, audit: (any BatchAuditSink)?,
            run: String, engineVersion: String, options: [String: String], fault: BatchFaultInjection?, outputPath: String,
            state: WriterState, clock: @escaping @Sendable () -> Date
        ) {
            self.fault = fault
            self.clock = clock
            self.engineVersion = engineVersion
            self.options = options
            self.out = out
            self.err = err
            self.checkpoints = checkpoints
            self.durable = durable
            self.audit = audit
            self.run = run
            self.outputPath = outputPath
            self.state = Mutex(state)
        }

        var failed: (any Error)? { failure.withLock { $0 } }

        /// The time of a record committed now: the clock's, or the last record's when the clock
        /// stepped back.
        func stamp(_ state: inout WriterState) -> String {
            let now = AuditEntry.timestamp(clock())
            state.lastStamp = max(now, state.lastStamp)
            return state.lastStamp
        }

        static func keepTail(_ tail: inout [UInt8], _ bytes: UnsafeRawBufferPointer) {
            if bytes.count >= 4096 {
                tail = Array(bytes[(bytes.count - 4096)...])
            } else if bytes.count > 0 {
                tail.append(contentsOf: bytes)
                if tail.count > 4096 { tail.removeFirst(tail.count - 4096) }
            }
        }

        /// Turns every later occurrence of an account id into an error record naming the line of
        /// the first, in input order (the first is planned as usual; a line that failed for
        /// another reason keeps its own error). Lines before a resume's checkpoint only register
        /// their ids. Rare: parts without duplicates are left as they are.
        static func replaceDuplicates(_ part: Part, _ firstLines: inout FirstLineTable) {
            var duplicates: [(Int, Int)] = []  // (index in part.lines, first line)
            part.ids.withUnsafeBytes { ids in
                for (k, l) in part.lines.enumerated() where l.idCount >= 0 {
                    let id = UnsafeRawBufferPointer(rebasing: ids[l.idStart..<(l.idStart + l.idCount)])
                    if let first = firstLines.firstLine(of: id, hash: l.idHash, line: l.number) {
                        if l.status != nil && l.status != .error { duplicates.append((k, first)) }
                    }
                }
            }
            guard !duplicates.isEmpty else { return }
            let old = Array(part.output.bytes)
            let oldErrors = Array(part.errors.bytes).split(separator: 10, omittingEmptySubsequences: false)
            var nextError = 0
            part.output.removeAll()
            part.errors.removeAll()
            var start = 0
            var d = 0
            var record = -1  // audit records exist for planned lines only
            for (k, l) in part.lines.enumerated() {
                defer { start = l.end }
                guard let status = l.status else { continue }
                record += 1
                if d < duplicates.count && duplicates[d].0 == k {
                    let first = duplicates[d].1
                    d += 1
                    let id = part.id(of: l)
                    let text = BatchRebalancer.errorRecord(
                        line: l.number, accountId: id,
                        "id: account \(id ?? "") is already in the book at line \(first); give each account one line (this one is not planned)"
                    )
                    var bytes = Array(text.utf8)
                    bytes.append(10)
                    bytes.withUnsafeBytes {
                        part.output.append($0)
                        part.errors.append($0)
                    }
                    part.counts.errors += 1
                    part.counts.turnover -= l.turnover
                    part.counts.cost -= l.cost
                    part.counts.tradedValue -= l.traded
                    if status != .error { part.counts.count(status, by: -1) }
                    if record < part.records.count {
                        part.records[record].status = PlanStatus.error.rawValue
                        part.records[record].duplicateOfLine = first
                        part.records[record].planDigest = AuditHash(of: bytes.dropLast())
                    }
                    continue
                }
                old[start..<l.end].withUnsafeBytes { part.output.append($0) }
                if status == .error && nextError < oldErrors.count {
                    Array(oldErrors[nextError]).withUnsafeBytes { part.errors.append($0) }
                    part.errors.append(10)
                    nextError += 1
                }
            }
        }

        /// Writes the parts of one block, then records that the input up to `linesDone` is done.
        func write(_ parts: [Part], linesDone: Int, input: (bytes: UInt64, digest: String), checkpoint: Bool = true) {
            guard failed == nil else { return }
            do {
                try state.withLock { state in
                    for part in parts {
                        do { try out.write(contentsOf: part.output.bytes) } catch {
                            throw BatchRebalanceError("\(outputPath): cannot write the plans (\(reason(of: error)))")
                        }
                        Self.keepTail(&state.outTail, part.output.bytes)
                        if let err, part.errors.count > 0 {
                            do { try err.write(contentsOf: part.errors.bytes) } catch {
                                throw BatchRebalanceError("cannot write the error records (\(reason(of: error)))")
                            }
                            Self.keepTail(&state.errTail, part.errors.bytes)
                        }
                        state.counts.add(part.counts)
                    }
                    // A resume's blocks before its checkpoint only register ids: saving a
                    // checkpoint for them would move progress back (and before the input is checked).
                    guard checkpoint else { return }
                    let block = blocks.withLock {
                        $0 += 1
                        return $0
                    }
                    fault?.reached(.afterOutputWrite, block: block)
                    let records = parts.flatMap(\.records)
                    let time = stamp(&state)
                    guard let checkpoints else {
                        // A pipe stage has no checkpoint, but its accounts are recorded all the same.
                        if let audit { try audit.recordBlock(records, run: run, engineVersion: engineVersion, time: time, progress: nil) }
                        return
                    }
                    if durable {
                        try out.synchronize()
                        try err?.synchronize()
                    }
                    var cp = BatchCheckpoint(
                        linesDone: linesDone, bytesWritten: try out.offset(), errorBytesWritten: try err?.offset() ?? 0,
                        outputTail: fnv1a(state.outTail), errorTail: fnv1a(state.errTail), counts: state.counts)
                    (cp.inputBytes, cp.inputDigest, cp.options) = (input.bytes, input.digest, options)
                    if let audit {
                        // The block's records and the progress that covers them commit together.
                        try audit.recordBlock(
                            records, run: run, engineVersion: engineVersion, time: time,
                            progress: (outputPath, String(decoding: try JSONEncoder().encode(cp), as: UTF8.self)))
                    }
                    fault?.reached(.afterAuditCommit, block: block)
                    try checkpoints.save(cp)
                    fault?.reached(.afterCheckpoint, block: block)
                }
            } catch {
                failure.withLock { $0 = error }
            }
        }
    }

    // MARK: Running

    /// Opens an output for a fresh run or for a resume at `offset`, checking that the bytes
    /// before the offset are the ones the checkpoint saw; returns the handle and its tail.
    func open(_ path: String, at offset: UInt64, tail expected: UInt64?) throws -> (FileHandle, [UInt8]) {
        let fm = FileManager.default
        if expected == nil {
            guard fm.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw BatchRebalanceError("\(path): cannot create the file (\(String(cString: strerror(errno))))")
            }
        }
        guard let h = FileHandle(forUpdatingAtPath: path) else {
            throw BatchRebalanceError("\(path): cannot open for writing (\(String(cString: strerror(errno))))")
        }
        var tail: [UInt8] = []
        if let expected {
            let size = try h.seekToEnd()
            let start = offset - min(offset, 4096)
            try h.seek(toOffset: start)
            tail = size >= offset ? Array(try h.read(upToCount: Int(offset - start)) ?? Data()) : []
            guard size >= offset, fnv1a(tail) == expected else {
                throw BatchRebalanceError(
                    "\(path): does not hold what the checkpoint recorded (the machine may have stopped before the output "
                        + "reached the disk); run again without --resume, and use --fsync to make checkpoints survive that")
            }
        }
        try h.truncate(atOffset: offset)
        try h.seek(toOffset: offset)
        return (h, tail)
    }

    /// What the plans depend on, by name, to digests (kept in every checkpoint).
    var optionDigests: [String: String] {
        var d = [
            "as-of date": asOf.description, "rebalancing policy": AuditDigest.json(planner.policy),
            "lot sizes": AuditDigest.json(planner.lotSizes), "model targets": AuditDigest.json(targets),
            "prices": AuditDigest.json(prices),
        ]
        if let c = planner.controls { d["set of pre-trade controls"] = AuditDigest.json(c) }
        if let b = breakers { d["set of circuit breakers"] = AuditDigest.json(b) }
        return d
    }

    /// The checkpoint to resume from: the store's, or the audit sink's when it is later (or
    /// when the store's is missing or damaged).
    func resumePoint(output: String, absoluteOutput: String) throws -> BatchCheckpoint? {
        guard resume else { return nil }
        let fm = FileManager.default
        var checkpoint: BatchCheckpoint?
        var damaged: (any Error)?
        do { checkpoint = try checkpointStore?.load() } catch { damaged = error }
        if let audit, let text = try audit.sink.batchProgress(output: absoluteOutput),
            let cp = try? JSONDecoder().decode(BatchCheckpoint.self, from: Data(text.utf8)), cp.linesDone > (checkpoint?.linesDone ?? -1),
            checkpoint != nil || fm.fileExists(atPath: output)
        {
            // The audit records of a block and its progress commit together; the checkpoint
            // is saved just after. When the process died between the two, or the checkpoint
            // is missing or damaged, the sink holds the later (and consistent) one.
            logger.info("resuming from the audit trail's progress", metadata: ["line": "\(cp.linesDone)"])
            checkpoint = cp
            damaged = nil
        }
        if let damaged { throw damaged }
        guard let checkpoint else {
            // Killed before its first checkpoint: nothing was recorded as done (audit records
            // commit with the progress), so the run starts from the first line.
            if fm.fileExists(atPath: output) {
                logger.notice("no checkpoint yet: resuming from the first line", metadata: ["output": "\(output)"])
            }
            return nil
        }
        for (name, digest) in optionDigests.sorted(by: { $0.key < $1.key }) where checkpoint.options[name] != digest {
            let was = name == "as-of date" ? " (\(checkpoint.options[name] ?? "none"))" : ""
            throw BatchRebalanceError(
                "\(output): --resume with another \(name) than the interrupted run's\(was); use the same options, or run again without --resume"
            )
        }
        if let errors, checkpoint.errorBytesWritten > 0, !fm.fileExists(atPath: errors) {
            throw BatchRebalanceError(
                "\(errors): the error records of the interrupted run are missing; restore the file, or run again without --resume")
        }
        return checkpoint
    }

    /// Runs the batch to the end of the input and returns its summary.
    ///
    /// - Throws: ``BatchRebalanceError`` for files that cannot be read or written and for a
    ///   resume that does not match the output; the audit sink's and the checkpoint store's
    ///   own errors as they are. Bad lines are not errors: they become error records.
    public func run() throws -> BatchSummary {
        var counts = BatchSummary()
        var skip = 0
        let outHandle: FileHandle
        var errHandle: FileHandle?
        var outTail: [UInt8] = []
        var errTail: [UInt8] = []
        var absoluteOutput = ""
        var lock: OutputLock?
        var expectedInput: (bytes: UInt64, digest: String)?
        if let output = outputPath {
            absoluteOutput = URL(fileURLWithPath: output).standardizedFileURL.path
            // One writer per output: a second instance stops before it touches anything.
            lock = try OutputLock(output: output)
            let checkpoint = try resumePoint(output: output, absoluteOutput: absoluteOutput)
            if let cp = checkpoint, cp.finished {
                // Recognised as done: the plans and their records are there already.
                logger.notice("the run finished already; nothing to do", metadata: ["output": "\(output)", "lines": "\(cp.linesDone)"])
                withExtendedLifetime(lock) {}
                return cp.counts
            }
            if let cp = checkpoint, cp.inputBytes > 0 { expectedInput = (cp.inputBytes, cp.inputDigest) }
            if let cp = checkpoint {
                skip = cp.linesDone
                counts = cp.counts
                logger.info("resuming", metadata: ["output": "\(output)", "line": "\(skip)"])
            }
            (outHandle, outTail) = try open(output, at: checkpoint?.bytesWritten ?? 0, tail: checkpoint?.outputTail)
            if let errors {
                let resumeErrors = checkpoint != nil && FileManager.default.fileExists(atPath: errors)
                (errHandle, errTail) = try open(
                    errors, at: resumeErrors ? checkpoint?.errorBytesWritten ?? 0 : 0, tail: resumeErrors ? checkpoint?.errorTail : nil)
            }
        } else {
            outHandle = FileHandle.standardOutput
        }
        let inputHandle: FileHandle
        var inputSize: UInt64?
        switch input {
        case .standardInput: inputHandle = FileHandle.standardInput
        case .file(let path):
            guard let h = FileHandle(forReadingAtPath: path) else {
                throw BatchRebalanceError("\(path): cannot read the accounts (\(String(cString: strerror(errno))))")
            }
            inputHandle = h
            inputSize = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.uint64Value
            if let size = inputSize, size > maxInputBytes {
                throw BatchRebalanceError(
                    "\(path): \(size) bytes, larger than \(maxInputBytes), the largest input allowed (raise it with --max-input-bytes, or split the book); nothing was planned"
                )
            }
        }
        let fast: BatchPlanner?
        do { fast = try BatchPlanner(planner: planner, targets: targets, prices: prices, asOf: asOf) } catch {
            logger.notice("every line takes the general planner", metadata: ["reason": "\(error)"])
            fast = nil
        }
        let workers = max(1, jobs)
        var runId = ""
        var runTime = ""
        if let audit {
            let run = AuditEntry(
                command: "rebalance-batch", engineVersion: engineVersion, inputs: audit.inputs,
                parameters: audit.parameters.merging(
                    ["resumedAtLine": String(skip)].merging(
                        haltOverride.map { ["haltOverriddenBy": $0.by, "haltOverrideReason": $0.reason] } ?? [:]
                    ) { $1 }
                ) { $1 },
                outputs: "{}", time: clock())
            runTime = run.time
            runId = try audit.sink.beginBatch(run)
        }
        var writerState = WriterState(counts: counts, outTail: outTail, errTail: errTail)
        writerState.lastStamp = runTime
        let writer = Writer(
            out: outHandle, err: errHandle, checkpoints: checkpointStore, durable: durable, audit: audit?.sink, run: runId,
            engineVersion: engineVersion, options: optionDigests, fault: faultInjection, outputPath: absoluteOutput,
            state: writerState, clock: clock
        )
        let audit = self.audit
        // The pseudonym key is set up once for the run, not once per account.
        let pseudonyms = audit.map { AuditAccountPseudonyms(key: $0.key) }
        // Two sets of parts: the workers fill one while the writer empties the other.
        let sets = [(0..<workers).map { _ in Part() }, (0..<workers).map { _ in Part() }]
        let free = [DispatchSemaphore(value: 1), DispatchSemaphore(value: 1)]
        // The line of each account id's first occurrence (the duplicate check).
        var firstLines = FirstLineTable()
        // The summary of the blocks handed to the writer (the breakers' figures), and their lines.
        var running = counts
        var sentLines = skip
        var current = 0
        var linesRead = 0
        var bytesRead: UInt64 = 0
        var buffer: [UInt8] = []
        var atEnd = false
        // The block's lines (one array of plain values: one append per line).
        var spans: [LineSpan] = []
        let progress = self.progress
        // The identity of the input read so far: its length and SHA-256, kept in checkpoints.
        var inputHasher = SHA256()
        var skippingLongLine = false
        var inputConsumed: UInt64 = 0
        let inputName: String
        if case .file(let path) = input { inputName = path } else { inputName = "the input" }
        while !atEnd {
            // Read a block and cut it into whole lines; the unfinished tail waits for the next.
            // read(2) returns what is there: a pipe's lines are planned as they arrive.
            let got = try readBlock(inputHandle.fileDescriptor, into: &buffer, upTo: blockSize)
            if got == 0 { atEnd = true }
            bytesRead += UInt64(got)
            if bytesRead > maxInputBytes {
                // A pipe that goes on past the limit: the blocks before are written and checkpointed.
                writer.queue.sync {}
                throw BatchRebalanceError(
                    "\(inputName): more than \(maxInputBytes) bytes, the largest input allowed, after line \(linesRead) (raise it with --max-input-bytes); the lines before are planned"
                )
            }
            if got == 0, case .file(let path) = input, let size = inputSize, bytesRead != size {
                // Another process was still writing the book (or cut it short): its end is not
                // a book's end. The blocks before it are checkpointed; the tail is not planned.
                writer.queue.sync {}
                throw BatchRebalanceError(
                    bytesRead > size
                        ? "\(path): the file grew while it was read (\(size) bytes when the run started, \(bytesRead) read): it was still being written; wait until it is complete, then run again with --resume"
                        : "\(path): the file shrank while it was read (\(size) bytes when the run started, only \(bytesRead) there at the end): it was cut short or replaced; run again without --resume once it is complete"
                )
            }
            spans.removeAll(keepingCapacity: true)
            // The block's index of a last line without a line end (-1: none).
            var unterminated = -1
            var consumed = 0
            let limit = maxLineBytes
            buffer.withUnsafeBufferPointer { b in
                guard let base = b.baseAddress else { return }
                var p = 0
                if skippingLongLine {
                    // The rest of a line over the limit: dropped up to its end.
                    guard let hit = memchr(base, 10, b.count) else {
                        p = b.count
                        if atEnd { skippingLongLine = false }
                        consumed = p
                        return
                    }
                    p = hit.assumingMemoryBound(to: UInt8.self) - UnsafeMutablePointer(mutating: base) + 1
                    skippingLongLine = false
                }
                while p < b.count {
                    let hit = memchr(base + p, 10, b.count - p)
                    guard hit != nil || atEnd else {
                        if b.count - p > limit {
                            // A line over the limit: an error record, and its bytes are not kept.
                            linesRead += 1
                            spans.append(LineSpan(start: -1, end: 0, number: linesRead, idOnly: linesRead <= skip))
                            p = b.count
                            skippingLongLine = true
                        }
                        break
                    }
                    let newline = hit.map { $0.assumingMemoryBound(to: UInt8.self) - UnsafeMutablePointer(mutating: base) } ?? b.count
                    var end = newline
                    if end > p && b[end - 1] == 13 { end -= 1 }
                    linesRead += 1
                    var blank = true
                    for k in p..<end where b[k] != 32 && b[k] != 9 {
                        blank = false
                        break
                    }
                    if !blank {
                        // Lines before a resume's checkpoint only give their ids to the duplicate check.
                        spans.append(LineSpan(start: end - p > limit ? -1 : p, end: end, number: linesRead, idOnly: linesRead <= skip))
                        if hit == nil { unterminated = spans.count - 1 }
                    }
                    p = min(newline + 1, b.count)
                }
                consumed = p
            }
            // Only a checkpointed output needs the input's identity (a pipe stage has no resume).
            if outputPath != nil {
                buffer.withUnsafeBytes { b in
                    var chunk = UnsafeRawBufferPointer(rebasing: b[0..<consumed])
                    if let expected = expectedInput, inputConsumed + UInt64(chunk.count) >= expected.bytes {
                        let head = Int(expected.bytes - inputConsumed)
                        inputHasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: chunk[0..<head]))
                        let digest = AuditHash(inputHasher.finalize()).hex
                        if digest != expected.digest { expectedInput = (0, "differs") } else { expectedInput = nil }
                        inputConsumed += UInt64(head)
                        chunk = UnsafeRawBufferPointer(rebasing: chunk[head...])
                    }
                    inputHasher.update(bufferPointer: chunk)
                    inputConsumed += UInt64(chunk.count)
                }
            }
            if let expected = expectedInput, expected.bytes == 0 || atEnd {
                throw BatchRebalanceError(
                    "\(inputName): --resume with another input than the interrupted run's (its first "
                        + (expected.bytes == 0 ? "lines differ" : "\(expected.bytes) bytes are no longer there")
                        + "); resume with the same book, or run again without --resume")
            }
            if let failure = writer.failed { throw failure }
            let parts = sets[current]
            free[current].wait()
            let count = spans.count
            let slice = (count + workers - 1) / workers
            let (lineSpans, cut) = (spans, unterminated)
            buffer.withUnsafeBufferPointer { b in
                nonisolated(unsafe) let bytes = b
                DispatchQueue.concurrentPerform(iterations: workers) { w in
                    let part = parts[w]
                    part.reset()
                    let lo = w * slice
                    let hi = min(count, lo + slice)
                    guard lo < hi else { return }
                    for k in lo..<hi {
                        if lineSpans[k].start < 0 {
                            // A line over the limit: its bytes were not kept.
                            guard !lineSpans[k].idOnly else {
                                part.addLine(id: nil, number: lineSpans[k].number, status: nil)
                                continue
                            }
                            var text = Self.errorRecord(
                                line: lineSpans[k].number, accountId: nil,
                                "the line is longer than \(maxLineBytes) bytes, the limit (raise it with --max-line-bytes); it is not planned"
                            )
                            text.withUTF8 {
                                part.output.append(UnsafeRawBufferPointer($0))
                                part.errors.append(UnsafeRawBufferPointer($0))
                            }
                            part.errors.append(10)
                            if audit != nil {
                                part.records.append(
                                    BatchAccountRecord(
                                        line: lineSpans[k].number, accountRef: nil, accountDigest: AuditHash(of: Data()),
                                        planDigest: AuditHash(of: Data(text.utf8)), status: PlanStatus.error.rawValue))
                            }
                            part.output.append(10)
                            part.addLine(id: nil, number: lineSpans[k].number, status: .error)
                            part.counts.lines += 1
                            part.counts.errors += 1
                            continue
                        }
                        let line = UnsafeBufferPointer(rebasing: bytes[lineSpans[k].start..<lineSpans[k].end])
                        if !lineSpans[k].idOnly, line.count > maxFieldBytes, let field = Self.longestField(in: line),
                            field.bytes > maxFieldBytes
                        {
                            // A field over the limit: an error record naming it, the line and the account.
                            let id = identity(of: line).flatMap { $0.utf8.count <= maxFieldBytes ? $0 : nil }
                            var text = Self.errorRecord(
                                line: lineSpans[k].number, accountId: id,
                                "\(field.name): \(field.bytes) bytes, longer than \(maxFieldBytes), the longest field allowed (raise it with --max-field-bytes); the line is not planned"
                            )
                            text.withUTF8 {
                                part.output.append(UnsafeRawBufferPointer($0))
                                part.errors.append(UnsafeRawBufferPointer($0))
                            }
                            part.errors.append(10)
                            if let pseudonyms {
                                var record = text
                                part.records.append(
                                    BatchAccountRecord(
                                        line: lineSpans[k].number, accountRef: id.map(pseudonyms.reference),
                                        accountDigest: AuditHash(sha256Of: UnsafeRawBufferPointer(line)),
                                        planDigest: record.withUTF8 { AuditHash(sha256Of: UnsafeRawBufferPointer($0)) },
                                        status: PlanStatus.error.rawValue))
                            }
                            part.output.append(10)
                            part.addLine(id: id, number: lineSpans[k].number, status: .error)
                            part.counts.lines += 1
                            part.counts.errors += 1
                            continue
                        }
                        if lineSpans[k].idOnly {
                            let id = identity(of: line)
                            part.addLine(id: id, number: lineSpans[k].number, status: nil)
                            continue
                        }
                        let status: PlanStatus
                        var lineTurnover = 0.0
                        var lineCost = 0.0
                        var lineTraded = 0.0
                        let outputStart = part.output.count
                        var accountId: String?
                        // A last line without a line end takes the general path, so that its error names the cut.
                        if k != cut, let o = fast?.plan(line: line, into: part.output, scratch: &part.scratch) {
                            accountId = o.accountId
                            status = o.status
                            (lineTurnover, lineCost, lineTraded) = (o.turnover, o.estimatedCost, o.tradedValue)
                        } else {
                            let r = process(
                                line: String(decoding: line, as: UTF8.self), number: lineSpans[k].number, unterminated: k == cut)
                            var text = r.output
                            text.withUTF8 { part.output.append(UnsafeRawBufferPointer($0)) }
                            if var error = r.error {
                                error.withUTF8 { part.errors.append(UnsafeRawBufferPointer($0)) }
                                part.errors.append(10)
                            }
                            status = r.status
                            accountId = r.accountId
                            (lineTurnover, lineCost, lineTraded) = (r.turnover, r.cost, r.tradedValue)
                        }
                        if let pseudonyms {
                            let plan = UnsafeRawBufferPointer(rebasing: part.output.bytes[outputStart..<part.output.count])
                            part.records.append(
                                BatchAccountRecord(
                                    line: lineSpans[k].number, accountRef: accountId.map(pseudonyms.reference),
                                    accountDigest: AuditHash(sha256Of: UnsafeRawBufferPointer(line)),
                                    planDigest: AuditHash(sha256Of: plan),
                                    status: status.rawValue))
                        }
                        part.output.append(10)
                        part.counts.turnover += lineTurnover
                        part.counts.cost += lineCost
                        part.counts.tradedValue += lineTraded
                        part.addLine(
                            id: accountId, number: lineSpans[k].number, status: status, turnover: lineTurnover, cost: lineCost,
                            traded: lineTraded)
                        part.counts.lines += 1
                        part.counts.count(status)
                    }
                }
            }
            buffer.removeFirst(consumed)
            // The duplicate check, in input order, here rather than on the writer's queue: the
            // writer's thread is the busier one (its writes copy every plan into the file).
            for part in parts { Writer.replaceDuplicates(part, &firstLines) }
            if let breakers, haltOverride == nil, linesRead > skip {
                // The figures with this block, judged before any of it is written.
                var withBlock = running
                for part in parts { withBlock.add(part.counts) }
                if let trip = breakers.tripped(
                    lines: withBlock.lines, trading: withBlock.rebalanced + withBlock.cashFlowOnly, tradedValue: withBlock.tradedValue,
                    errors: withBlock.errors, held: withBlock.held)
                {
                    // The block's parts go back unused (a semaphore must not end below its start).
                    free[current].signal()
                    writer.queue.sync {}
                    if let failure = writer.failed { throw failure }
                    let linesDone = sentLines
                    var recordId: String?
                    if let audit {
                        let entry = AuditEntry(
                            command: .rebalanceHalt, engineVersion: engineVersion, inputs: audit.inputs,
                            parameters: audit.parameters.merging(["run": runId, "linesDone": String(linesDone)]) { $1 },
                            outputs: AuditDigest.canonicalJSON(trip), time: clock())
                        recordId = try audit.sink.beginBatch(entry)
                    }
                    throw BatchHaltError(trip: trip, linesDone: linesDone, auditRecordId: recordId)
                }
                running = withBlock
            }
            let done = linesRead
            sentLines = max(sentLines, done)
            let release = free[current]
            let (read, size, finished) = (bytesRead, inputSize, atEnd)
            let pastResume = done > skip
            let inputSoFar = (inputConsumed, AuditHash(inputHasher.finalize()).hex)
            writer.queue.async {
                writer.write(parts, linesDone: done, input: inputSoFar, checkpoint: pastResume)
                release.signal()
                if let progress {
                    let c = writer.state.withLock { $0.counts }
                    progress(BatchProgress(lines: c.lines, errors: c.errors, bytesRead: read, inputSize: size, finished: finished))
                }
            }
            current = 1 - current
        }
        writer.queue.sync {}
        if let failure = writer.failed { throw failure }
        if let output = outputPath {
            if durable {
                // A finished durable run is on disk before it reports success.
                try outHandle.synchronize()
                try errHandle?.synchronize()
            }
            // The last checkpoint stays, marked finished, so that a resume recognises the run.
            let final = writer.state.withLock { state in
                var cp = BatchCheckpoint(
                    linesDone: linesRead, bytesWritten: (try? outHandle.offset()) ?? 0,
                    errorBytesWritten: errHandle.flatMap { try? $0.offset() } ?? 0,
                    outputTail: fnv1a(state.outTail), errorTail: fnv1a(state.errTail), counts: state.counts)
                (cp.inputBytes, cp.inputDigest, cp.options, cp.finished) = (
                    inputConsumed, AuditHash(inputHasher.finalize()).hex, optionDigests, true
                )
                return cp
            }
            if let audit {
                try audit.sink.recordBlock(
                    [], run: runId, engineVersion: engineVersion, time: writer.state.withLock { writer.stamp(&$0) },
                    progress: (absoluteOutput, String(decoding: try JSONEncoder().encode(final), as: UTF8.self)))
            }
            try checkpointStore?.save(final)
            do {
                try outHandle.close()
                try errHandle?.close()
            } catch {
                throw BatchRebalanceError("\(output): cannot finish writing (\(reason(of: error)))")
            }
        }
        withExtendedLifetime(lock) {}
        return writer.state.withLock { $0.counts }
    }
}

// MARK: - Helpers

/// An exclusive lock on `OUTPUT.lock` for as long as the value lives (released by the system
/// when the process ends, even by `kill -9`).
final class OutputLock: Sendable {
    let fd: Int32

    init(output: String) throws {
        let path = output + ".lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw BatchRebalanceError("\(path): cannot create the output's lock file (\(String(cString: strerror(errno))))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw BatchRebalanceError(
                "\(output): another run is writing this output (it holds \(path)); wait for it to finish, or choose another output")
        }
    }

    deinit { close(fd) }
}

/// Appends up to `limit` bytes read from `fd` to `buffer`; 0 at the end of the input.
func readBlock(_ fd: Int32, into buffer: inout [UInt8], upTo limit: Int) throws -> Int {
    let old = buffer.count
    buffer.append(contentsOf: repeatElement(0, count: limit))
    var got = 0
    while true {
        got = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + old, limit) }
        if got >= 0 || errno != EINTR { break }
    }
    buffer.removeLast(limit - max(got, 0))
    if got < 0 { throw BatchRebalanceError("cannot read the accounts: \(String(cString: strerror(errno)))") }
    return got
}

/// FNV-1a, 64 bits.
func fnv1a(_ bytes: [UInt8]) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    return h
}

/// The reason of a file error in words (`No space left on device`), without type names.
func reason(of error: any Error) -> String {
    let ns = error as NSError
    if let posix = ns.userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain {
        return String(cString: strerror(Int32(posix.code)))
    }
    if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
    return ns.localizedDescription
}
