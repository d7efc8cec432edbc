// libFuzzer target: an account line either becomes a plan through the batch planner (whose
// bytes must equal the general path's) or is declined; neither path may crash.
import BallastMarketData
import BallastRebalancing
import Foundation

let targets = ["C3": ["KO": 0.3, "PG": 0.3, "AAPL": 0.2, "CASH": 0.2]]
let prices = ["KO": 62.61, "PG": 149.13, "AAPL": 125.67, "MSFT": 233.43]
let asOf = MarketDate(iso: "2022-12-28")!
let planner = RebalancePlanner(policy: RebalancePolicy())
let batch = try! BatchPlanner(planner: planner, targets: targets, prices: prices, asOf: asOf)
nonisolated(unsafe) var scratch = BatchPlanner.Scratch()
let sink = ByteSink(capacity: 1 << 16)

/// One input: libFuzzer's entry point.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: start.assumingMemoryBound(to: UInt8.self), count: count)
    sink.removeAll()
    let fast = batch.plan(line: bytes, into: sink, scratch: &scratch)
    let account = try? JSONDecoder().decode(Account.self, from: Data(bytes))
    if let account, let model = account.model, let target = targets[model],
        let plan = try? planner.plan(for: account, toward: target, at: prices, asOf: asOf)
    {
        if fast != nil { precondition(String(decoding: sink.bytes, as: UTF8.self) == plan.jsonLine, "batch and general paths disagree") }
        precondition(plan.cashAfter >= 0 && plan.trades.allSatisfy { $0.quantity > 0 }, "bad plan")
    }
    return 0
}
