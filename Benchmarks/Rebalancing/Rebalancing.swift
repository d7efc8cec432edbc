// package-benchmark suite for the rebalancing planner, in memory (no files).
//
//   BALLAST_BENCHMARKS=1 swift package --disable-sandbox benchmark --target Rebalancing
//
// The book is seeded and follows the benchmark models (Benchmarks/data/models-10.json): about
// ten holdings per account, drifted from target, some cash flows. End-to-end figures with
// files, several cores and peak memory come from Benchmarks/batch_rebalance.py.
import Ballast
import Benchmark
import Foundation

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal],
        timeUnits: .microseconds,
        maxDuration: .seconds(3),
        maxIterations: 200
    )
    let data = try! Data(contentsOf: URL(fileURLWithPath: "Benchmarks/data/models-10.json"))
    let models = try! JSONDecoder().decode([String: [String: Double]].self, from: data)
    let table = try! PriceCSV.read(path: "market-data/sp500_20.csv").merged(with: try! PriceCSV.read(path: "market-data/factors_etf5.csv"))
    let asOf = MarketDate(iso: "2022-12-28")!
    let prices = table.lastPrices(onOrBefore: asOf)
    var g = SeededGenerator(seed: 1)
    let ids = models.keys.sorted()
    var lines: [[UInt8]] = []
    var accounts: [(Account, String)] = []
    for k in 0..<10_000 {
        let model = ids[Int.random(in: 0..<ids.count, using: &g)]
        let value = Double.random(in: 20_000...500_000, using: &g)
        var holdings: [String: Double] = [:]
        for (s, w) in models[model]! where s != "CASH" {
            holdings[s] = (w * value * Double.random(in: 0.8...1.2, using: &g) / prices[s]!).rounded(.down)
        }
        let flow: CashFlow? = k % 5 == 0 ? CashFlow(amount: 2_500) : nil
        let account = Account(
            id: "ACC-\(k)", model: model, cash: Money(((models[model]!["CASH"] ?? 0) * value * 100).rounded() / 100), holdings: holdings,
            cashFlow: flow, lastRebalance: asOf.adding(months: -Int.random(in: 1...12, using: &g)))
        accounts.append((account, model))
        lines.append(Array(try! JSONEncoder().encode(account)))
    }
    let planner = RebalancePlanner(policy: RebalancePolicy())
    let batch = try! BatchPlanner(planner: planner, targets: models, prices: prices, asOf: asOf)

    Benchmark("batch planner: 10,000 account lines, bytes to bytes") { benchmark in
        let sink = ByteSink(capacity: 32 << 20)
        var scratch = BatchPlanner.Scratch()
        for _ in benchmark.scaledIterations {
            sink.removeAll()
            for line in lines {
                line.withUnsafeBufferPointer { blackHole(batch.plan(line: $0, into: sink, scratch: &scratch)) }
            }
        }
    }

    Benchmark("RebalancePlanner.plan: 1,000 accounts as values") { benchmark in
        for _ in benchmark.scaledIterations {
            for (account, model) in accounts.prefix(1_000) {
                blackHole(try? planner.plan(for: account, toward: models[model]!, at: prices, asOf: asOf))
            }
        }
    }
}
