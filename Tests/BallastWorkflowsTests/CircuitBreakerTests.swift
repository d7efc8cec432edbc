import BallastAudit
import BallastMarketData
import BallastRebalancing
import Foundation
import Testing

@testable import BallastWorkflows

@Suite("Batch circuit breakers: a resumable halt, recorded, and an override that is too")
struct CircuitBreakerTests {

    func folder(_ name: String) throws -> String { try scratchFolder("cb-" + name) }

    /// `n` accounts; two in three hold only AAA (they trade), the rest are on target.
    func book(_ n: Int, in dir: String) throws -> String {
        var text = ""
        for k in 1...n {
            let holdings = k % 3 == 0 ? "{\"AAA\":60,\"BBB\":20}" : "{\"AAA\":\(100 + k)}"
            text += "{\"id\":\"A-\(k)\",\"model\":\"M\",\"cash\":0,\"holdings\":\(holdings)}\n"
        }
        let path = dir + "/book.jsonl"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The batch rebalancer tests' run (model M of AAA and BBB), in blocks of 400 bytes.
    func rebalancer(_ input: String, _ output: String, breakers: CircuitBreakers?) -> BatchRebalancer {
        var b = BatchRebalancerTests().rebalancer(input, output)
        b.blockSize = 400
        b.breakers = breakers
        return b
    }

    @Test("a breaker halts before the block that trips it; --resume halts again; an override finishes byte for byte")
    func haltAndOverride() throws {
        let dir = try folder("halt")
        let input = try book(90, in: dir)
        // The reference: one run without breakers.
        let reference = try rebalancer(input, dir + "/reference.jsonl", breakers: nil).run()
        let share = Double(reference.rebalanced + reference.cashFlowOnly) / Double(reference.lines)
        #expect(abs(share - 60.0 / 90) < 1e-12, "two in three accounts trade")
        var breakers = CircuitBreakers()
        (breakers.minimumAccounts, breakers.maximumTradingShare) = (20, 0.5)
        let sink = MemorySink()
        let key = Array("a test key of 32 bytes, no more.".utf8)
        var b = rebalancer(input, dir + "/plans.jsonl", breakers: breakers)
        b.audit = BatchAuditContext(sink: sink, key: key, inputs: [:], parameters: [:])
        var halt: BatchHaltError?
        do { _ = try b.run() } catch let e as BatchHaltError { halt = e }
        let h = try #require(halt, "the run halts")
        #expect(h.trip.breaker == "maximumTradingShare" && h.trip.limit == 0.5 && h.trip.figure > 0.5)
        #expect(h.trip.lines >= 20 && h.linesDone < h.trip.lines)
        let written = try String(contentsOfFile: dir + "/plans.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(written.count == h.linesDone, "only the blocks before the halt are written")
        let halts = sink.state.withLock { $0.runs.filter { $0.command == .rebalanceHalt } }
        #expect(halts.count == 1 && halts[0].outputs.contains("\"breaker\":\"maximumTradingShare\""))
        #expect(h.description.contains("--override-halt"))
        // A resume under other breakers is refused by name.
        var looser = breakers
        looser.maximumTradingShare = 0.9
        var other = rebalancer(input, dir + "/plans.jsonl", breakers: looser)
        other.resume = true
        do {
            _ = try other.run()
            Issue.record("a resume under other breakers was accepted")
        } catch {
            #expect("\(error)".contains("--resume with another set of circuit breakers than the interrupted run's"), "\(error)")
        }
        // A plain resume trips the same breaker again.
        b.resume = true
        #expect(throws: BatchHaltError.self) { try b.run() }
        // The override finishes the run: the output equals the run without breakers.
        b.haltOverride = HaltOverride(reason: "deposits at quarter end", by: "ops-1")
        let summary = try b.run()
        #expect(summary == reference)
        #expect(
            try Data(contentsOf: URL(fileURLWithPath: dir + "/plans.jsonl"))
                == Data(contentsOf: URL(fileURLWithPath: dir + "/reference.jsonl")))
        let last = try #require(sink.state.withLock { $0.runs.last })
        #expect(last.command == .rebalanceBatch)
        #expect(last.parameters["haltOverrideReason"] == "deposits at quarter end" && last.parameters["haltOverriddenBy"] == "ops-1")
        #expect(sink.state.withLock { Set($0.accounts.map(\.line)) } == Set(1...90), "every account recorded")
    }

    @Test("the traded-value breaker: the run's own total passes, a cent less halts at the last block")
    func tradedValue() throws {
        let dir = try folder("value")
        let input = try book(90, in: dir)
        let reference = try rebalancer(input, dir + "/reference.jsonl", breakers: nil).run()
        #expect(reference.tradedValue > 0)
        var breakers = CircuitBreakers()
        (breakers.maximumTradingShare, breakers.maximumTradedValue) = (nil, reference.tradedValue)
        #expect(try rebalancer(input, dir + "/a.jsonl", breakers: breakers).run() == reference)
        breakers.maximumTradedValue = reference.tradedValue - 0.01
        #expect(throws: BatchHaltError.self) { try rebalancer(input, dir + "/b.jsonl", breakers: breakers).run() }
    }
}
