import BallastLinearAlgebra
import BallastMarketData
import Foundation

/// How an exponentially weighted estimator decays.
public enum ExponentialDecay: Sendable, Codable, Equatable, CustomStringConvertible {
    /// pandas' `span`: `alpha = 2 / (span + 1)`; requires `span >= 1`.
    case span(Double)
    /// pandas' `halflife` in periods: `alpha = 1 - exp(-ln 2 / halfLife)`; requires `halfLife > 0`.
    case halfLife(Double)

    /// The smoothing factor `alpha` in (0, 1].
    public var alpha: Double {
        switch self {
        case .span(let s): 2 / (s + 1)
        case .halfLife(let h): 1 - exp(-log(2) / h)
        }
    }

    /// `span 180` or `half-life 60`.
    public var description: String {
        switch self {
        case .span(let s): "span \(formatNumber(s))"
        case .halfLife(let h): "half-life \(formatNumber(h))"
        }
    }

    func validate() throws(RiskModelError) {
        switch self {
        case .span(let s) where !(s >= 1) || !s.isFinite:
            throw RiskModelError(.invalidParameter, message: "span \(s) is invalid", fix: "use a span of at least 1 period, e.g. 180")
        case .halfLife(let h) where !(h > 0) || !h.isFinite:
            throw RiskModelError(
                .invalidParameter, message: "half-life \(h) is invalid", fix: "use a positive half-life in periods, e.g. 60")
        default: return
        }
    }

    /// Weights `(1 - alpha)^(T-1-t)` for `t = 0..<T` (the newest observation has weight 1).
    func weights(count t: Int) -> [Double] {
        let decay = 1 - alpha
        var w = [Double](repeating: 1, count: t)
        var v = 1.0
        var i = t - 1
        while i >= 0 {
            w[i] = v
            v *= decay
            i -= 1
        }
        return w
    }
}

/// The shrinkage target of a Ledoit-Wolf estimator.
public enum ShrinkageTarget: String, Sendable, Codable, CaseIterable {
    /// `(tr S / N) I`, as scikit-learn's `ledoit_wolf` (Ledoit & Wolf 2004).
    case constantVariance = "constant-variance"
    /// Sharpe's single-index model with the equal-weighted market (Ledoit & Wolf 2003), as
    /// PyPortfolioOpt's `CovarianceShrinkage.ledoit_wolf("single_factor")`.
    case singleFactor = "single-factor"
    /// Constant correlation (Ledoit & Wolf 2004, "Honey, I shrunk..."), as PyPortfolioOpt's
    /// `CovarianceShrinkage.ledoit_wolf("constant_correlation")`.
    case constantCorrelation = "constant-correlation"
}

/// Which covariance estimator produced an estimate.
public enum CovarianceMethod: Sendable, Codable, Equatable, CustomStringConvertible {
    /// Sample covariance.
    case sample
    /// Exponentially weighted covariance.
    case exponential(ExponentialDecay)
    /// Ledoit-Wolf shrinkage toward the target.
    case ledoitWolf(ShrinkageTarget)
    /// Oracle approximating shrinkage.
    case oracleApproximating

    /// The estimator's name, as in reports.
    public var description: String {
        switch self {
        case .sample: "sample (ddof 1)"
        case .exponential(let d): "exponentially weighted (\(d))"
        case .ledoitWolf(let t): "Ledoit-Wolf (\(t.rawValue) target)"
        case .oracleApproximating: "oracle approximating shrinkage"
        }
    }
}

/// An annualised covariance estimate.
public struct CovarianceEstimate: Sendable, Equatable {
    /// The covariance matrix, annualised (per-period covariance times periods per year),
    /// rows and columns in the order of the returns' symbols.
    public var matrix: Matrix
    /// The shrinkage intensity in [0, 1] for shrinkage estimators, `nil` otherwise.
    public var shrinkage: Double?
    /// The estimator.
    public var method: CovarianceMethod
}

/// A covariance estimator: a pure function from returns to an annualised covariance.
public protocol CovarianceEstimator: Sendable {
    /// Estimates the annualised covariance of `returns`.
    ///
    /// - Throws: ``RiskModelError`` when the data cannot support the estimate.
    func estimate(_ returns: ReturnSeries) throws(RiskModelError) -> CovarianceEstimate
}

// MARK: - Shared helpers

