import BallastAudit
import BallastMarketData
import BallastRebalancing
import Foundation
import Synchronization
import Testing

@testable import BallastWorkflows

/// An audit sink in memory, with an optional fault after a number of blocks.
final class MemorySink: BatchAuditSink {
    struct State {
        var runs: [AuditEntry] = []
        var accounts: [BatchAccountRecord] = []
        var progress: [String: String] = [:]
        /// The time of each block record, in the order recorded.
        var blockTimes: [String] = []
    }
    let state = Mutex(State())

    func beginBatch(_ run: AuditEntry) throws -> String {
        state.withLock {
            $0.runs.append(run)
            return String($0.runs.count)
        }
    }

    func recordBlock(
        _ accounts: [BatchAccountRecord], run: String, engineVersion: String, time: String,
        progress: (output: String, checkpoint: String)?
    ) throws {
        state.withLock {
            $0.accounts += accounts
            $0.blockTimes.append(time)
            if let progress { $0.progress[progress.output] = progress.checkpoint }
        }
    }

    func batchProgress(output: String) throws -> String? { state.withLock { $0.progress[output] } }
    func clearBatchProgress(output: String) throws { _ = state.withLock { $0.progress.removeValue(forKey: output) } }
}

/// A checkpoint store in memory that fails its `failAt`-th save (simulating a process that
/// died after the audit commit and before the checkpoint was saved).
final class MemoryCheckpoints: BatchCheckpointStore {
    let saved = Mutex<(BatchCheckpoint?, Int)>((nil, 0))
    let failAt: Int?
    init(failAt: Int? = nil) { self.failAt = failAt }

    func load() throws -> BatchCheckpoint? { saved.withLock { $0.0 } }
    func save(_ checkpoint: BatchCheckpoint) throws {
        try saved.withLock {
            $0.1 += 1
            if $0.1 == failAt { throw BatchRebalanceError("injected fault") }
            $0.0 = checkpoint
        }
    }
    func remove() throws { saved.withLock { $0.0 = nil } }
}

/// The file store, failing its `failAt`-th save as a killed process would.
final class StoppingFileStore: BatchCheckpointStore {
    let file: FileCheckpointStore
    let saves = Mutex(0)
    let failAt: Int
    init(file: FileCheckpointStore, failAt: Int) {
        self.file = file
        self.failAt = failAt
    }
    func load() throws -> BatchCheckpoint? { try file.load() }
    func save(_ checkpoint: BatchCheckpoint) throws {
        let n = saves.withLock {
            $0 += 1
            return $0
        }
        if n == failAt { throw BatchRebalanceError("injected fault") }
        try file.save(checkpoint)
    }
    func remove() throws { try file.remove() }
}

/// An empty folder of this test process, `ballast-NAME` in the temporary directory.
func scratchFolder(_ name: String) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-\(getpid())-\(name)").path
    try? FileManager.default.removeItem(atPath: dir)
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

@Suite("Batch rebalancer")
struct BatchRebalancerTests {
    static let asOf = MarketDate(iso: "2022-12-28")!

    func folder(_ name: String) throws -> String { try scratchFolder("wf-" + name) }

