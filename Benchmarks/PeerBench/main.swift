// The Ballast side of Benchmarks/compare_peers.py.
//
//   ballast-peer-bench data DIR
//       writes the seeded synthetic data sets as raw little-endian float64 files
//   ballast-peer-bench run DIR REPEATS CSV WORKLOAD...
//       times each workload (median of REPEATS runs after a warm-up) on the files in DIR and
//       prints one JSON object: {"seconds": {...}, "checks": {...}, "threads": n}
//
// The workloads and data are exactly those the Python peers run in compare_peers.py.
import Ballast
import BallastBenchSupport
import Foundation

let datasets: [(name: String, make: () -> ReturnSeries)] = [
    ("factor_500x2520", { SyntheticData.factorReturns(assets: 500, observations: 2520) }),
    ("factor_200x2520", { SyntheticData.factorReturns(assets: 200, observations: 2520, seed: 43) }),
    ("ragged_100x2520", { SyntheticData.raggedReturns(assets: 100, observations: 2520) }),
]

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}

/// Reads a data set written by `data`, checking it against the generator's shape.
func load(_ dir: String, _ name: String, assets n: Int) throws -> ReturnSeries {
    let data = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(name).f64"))
    let rowMajor = data.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
    let t = rowMajor.count / n
    var values = [Double](repeating: 0, count: t * n)
    for i in 0..<t { for j in 0..<n { values[i + j * t] = rowMajor[i * n + j] } }
    return ReturnSeries(
        symbols: (0..<n).map { "A\($0)" }, dates: SyntheticData.businessDays(t), values: values, periodsPerYear: 252)
}

let args = CommandLine.arguments
guard args.count >= 3 else { fail("usage: ballast-peer-bench data DIR | run DIR REPEATS CSV WORKLOAD...") }
let dir = args[2]