/// Column means over present values; `counts` are the present counts.
func columnMeans(_ r: ReturnSeries) -> (means: [Double], counts: [Int]) {
    let t = r.observationCount
    var means = [Double](repeating: 0, count: r.assetCount)
    var counts = [Int](repeating: 0, count: r.assetCount)
    r.values.withUnsafeBufferPointer { p in
        for j in 0..<r.assetCount {
            var s = 0.0
            var c = 0
            let base = j * t
            for i in 0..<t {
                let v = p[base + i]
                if !v.isNaN {
                    s += v
                    c += 1
                }
            }
            means[j] = c > 0 ? s / Double(c) : .nan
            counts[j] = c
        }
    }
    return (means, counts)
}

/// Returns minus each column's mean (complete data), as an `observations x assets` matrix.
///
/// One pass: each value is read once and written once into a new buffer.
func centred(_ r: ReturnSeries, means: [Double]) -> Matrix {
    let t = r.observationCount
    let n = r.assetCount
    let values = [Double](unsafeUninitializedCapacity: t * n) { out, count in
        r.values.withUnsafeBufferPointer { src in
            for j in 0..<n {
                let m = means[j]
                let base = j * t
                for i in base..<(base + t) { out.initializeElement(at: i, to: src[i] - m) }
            }
        }
        count = t * n
    }
    return Matrix(rows: t, columns: n, columnMajor: values)
}

func requireObservations(_ r: ReturnSeries, _ minimum: Int, for what: String) throws(RiskModelError) {
    if r.assetCount == 0 {
        throw RiskModelError(.insufficientData, message: "there are no assets", fix: "select at least one asset")
    }
    if r.observationCount < minimum {
        throw RiskModelError(
            .insufficientData,
            message: "\(what) needs at least \(minimum) observations, the window has \(r.observationCount)",
            fix: "widen the window (--start/--end) or use a higher frequency")
    }
}

func requireComplete(_ r: ReturnSeries, for what: String) throws(RiskModelError) {
    if let k = r.values.firstIndex(where: { $0.isNaN }) {
        let t = r.observationCount
        throw RiskModelError(
            .incompleteData, asset: r.symbols[k / t],
            message: "\(what) needs complete rows, but the return on \(r.dates[k % t]) is missing",
            fix: "use the drop-rows missing-data policy (--missing drop-rows) or a window where every asset trades")
    }
}

// MARK: - Sample covariance

/// The sample covariance with `ddof = 1`, annualised.
///
/// With complete data it is `Xcᵀ Xc / (T - 1)` for the centred returns `Xc` (numpy's
/// `np.cov`), computed with BLAS `syrk` on blocks of centred rows in one pass over the data
/// (`Matrix.centredGram(alpha:blockRows:)`). With missing returns it is pandas' pairwise-complete
/// covariance (`DataFrame.cov()`): entry `(i, j)` uses only the dates where both assets have
/// returns, with their own means over those dates and `n_ij - 1` in the denominator. That
/// case is computed with masked matrix products (BLAS, no loop over the data per pair):
/// with `Z` the returns shifted by each column's mean and zero where missing, and `M` the
/// 0/1 presence mask, `n = MᵀM`, `Σxy = ZᵀZ`, `Σx = ZᵀM`, and
/// `cov_ij = (Σxy_ij - Σx_ij Σx_ji / n_ij) / (n_ij - 1)`. Shifting first keeps the
/// cancellation in that formula small. Only rows with a missing value need the mask
/// (see `pairwise(_:means:counts:)`).
public struct SampleCovariance: CovarianceEstimator {
    /// The sample estimator (numpy's `cov`, `ddof 1`).
    public init() {}

    /// - Throws: ``RiskModelError/Code/insufficientData`` with fewer than 2 observations,
    ///   ``RiskModelError/Code/insufficientOverlap`` when two assets share fewer than 2 dates.
    /// - Complexity: O(T N²) via BLAS.
    public func estimate(_ returns: ReturnSeries) throws(RiskModelError) -> CovarianceEstimate {
        try requireObservations(returns, 2, for: "the sample covariance")
        let t = returns.observationCount
        let n = returns.assetCount
        // Complete data: one blocked pass, abandoned at the first block with a missing return.
        let x = Matrix(rows: t, columns: n, columnMajor: returns.values)
        if let (gram, _) = x.centredGram(alpha: returns.periodsPerYear / Double(t - 1)) {
            return CovarianceEstimate(matrix: gram, shrinkage: nil, method: .sample)
        }
        let (means, counts) = columnMeans(returns)
        return try pairwise(returns, means: means, counts: counts)
    }