    /// A book of `n` accounts (every seventh line bad, line 12 a duplicate of line 2).
    func book(_ n: Int, in dir: String) throws -> String {
        var text = ""
        for k in 1...n {
            if k % 7 == 0 {
                text += "{\"id\":\"A-\(k)\",\"model\":\"M\",\"cash\":-5}\n"
            } else {
                let id = k == 12 ? 2 : k
                text += "{\"id\":\"A-\(id)\",\"model\":\"M\",\"cash\":\(1000 + k),\"holdings\":{\"AAA\":\(k % 5)}}\n"
            }
        }
        let path = dir + "/book.jsonl"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func rebalancer(_ input: String, _ output: String) -> BatchRebalancer {
        var b = BatchRebalancer(
            input: .file(input), output: .file(output), jobs: 2,
            planner: RebalancePlanner(policy: RebalancePolicy(), lotSizes: [:]), targets: ["M": ["AAA": 0.6, "BBB": 0.4]],
            prices: ["AAA": 10, "BBB": 20], asOf: Self.asOf, engineVersion: "test")
        b.blockSize = 200
        return b
    }

    @Test("plans every line in input order, with error records, one audit record per line, and progress reports")
    func plansInOrder() throws {
        let dir = try folder("order")
        let input = try book(40, in: dir)
        var b = rebalancer(input, dir + "/plans.jsonl")
        let sink = MemorySink()
        b.audit = BatchAuditContext(sink: sink, key: Array("a test key of 32 bytes, no more.".utf8), inputs: [:], parameters: [:])
        let reports = Mutex<[BatchProgress]>([])
        b.progress = { p in reports.withLock { $0.append(p) } }
        let summary = try b.run()
        let lines = try String(contentsOfFile: dir + "/plans.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 40 && summary.lines == 40)
        #expect(summary.errors == 6, "five bad lines and one duplicate")
        #expect(lines[11].contains("already in the book at line 2"))
        #expect(lines[0].contains("\"accountId\":\"A-1\"") && lines[39].contains("\"accountId\":\"A-40\""))
        let records = sink.state.withLock { $0.accounts }
        #expect(records.map(\.line) == Array(1...40))
        #expect(records[11].duplicateOfLine == 2 && records[11].status == "error")
        #expect(records.allSatisfy { $0.accountRef?.hasPrefix("acct-") == true && !($0.accountRef!.contains("A-")) })
        #expect(reports.withLock { $0.last?.finished == true && $0.last?.lines == 40 })
        #expect(try FileCheckpointStore(path: dir + "/plans.jsonl.checkpoint").load()?.finished == true, "a finished run is marked so")
    }

    @Test("a book that ends in the middle of a line gets an error record saying so; a complete last line without a line end is planned")
    func endsMidLine() throws {
        let dir = try folder("cut")
        let input = try book(10, in: dir)
        let whole = try String(contentsOfFile: input, encoding: .utf8)
        try (whole + "{\"id\":\"A-11\",\"model\":\"M\",\"cash\":10").write(toFile: input, atomically: true, encoding: .utf8)
        _ = try rebalancer(input, dir + "/plans.jsonl").run()
        let lines = try String(contentsOfFile: dir + "/plans.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 11)
        #expect(lines[10].contains("the input ends in the middle of this line") && lines[10].contains("\"line\":11"), "\(lines[10])")
        try (whole + "{\"id\":\"A-11\",\"model\":\"M\",\"cash\":10,\"holdings\":{}}").write(
            toFile: input, atomically: true, encoding: .utf8)
        _ = try rebalancer(input, dir + "/plans2.jsonl").run()
        let again = try String(contentsOfFile: dir + "/plans2.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(again.count == 11 && !again[10].contains("error"), "\(again[10])")
    }

    @Test(
        "a field longer than the field limit makes its line an error record naming the field, the line and the account id; the rest are planned"
    )
    func fieldLimit() throws {
        let dir = try folder("field")
        let input = try book(5, in: dir)
        var text = try String(contentsOfFile: input, encoding: .utf8)
        let long = String(repeating: "x", count: 300)
        text += "{\"id\":\"A-6\",\"model\":\"M\",\"cash\":10,\"holdings\":{},\"note\":\"\(long)\"}\n"
        text += "{\"id\":\"\(long)\",\"model\":\"M\",\"cash\":10,\"holdings\":{}}\n"
        text += "{\"id\":\"A-8\",\"model\":\"M\",\"cash\":10,\"holdings\":{}}\n"
        try text.write(toFile: input, atomically: true, encoding: .utf8)
        var b = rebalancer(input, dir + "/plans.jsonl")
        b.maxFieldBytes = 200
        let sink = MemorySink()
        b.audit = BatchAuditContext(sink: sink, key: Array("a test key of 32 bytes, no more.".utf8), inputs: [:], parameters: [:])
        let summary = try b.run()
        let lines = try String(contentsOfFile: dir + "/plans.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 8 && summary.lines == 8)
        #expect(
            lines[5].contains("\"accountId\":\"A-6\"") && lines[5].contains("\"line\":6")
                && lines[5].contains("note: 300 bytes, longer than 200, the longest field allowed (raise it with --max-field-bytes)"),
            "\(lines[5])")
        #expect(lines[6].contains("id: 300 bytes") && !lines[6].contains("accountId"), "an id over the limit is not echoed: \(lines[6])")
        #expect(!lines[7].contains("error"), "\(lines[7])")
        #expect(sink.state.withLock { $0.accounts.map(\.status) }[5] == "error")
        var big = rebalancer(input, dir + "/plans-big.jsonl")
        big.maxFieldBytes = 400
        _ = try big.run()
        // Under a higher limit the line is read, and fails only for what it holds (an unknown field).
        let raised = try String(contentsOfFile: dir + "/plans-big.jsonl", encoding: .utf8).split(separator: "\n")[5]
        #expect(!raised.contains("the longest field allowed") && raised.contains("unknown field"), "\(raised)")
    }

    @Test("a book file larger than the input limit is refused before anything is planned, naming its size and the option")
    func inputLimit() throws {
        let dir = try folder("input-limit")
        let input = try book(20, in: dir)
        var b = rebalancer(input, dir + "/plans.jsonl")
        b.maxInputBytes = 1000
        let error = #expect(throws: BatchRebalanceError.self) { try b.run() }
        #expect(
            error?.message.contains("larger than 1000, the largest input allowed (raise it with --max-input-bytes") == true,
            "\(error?.message ?? "")")
        #expect((try? String(contentsOfFile: dir + "/plans.jsonl", encoding: .utf8))?.isEmpty ?? true)
    }

    @Test("each block record is stamped by the clock when it is written, never earlier than the record before it (a clock stepping back)")
    func stampedInChainOrder() throws {
        let dir = try folder("stamps")
        let input = try book(40, in: dir)
        var b = rebalancer(input, dir + "/plans.jsonl")
        let sink = MemorySink()
        b.audit = BatchAuditContext(sink: sink, key: Array("a test key of 32 bytes, no more.".utf8), inputs: [:], parameters: [:])
        // A clock one second later at every reading, except the fourth, which steps an hour back.
        let readings = Mutex(0)
        let start = Date(timeIntervalSince1970: 1_796_000_000)
        b.clock = {
            let k = readings.withLock {
                $0 += 1
                return $0
            }
            return start.addingTimeInterval(k == 4 ? -3600 : Double(k))
        }
        _ = try b.run()
        let (run, times) = sink.state.withLock { ($0.runs[0].time, $0.blockTimes) }
        #expect(run == AuditEntry.timestamp(start.addingTimeInterval(1)), "the run record is stamped by the same clock")
        #expect(times.count > 3)
        #expect(times == times.sorted() && times.allSatisfy { $0 >= run }, "chain order and time order agree: \(times)")
        #expect(Set(times).count == times.count - 1, "each block its own time, the one after the step back held at the one before")
        #expect(times[1] == AuditEntry.timestamp(start.addingTimeInterval(3)))
    }

    @Test("a book that grows while it is read stops the run with a message naming the sizes; --resume completes it once it is whole")
    func growsWhileRead() throws {
        let dir = try folder("grows")
        let input = try book(60, in: dir)
        let extra = (61...70).map { "{\"id\":\"A-\($0)\",\"model\":\"M\",\"cash\":\(1000 + $0),\"holdings\":{}}\n" }.joined()
        var b = rebalancer(input, dir + "/plans.jsonl")
        let appended = Mutex(false)
        // Another process still writing the book: more lines arrive after the first block.
        b.progress = { _ in
            let first = appended.withLock { done in
                defer { done = true }
                return !done
            }
            if first, let h = FileHandle(forWritingAtPath: input) {
                h.seekToEndOfFile()
                h.write(Data(extra.utf8))
                h.closeFile()
            }
        }
        let error = #expect(throws: BatchRebalanceError.self) { try b.run() }
        #expect(error?.message.contains("book.jsonl: the file grew while it was read") == true, "\(error?.message ?? "")")
        var again = rebalancer(input, dir + "/plans.jsonl")
        again.resume = true
        let summary = try again.run()
        #expect(summary.lines == 70)
        let lines = try String(contentsOfFile: dir + "/plans.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 70 && lines[69].contains("A-70"))
    }

    @Test("a resume whose checkpoint is missing continues from the audit sink's progress: output identical, one record per line")
    func resumeFromSinkProgress() throws {
        let dir = try folder("resume")
        let input = try book(60, in: dir)
        let reference = dir + "/reference.jsonl"
        _ = try rebalancer(input, reference).run()

        let out = dir + "/plans.jsonl"
        let sink = MemorySink()
        let key = Array("a test key of 32 bytes, no more.".utf8)
        var first = rebalancer(input, out)
        first.audit = BatchAuditContext(sink: sink, key: key, inputs: [:], parameters: [:])
        first.checkpoints = MemoryCheckpoints(failAt: 3)
        #expect(throws: BatchRebalanceError.self) { try first.run() }
        let recorded = sink.state.withLock { $0.accounts.count }
        #expect(recorded > 0 && recorded < 60)

        var second = rebalancer(input, out)
        second.audit = BatchAuditContext(sink: sink, key: key, inputs: [:], parameters: [:])
        second.checkpoints = MemoryCheckpoints()  // the checkpoint is gone
        second.resume = true
        let summary = try second.run()
        #expect(summary.lines == 60)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Data(contentsOf: URL(fileURLWithPath: reference)))
        #expect(sink.state.withLock { $0.accounts.map(\.line) } == Array(1...60), "each line recorded once")
    }

    @Test("a resume killed before its first checkpoint starts from the first line; a finished run is recognised and not recorded twice")
    func resumeWithoutProgress() throws {
        let dir = try folder("first")
        let input = try book(5, in: dir)
        try "partial\n".write(toFile: dir + "/plans.jsonl", atomically: true, encoding: .utf8)
        var b = rebalancer(input, dir + "/plans.jsonl")
        let sink = MemorySink()
        b.audit = BatchAuditContext(sink: sink, key: Array("a test key of 32 bytes, no more.".utf8), inputs: [:], parameters: [:])
        b.resume = true
        #expect(try b.run().lines == 5)
        let reference = dir + "/reference.jsonl"
        _ = try rebalancer(input, reference).run()
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/plans.jsonl")) == Data(contentsOf: URL(fileURLWithPath: reference)))
        let again = try b.run()
        #expect(again.lines == 5 && sink.state.withLock { $0.accounts.count } == 5, "the finished run is not recorded again")
        #expect(sink.state.withLock { $0.runs.count } == 1)
    }

    /// A run of `input` into `out` stopped at its third checkpoint (file store), with `sink` if given.
    func interrupted(_ input: String, _ out: String, sink: MemorySink? = nil, errors: String? = nil) throws {
        var b = rebalancer(input, out)
        b.errors = errors
        b.checkpoints = StoppingFileStore(file: FileCheckpointStore(path: out + ".checkpoint"), failAt: 3)
        if let sink {
            b.audit = BatchAuditContext(sink: sink, key: Array("a test key of 32 bytes, no more.".utf8), inputs: [:], parameters: [:])
        }
        #expect(throws: BatchRebalanceError.self) { try b.run() }
        #expect(FileManager.default.fileExists(atPath: out + ".checkpoint"))
    }

    func message(_ body: () throws -> Void) -> String {
        do { try body() } catch { return "\(error)" }
        return "no error"
    }

    @Test("a resume with another as-of date, policy or book is refused by name; the same options resume")
    func resumeIdentity() throws {
        let dir = try folder("identity")
        let input = try book(60, in: dir)
        let out = dir + "/plans.jsonl"
        try interrupted(input, out)
        var otherDate = rebalancer(input, out)
        otherDate.resume = true
        otherDate.asOf = MarketDate(iso: "2022-12-27")!
        #expect(message { _ = try otherDate.run() }.contains("--resume with another as-of date than the interrupted run's (2022-12-28)"))
        var otherPolicy = rebalancer(input, out)
        otherPolicy.resume = true
        otherPolicy.planner.policy.costBasisPoints = 25
        #expect(message { _ = try otherPolicy.run() }.contains("--resume with another rebalancing policy"))
        var text = try String(contentsOfFile: input, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"cash\":1001,", with: "\"cash\":1002,")
        let changed = dir + "/changed.jsonl"
        try text.write(toFile: changed, atomically: true, encoding: .utf8)
        var otherBook = rebalancer(changed, out)
        otherBook.resume = true
        #expect(message { _ = try otherBook.run() }.contains("changed.jsonl: --resume with another input than the interrupted run's"))
        var same = rebalancer(input, out)
        same.resume = true
        #expect(try same.run().lines == 60)
    }

    @Test("a damaged checkpoint is refused, unless the audit sink holds the progress; a missing error file is refused")
    func damagedCheckpoint() throws {
        let dir = try folder("damaged")
        let input = try book(60, in: dir)
        let reference = dir + "/reference.jsonl"
        _ = try rebalancer(input, reference).run()
        let out = dir + "/plans.jsonl"
        try interrupted(input, out)
        let cp = out + ".checkpoint"
        let edited = try String(contentsOfFile: cp, encoding: .utf8).replacingOccurrences(of: "\"linesDone\":", with: "\"linesDone\":1")
        try edited.write(toFile: cp, atomically: true, encoding: .utf8)
        var plain = rebalancer(input, out)
        plain.resume = true
        #expect(message { _ = try plain.run() }.contains("the checkpoint is damaged or was edited"))

        let out2 = dir + "/plans2.jsonl"
        let sink = MemorySink()
        try interrupted(input, out2, sink: sink)
        try "garbage".write(toFile: out2 + ".checkpoint", atomically: true, encoding: .utf8)
        var withSink = rebalancer(input, out2)
        withSink.audit = BatchAuditContext(sink: sink, key: Array("a test key of 32 bytes, no more.".utf8), inputs: [:], parameters: [:])
        withSink.resume = true
        #expect(try withSink.run().lines == 60)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out2)) == Data(contentsOf: URL(fileURLWithPath: reference)))
        #expect(sink.state.withLock { $0.accounts.map(\.line) } == Array(1...60))

        let out3 = dir + "/plans3.jsonl"
        try interrupted(input, out3, errors: dir + "/errors.jsonl")
        try FileManager.default.removeItem(atPath: dir + "/errors.jsonl")
        var noErrors = rebalancer(input, out3)
        noErrors.errors = dir + "/errors.jsonl"
        noErrors.resume = true
        #expect(message { _ = try noErrors.run() }.contains("errors.jsonl: the error records of the interrupted run are missing"))
    }

    @Test("a second run on the same output is refused while the first holds it")
    func outputLock() throws {
        let dir = try folder("lock")
        let input = try book(5, in: dir)
        let out = dir + "/plans.jsonl"
        let held = try OutputLock(output: out)
        #expect(message { _ = try rebalancer(input, out).run() }.contains("plans.jsonl: another run is writing this output"))
        withExtendedLifetime(held) {}
        #expect(!FileManager.default.fileExists(atPath: out), "the refused run touched nothing")
    }

    @Test("kill points parse as POINT:BLOCK and nothing else")
    func faultInjection() {
        #expect(BatchFaultInjection("after-audit-commit:3") == BatchFaultInjection(point: .afterAuditCommit, block: 3))
        #expect(BatchFaultInjection("after-checkpoint:0") == nil)
        #expect(BatchFaultInjection("somewhere:1") == nil)
        #expect(BatchFaultInjection("after-output-write") == nil)
    }

    @Test("a line over the limit becomes an error record naming the limit, across blocks; the lines around it are planned")
    func longLine() throws {
        let dir = try folder("long")
        var text = ""
        for k in 1...9 {
            text +=
                k == 4
                ? "{\"id\":\"A-4\",\"model\":\"M\",\"cash\":5,\"note\":\"" + String(repeating: "x", count: 900) + "\"}\n"
                : "{\"id\":\"A-\(k)\",\"model\":\"M\",\"cash\":\(1000 + k),\"holdings\":{\"AAA\":1}}\n"
        }
        try text.write(toFile: dir + "/book.jsonl", atomically: true, encoding: .utf8)
        var b = rebalancer(dir + "/book.jsonl", dir + "/plans.jsonl")
        b.maxLineBytes = 100
        let summary = try b.run()
        let lines = try String(contentsOfFile: dir + "/plans.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(summary.lines == 9 && summary.errors == 1 && lines.count == 9, "\(summary) \(lines)")
        #expect(lines[3].contains("\"line\":4") && lines[3].contains("longer than 100 bytes, the limit (raise it with --max-line-bytes)"))
        #expect(lines[4].contains("\"accountId\":\"A-5\"") && lines[8].contains("\"accountId\":\"A-9\""))
        b.maxLineBytes = 2000
        #expect(try b.run().errors == 1, "under a higher limit the line is read (and fails for its unknown field)")
        let again = try String(contentsOfFile: dir + "/plans.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(!again[3].contains("longer than"))
    }
}
