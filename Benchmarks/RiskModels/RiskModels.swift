// package-benchmark suite for market data and the covariance pipeline.
//
//   BALLAST_BENCHMARKS=1 OPENBLAS_NUM_THREADS=1 swift package benchmark --target RiskModels
//
// Data are seeded synthetic factor-model returns (Benchmarks/BenchSupport), the same sets
// compare_peers.py uses, so the numbers can be read side by side with the peer table.
import Ballast
import BallastBenchSupport
import Benchmark
import Foundation

let benchmarks: @Sendable () -> Void = {
    BLASThreads.set(Int(ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] ?? "1") ?? 1)
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .peakMemoryResident],
        timeUnits: .microseconds,
        maxDuration: .seconds(3),
        maxIterations: 200
    )

    let csv = "market-data/sp500_20.csv"
    Benchmark("load sp500_20.csv (8313 x 20)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try PriceCSV.read(path: csv)) }
    }

    let r500 = SyntheticData.factorReturns(assets: 500, observations: 2520)
    Benchmark("sample covariance N=500 T=2520") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try SampleCovariance().estimate(r500)) }
    }

    Benchmark("Ledoit-Wolf constant variance N=500 T=2520") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try LedoitWolfCovariance().estimate(r500)) }
    }

    Benchmark("Ledoit-Wolf single factor N=500 T=2520") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try LedoitWolfCovariance(target: .singleFactor).estimate(r500)) }
    }

    Benchmark("OAS N=500 T=2520") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try OracleApproximatingCovariance().estimate(r500)) }
    }

    let r200 = SyntheticData.factorReturns(assets: 200, observations: 2520, seed: 43)
    Benchmark("EWMA covariance span 180 N=200 T=2520") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try ExponentialCovariance(decay: .span(180)).estimate(r200)) }
    }

    let ragged = SyntheticData.raggedReturns(assets: 100, observations: 2520)
    Benchmark("pairwise covariance N=100 T=2520 ragged") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try SampleCovariance().estimate(ragged)) }
    }

    let sigma = try! SampleCovariance().estimate(r500).matrix
    Benchmark("definiteness check N=500 (Cholesky + eigenvalues)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try CovarianceDiagnostics.check(sigma)) }
    }
}