    /// pandas' pairwise-complete covariance by masked matrix products.
    ///
    /// Rows in which every asset has a return contribute to every pair alike, so only the
    /// rows with a missing value need the mask: `Σx = c 1ᵀ + Z_Rᵀ M_R` where `c` sums the
    /// complete rows and `R` is the set of rows with a gap, and
    /// `n_ij = (T - |R|) + popcount(m_i ∧ m_j over R)` with the mask held as bits. The data
    /// is streamed once in blocks of rows small enough to stay in cache; each block is
    /// accumulated into `ZᵀZ` with `syrk` and, for rows with gaps, into `Z_Rᵀ M_R` with
    /// `gemm`. For assets that start trading on different dates `R` is just the early
    /// rows, and the cost approaches that of one `syrk`.
    func pairwise(_ returns: ReturnSeries, means: [Double], counts: [Int]) throws(RiskModelError) -> CovarianceEstimate {
        let t = returns.observationCount
        let n = returns.assetCount
        let ppy = returns.periodsPerYear
        let shift = (0..<n).map { counts[$0] > 0 ? means[$0] : 0 }
        var rowHasMissing = [Bool](repeating: false, count: t)
        returns.values.withUnsafeBufferPointer { src in
            for j in 0..<n {
                let base = j * t
                for i in 0..<t where src[base + i].isNaN { rowHasMissing[i] = true }
            }
        }
        let partialRows = rowHasMissing.indices.filter { rowHasMissing[$0] }
        let completeRows = rowHasMissing.indices.filter { !rowHasMissing[$0] }
        let r = partialRows.count
        let words = (r + 63) / 64
        var bits = [UInt64](repeating: 0, count: Swift.max(1, words * n))
        var completeSums = [Double](repeating: 0, count: n)
        var sxy = SymmetricAccumulator(order: n)
        var sx = ProductAccumulator(order: n)
        // Blocks of at most 128 rows x n assets: 100 KB for 100 assets.
        let block = Swift.max(1, Swift.min(128, (16_384 + n - 1) / Swift.max(n, 1)))
        var z = [Double](repeating: 0, count: block * n)
        var m = [Double](repeating: 0, count: block * n)
        returns.values.withUnsafeBufferPointer { src in
            completeRows.withUnsafeBufferPointer { rows in
                // Complete rows: ZᵀZ and column sums.
                var start = 0
                while start < rows.count {
                    let k = Swift.min(block, rows.count - start)
                    z.withUnsafeMutableBufferPointer { zb in
                        for j in 0..<n {
                            let column = src.baseAddress! + j * t
                            let out = zb.baseAddress! + j * k
                            let mj = shift[j]
                            var sum = 0.0
                            for q in 0..<k {
                                let v = column[rows[start + q]] - mj
                                out[q] = v
                                sum += v
                            }
                            completeSums[j] += sum
                        }
                    }
                    sxy.add(z, rows: k)
                    start += k
                }
            }
            partialRows.withUnsafeBufferPointer { rows in
                // Rows with gaps: ZᵀZ, Z_Rᵀ M_R and the mask bits.
                var start = 0
                while start < r {
                    let k = Swift.min(block, r - start)
                    z.withUnsafeMutableBufferPointer { zb in
                        m.withUnsafeMutableBufferPointer { mb in
                            bits.withUnsafeMutableBufferPointer { bb in
                                for j in 0..<n {
                                    let column = src.baseAddress! + j * t
                                    let zo = zb.baseAddress! + j * k
                                    let mo = mb.baseAddress! + j * k
                                    let bo = bb.baseAddress! + j * words
                                    let mj = shift[j]
                                    for q in 0..<k {
                                        let row = start + q
                                        let v = column[rows[row]]
                                        if v.isNaN {
                                            zo[q] = 0
                                            mo[q] = 0
                                        } else {
                                            zo[q] = v - mj
                                            mo[q] = 1
                                            bo[row >> 6] |= 1 << UInt64(row & 63)
                                        }
                                    }
                                }
                            }
                        }
                    }
                    sxy.add(z, rows: k)
                    sx.add(z, m, rows: k)
                    start += k
                }
            }
        }
        let gram = sxy.result
        let partialSums = sx.result  // Σ_{t∈R} z_ti m_tj
        var c = Matrix(rows: n, columns: n)
        let complete = Double(completeRows.count)
        for j in 0..<n {
            for i in 0...j {
                var shared = 0
                for w in 0..<words { shared += (bits[i * words + w] & bits[j * words + w]).nonzeroBitCount }
                let nij = complete + Double(shared)
                guard nij >= 2 else {
                    throw RiskModelError(
                        .insufficientOverlap, asset: "\(returns.symbols[i])/\(returns.symbols[j])",
                        message: "the assets share \(Int(nij)) dates with returns; a covariance needs at least 2",
                        fix: "choose a window where both trade, or drop one of them")
                }
                let sxi = completeSums[i] + partialSums[i, j]  // Σ over shared dates of z_i
                let sxj = completeSums[j] + partialSums[j, i]  // Σ over shared dates of z_j
                let v = (gram[i, j] - sxi * sxj / nij) / (nij - 1) * ppy
                c[i, j] = v
                c[j, i] = v
            }
        }
        return CovarianceEstimate(matrix: c, shrinkage: nil, method: .sample)
    }
}