switch args[1] {
case "data":
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    for d in datasets { try SyntheticData.writeRowMajor(d.make(), to: "\(dir)/\(d.name).f64") }
case "run":
    guard args.count >= 5, let repeats = Int(args[3]) else { fail("usage: ballast-peer-bench run DIR REPEATS CSV WORKLOAD...") }
    let csvPath = args[4]
    let threads = Int(ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] ?? "1") ?? 1
    BLASThreads.set(threads)
    var seconds: [String: Double] = [:]
    var checks: [String: Double] = [:]
    var sink = 0.0
    if let loops = ProcessInfo.processInfo.environment["PARSE_LOOPS"].flatMap(Int.init) {
        // Profiling aid: parse the CSV from memory `loops` times and exit.
        let data = try Data(contentsOf: URL(fileURLWithPath: csvPath))
        for _ in 0..<loops { sink += try PriceCSV.parse(data).values[0] }
        exit(sink.isFinite ? 0 : 1)
    }
    for workload in args.dropFirst(5) {
        switch workload {
        case "load_csv":
            seconds[workload] = try medianSeconds(repeats: repeats) { sink += try PriceCSV.read(path: csvPath).values[0] }
        case "sample_cov_500":
            let r = try load(dir, "factor_500x2520", assets: 500)
            seconds[workload] = try medianSeconds(repeats: repeats) { sink += try SampleCovariance().estimate(r).matrix[0, 0] }
            checks[workload] = try SampleCovariance().estimate(r).matrix[3, 7]
        case "bare_syrk_500":
            // BLAS alone: syrk on data that is already centred.
            let r = try load(dir, "factor_500x2520", assets: 500)
            let t = r.observationCount
            var x = Matrix(rows: t, columns: 500, columnMajor: r.values)
            for j in 0..<500 {
                let m = r.column(j).reduce(0, +) / Double(t)
                for i in 0..<t { x[i, j] -= m }
            }
            seconds[workload] = medianSeconds(repeats: repeats) { sink += x.gram(alpha: 252.0 / Double(t - 1))[0, 0] }
        case "ledoit_wolf_500":
            let r = try load(dir, "factor_500x2520", assets: 500)
            seconds[workload] = try medianSeconds(repeats: repeats) { sink += try LedoitWolfCovariance().estimate(r).matrix[0, 0] }
            checks[workload] = try LedoitWolfCovariance().estimate(r).matrix[3, 7]
        case "ewma_200":
            let r = try load(dir, "factor_200x2520", assets: 200)
            let e = ExponentialCovariance(decay: .span(180))
            seconds[workload] = try medianSeconds(repeats: repeats) { sink += try e.estimate(r).matrix[0, 0] }
            checks[workload] = try e.estimate(r).matrix[3, 7]
        case "pairwise_100":
            let r = try load(dir, "ragged_100x2520", assets: 100)
            seconds[workload] = try medianSeconds(repeats: repeats) { sink += try SampleCovariance().estimate(r).matrix[0, 0] }
            checks[workload] = try SampleCovariance().estimate(r).matrix[3, 7]
        case "min_vol_500", "max_sharpe_500", "min_vol_20", "max_sharpe_20", "max_utility_20":
            let size = workload.hasSuffix("500") ? 500 : 20
            let r = try load(dir, "factor_500x2520", assets: 500).selecting(columns: Array(0..<size))
            let d = try RiskModelConfiguration().estimate(returns: r)
            let objective: PortfolioObjective =
                workload.hasPrefix("min_vol")
                ? .minimumVolatility
                : workload.hasPrefix("max_sharpe") ? .maximumSharpe(riskFreeRate: 0.02) : .maximumUtility(riskAversion: 1)
            let problem = MeanVarianceProblem(distribution: d, objective: objective)
            seconds[workload] = try medianSeconds(repeats: repeats) { sink += try problem.solve().weights[0] }
            let w = try problem.solve()
            checks[workload] = workload.hasPrefix("min_vol") ? w.volatility : w.sharpeRatio
        case "frontier50_500", "cla_500":
            let r = try load(dir, "factor_500x2520", assets: 500)
            let d = try RiskModelConfiguration().estimate(returns: r)
            let problem = MeanVarianceProblem(distribution: d, objective: .minimumVolatility)
            if workload == "cla_500" {
                seconds[workload] = try medianSeconds(repeats: repeats) { sink += Double(try problem.exactFrontier().points.count) }
                let f = try problem.exactFrontier()
                checks[workload] = Double(f.points.count)
                checks["cla_500_last_return"] = f.points.last!.expectedReturn
            } else {
                seconds[workload] = try medianSeconds(repeats: repeats) {
                    sink += try problem.sampledFrontier(points: 50).points[0].volatility
                }
                checks[workload] = try problem.sampledFrontier(points: 50).points[25].volatility
            }
        case "backtest_ew":
            // Equal weight, monthly, fractional positions, no costs, on the whole price file.
            let table = try PriceCSV.read(path: csvPath)
            let b = Backtest(prices: table, strategy: EqualWeight())
            seconds[workload] = try medianSeconds(repeats: repeats) { sink += try b.run().values.last! }
            checks[workload] = try b.run().values.last!
        case "walkforward_minvol":
            // Minimum volatility, Ledoit-Wolf on a trailing 252-day window, monthly, 1991-2022.
            let table = try PriceCSV.read(path: csvPath)
            var config = RiskModelConfiguration()
            config.covariance = .ledoitWolf(.constantVariance)
            var b = Backtest(prices: table, strategy: MeanVarianceStrategy(objective: .minimumVolatility, estimation: config, window: 252))
            b.start = MarketDate(iso: "1991-01-02")
            seconds[workload] = try medianSeconds(repeats: repeats) { sink += try b.run().values.last! }
            let r = try b.run()
            checks["walkforward_minvol_decisions"] = Double(r.events.count)
        default:
            fail("unknown workload \(workload)")
        }
    }
    let out: [String: Any] = ["seconds": seconds, "checks": checks, "threads": BLASThreads.current, "finite": sink.isFinite]
    print(String(decoding: try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys]), as: UTF8.self))
default:
    fail("unknown mode \(args[1])")
}
