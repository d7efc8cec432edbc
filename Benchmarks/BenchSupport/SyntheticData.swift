import Ballast
import Foundation

/// Seeded synthetic daily returns from a five-factor model, for benchmarks.
///
/// `r_t = B f_t + e_t` with factor returns `f ~ N(0, 1%)`, loadings `B` (market loading around
/// 1, others around 0) and idiosyncratic noise of 1.5% a day: realistic correlation structure
/// at any size. The same seed always gives the same numbers.
public enum SyntheticData {
    /// Returns `observations x assets`, column-major, dated business days from 2010-01-04.
    public static func factorReturns(assets n: Int, observations t: Int, seed: UInt64 = 42) -> ReturnSeries {
        var g = SeededGenerator(seed: seed)
        let k = 5
        var loadings = [Double](repeating: 0, count: n * k)
        for i in 0..<n {
            for f in 0..<k { loadings[i * k + f] = f == 0 ? 1 + 0.3 * g.normal() : 0.5 * g.normal() }
        }
        var values = [Double](repeating: 0, count: n * t)
        for s in 0..<t {
            let factors = (0..<k).map { _ in 0.01 * g.normal() }
            for i in 0..<n {
                var r = 0.0003
                for f in 0..<k { r += loadings[i * k + f] * factors[f] }
                values[s + i * t] = r + 0.015 * g.normal()
            }
        }
        return ReturnSeries(symbols: (0..<n).map { "A\($0)" }, dates: businessDays(t), values: values, periodsPerYear: 252)
    }

    /// Factor returns with gaps: each asset starts trading at a random date in the first fifth
    /// of the sample (missing before), and 1% of the remaining returns are missing at random.
    public static func raggedReturns(assets n: Int, observations t: Int, seed: UInt64 = 7) -> ReturnSeries {
        let full = factorReturns(assets: n, observations: t, seed: seed)
        var g = SeededGenerator(seed: seed &+ 1)
        var values = full.values
        for j in 0..<n {
            let start = Int.random(in: 0..<(t / 5), using: &g)
            for i in 0..<t where i < start || Double.random(in: 0..<1, using: &g) < 0.01 { values[i + j * t] = .nan }
        }
        return ReturnSeries(symbols: full.symbols, dates: full.dates, values: values, periodsPerYear: 252)
    }

    /// `count` business days (Monday to Friday) from 2010-01-04.
    public static func businessDays(_ count: Int) -> [MarketDate] {
        var out: [MarketDate] = []
        var d = MarketDate(iso: "2010-01-04")!
        while out.count < count {
            if d.isoWeekday <= 5 { out.append(d) }
            d = d.adding(days: 1)
        }
        return out
    }

    /// Writes the values as raw little-endian float64 in row-major (`observations x assets`)
    /// order, the layout `numpy.fromfile(...).reshape(T, N)` reads.
    public static func writeRowMajor(_ r: ReturnSeries, to path: String) throws {
        let t = r.observationCount
        let n = r.assetCount
        var rowMajor = [Double](repeating: 0, count: t * n)
        for j in 0..<n { for i in 0..<t { rowMajor[i * n + j] = r.values[i + j * t] } }
        let data = rowMajor.withUnsafeBufferPointer { Data(buffer: $0) }
        try data.write(to: URL(fileURLWithPath: path))
    }
}

/// Median wall time of `repeats` runs of `body` after one warm-up run, in seconds.
public func medianSeconds(repeats: Int, _ body: () throws -> Void) rethrows -> Double {
    try body()
    var samples: [Double] = []
    let clock = ContinuousClock()
    for _ in 0..<max(1, repeats) {
        let elapsed = try clock.measure { try body() }
        samples.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }
    samples.sort()
    let m = samples.count / 2
    return samples.count % 2 == 1 ? samples[m] : (samples[m - 1] + samples[m]) / 2
}