// MARK: - Exponentially weighted covariance

/// The exponentially weighted covariance, annualised, with PyPortfolioOpt's `exp_cov`
/// semantics.
///
/// Each asset's returns are demeaned by their (unweighted) mean over the window; entry
/// `(i, j)` is the weighted mean of the products of the demeaned returns with weights
/// `(1 - alpha)^(T-1-t)` normalised to sum to one (pandas' `ewm(...).mean()` with
/// `adjust=True`, taking its last value). When returns are missing, weights keep their
/// absolute positions and are normalised over the dates where both assets have returns
/// (pandas' `ignore_na=False`). Computed with BLAS `syrk` on the rows scaled by
/// `sqrt(weight)`, not with a loop over pairs.
public struct ExponentialCovariance: CovarianceEstimator {
    /// The decay (span or half-life, in periods).
    public var decay: ExponentialDecay

    /// Creates the estimator; PyPortfolioOpt's default is a span of 180 periods.
    public init(decay: ExponentialDecay = .span(180)) { self.decay = decay }

    /// - Throws: ``RiskModelError/Code/invalidParameter`` for a bad span or half-life,
    ///   ``RiskModelError/Code/insufficientData`` with no observations.
    /// - Complexity: O(T N²) via BLAS.
    public func estimate(_ returns: ReturnSeries) throws(RiskModelError) -> CovarianceEstimate {
        try decay.validate()
        try requireObservations(returns, 1, for: "the exponentially weighted covariance")
        let (means, counts) = columnMeans(returns)
        let t = returns.observationCount
        let n = returns.assetCount
        let w = decay.weights(count: t)
        let root = w.map { $0.squareRoot() }
        var d = Matrix(rows: t, columns: n, columnMajor: returns.values)
        let complete = counts.allSatisfy { $0 == t }
        var mask = complete ? Matrix(rows: 0, columns: 0) : Matrix(rows: t, columns: n)
        d.elements.withUnsafeMutableBufferPointer { p in
            for j in 0..<n {
                let base = j * t
                let m = means[j]
                for i in 0..<t {
                    let v = p[base + i]
                    if v.isNaN {
                        p[base + i] = 0
                    } else {
                        p[base + i] = (v - m) * root[i]
                        if !complete { mask.elements[base + i] = root[i] }
                    }
                }
            }
        }
        var c = d.gram()
        let ppy = returns.periodsPerYear
        if complete {
            let total = w.reduce(0, +)
            c.scale(by: ppy / total)
        } else {
            let denominators = mask.gram()
            for j in 0..<n {
                for i in 0..<n {
                    let den = denominators[i, j]
                    guard den > 0 else {
                        throw RiskModelError(
                            .insufficientOverlap, asset: "\(returns.symbols[i])/\(returns.symbols[j])",
                            message: "the assets share no date with returns", fix: "choose a window where both trade, or drop one of them")
                    }
                    c[i, j] = c[i, j] / den * ppy
                }
            }
        }
        return CovarianceEstimate(matrix: c, shrinkage: nil, method: .exponential(decay))
    }
}

func formatNumber(_ x: Double) -> String {
    x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
}
