// Embedding Ballast's batch rebalancer in a service: plan a book of accounts from JSON Lines
// to JSON Lines with checkpoints, resume an interrupted run, and keep an audit trail whose
// per-account records the service can verify, all through library calls (nothing printed by
// the library; progress through a callback).
//
//   swift run ballast-example-batch-rebalance
import Ballast
import Foundation
import Synchronization

do {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-example-batch-\(getpid())").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }

    // A small book: one account per line, one of them bad (it becomes an error record).
    var book = ""
    for k in 1...500 {
        book +=
            k == 250
            ? "{\"id\":\"A-250\",\"model\":\"C9\"}\n"
            : "{\"id\":\"A-\(k)\",\"model\":\"growth\",\"cash\":\(1000 + k),\"holdings\":{\"VTI\":\(k % 9)}}\n"
    }
    let input = folder + "/book.jsonl"
    let output = folder + "/plans.jsonl"
    try book.write(toFile: input, atomically: true, encoding: .utf8)

    // The service's reference data: model targets and prices on the decision date.
    let trail = try AuditTrail(path: folder + "/audit.sqlite")
    var batch = BatchRebalancer(
        input: .file(input), output: .file(output), jobs: 2,
        planner: RebalancePlanner(policy: RebalancePolicy(), lotSizes: ["VTI": 1, "BND": 1]),
        targets: ["growth": ["VTI": 0.7, "BND": 0.3]], prices: ["VTI": 190.5, "BND": 72.25],
        asOf: MarketDate(iso: "2022-12-28")!, engineVersion: BallastVersion.current)
    batch.blockSize = 8 << 10  // small blocks, so that this small book has several checkpoints
    batch.audit = BatchAuditContext(
        sink: trail, key: Array("a key from the service's secret store".utf8), inputs: ["models": "sha256 of the model file"],
        parameters: ["asOf": "2022-12-28"])
    batch.progress = { p in if p.finished { print("planned \(p.lines) accounts, \(p.errors) errors") } }

    // A run that stops part-way (here the checkpoint store refuses its third save, as a
    // killed process would), then a resume that completes it: every account exactly once.
    struct StopsAtThirdSave: BatchCheckpointStore {
        let file: FileCheckpointStore
        let saves = Counter()
        func load() throws -> BatchCheckpoint? { try file.load() }
        func save(_ checkpoint: BatchCheckpoint) throws {
            if saves.next() == 3 { throw BatchRebalanceError("stopped for the example") }
            try file.save(checkpoint)
        }
        func remove() throws { try file.remove() }
    }
    let store = FileCheckpointStore(path: BatchRebalancer.checkpointPath(for: output))
    var interrupted = batch
    interrupted.checkpoints = StopsAtThirdSave(file: store)
    do { _ = try interrupted.run() } catch { print("first run stopped: \(error)") }

    batch.resume = true
    let summary = try batch.run()
    print("\(summary.lines) accounts: \(summary.rebalanced) rebalanced, \(summary.withinBand) within band, \(summary.errors) errors")

    let plans = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n")
    print("\(plans.count) plan lines, first: \(plans[0].prefix(60))...")
    let v = try trail.verify()
    print("audit trail: \(v.records) records, intact: \(v.intact)")
} catch {
    print("error: \(error)")
    exit(1)
}

/// A thread-safe counter.
final class Counter: Sendable {
    let value = Mutex(0)
    func next() -> Int {
        value.withLock {
            $0 += 1
            return $0
        }
    }
}
