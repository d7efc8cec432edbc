// package-benchmark suite for the back-tester.
//
//   BALLAST_BENCHMARKS=1 OPENBLAS_NUM_THREADS=1 swift package --disable-sandbox benchmark --target Backtest
//
// The same two workloads as the back-test rows of compare_peers.py (bt and skfolio).
import Ballast
import Benchmark
import Foundation

let benchmarks: @Sendable () -> Void = {
    BLASThreads.set(1)
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .peakMemoryResident],
        timeUnits: .milliseconds,
        maxDuration: .seconds(5),
        maxIterations: 100
    )
    let table = try! PriceCSV.read(path: "market-data/sp500_20.csv")

    Benchmark("equal weight, monthly, sp500_20.csv 1990-2022") { benchmark in
        let b = Backtest(prices: table, strategy: EqualWeight())
        for _ in benchmark.scaledIterations { blackHole(try b.run()) }
    }

    Benchmark("walk-forward minimum volatility, Ledoit-Wolf 252 days, monthly 1991-2022") { benchmark in
        var config = RiskModelConfiguration()
        config.covariance = .ledoitWolf(.constantVariance)
        var b = Backtest(prices: table, strategy: MeanVarianceStrategy(objective: .minimumVolatility, estimation: config, window: 252))
        b.start = MarketDate(iso: "1991-01-02")
        for _ in benchmark.scaledIterations { blackHole(try b.run()) }
    }
}
