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
    case sample
    case exponential(ExponentialDecay)
    case ledoitWolf(ShrinkageTarget)
    case oracleApproximating

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
func centred(_ r: ReturnSeries, means: [Double]) -> Matrix {
    let t = r.observationCount
    var x = Matrix(rows: t, columns: r.assetCount, columnMajor: r.values)
    x.elements.withUnsafeMutableBufferPointer { p in
        for j in 0..<r.assetCount {
            let m = means[j]
            let base = j * t
            for i in 0..<t { p[base + i] -= m }
        }
    }
    return x
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
/// With complete data it is `Xcᵀ Xc / (T - 1)` for the centred returns `Xc`, computed with
/// one BLAS `syrk` (numpy's `np.cov`). With missing returns it is pandas' pairwise-complete
/// covariance (`DataFrame.cov()`): entry `(i, j)` uses only the dates where both assets have
/// returns, with their own means over those dates and `n_ij - 1` in the denominator. That
/// case is computed with masked matrix products (four BLAS calls, no loop over pairs):
/// with `Z` the returns shifted by each column's mean and zero where missing, and `M` the
/// 0/1 presence mask, `n = MᵀM`, `Σxy = ZᵀZ`, `Σx = ZᵀM`, and
/// `cov_ij = (Σxy_ij - Σx_ij Σx_ji / n_ij) / (n_ij - 1)`. Shifting first keeps the
/// cancellation in that formula small.
public struct SampleCovariance: CovarianceEstimator {
    public init() {}

    /// - Throws: ``RiskModelError/Code/insufficientData`` with fewer than 2 observations,
    ///   ``RiskModelError/Code/insufficientOverlap`` when two assets share fewer than 2 dates.
    /// - Complexity: O(T N²) via BLAS.
    public func estimate(_ returns: ReturnSeries) throws(RiskModelError) -> CovarianceEstimate {
        try requireObservations(returns, 2, for: "the sample covariance")
        let (means, counts) = columnMeans(returns)
        let t = returns.observationCount
        let n = returns.assetCount
        let ppy = returns.periodsPerYear
        if counts.allSatisfy({ $0 == t }) {
            let x = centred(returns, means: means)
            return CovarianceEstimate(matrix: x.gram(alpha: ppy / Double(t - 1)), shrinkage: nil, method: .sample)
        }
        // Pairwise-complete path.
        var z = Matrix(rows: t, columns: n, columnMajor: returns.values)
        var mask = Matrix(rows: t, columns: n)
        for j in 0..<n {
            let base = j * t
            let m = counts[j] > 0 ? means[j] : 0
            for i in 0..<t {
                let v = z.elements[base + i]
                if v.isNaN {
                    z.elements[base + i] = 0
                } else {
                    z.elements[base + i] = v - m
                    mask.elements[base + i] = 1
                }
            }
        }
        let overlap = mask.gram()
        let sxy = z.gram()
        let sx = Matrix.product(z, transposed: true, mask)  // sx[i, j] = Σ_t z_ti m_tj
        var c = Matrix(rows: n, columns: n)
        for j in 0..<n {
            for i in 0...j {
                let nij = overlap[i, j]
                guard nij >= 2 else {
                    throw RiskModelError(
                        .insufficientOverlap, asset: "\(returns.symbols[i])/\(returns.symbols[j])",
                        message: "the assets share \(Int(nij)) dates with returns; a covariance needs at least 2",
                        fix: "choose a window where both trade, or drop one of them")
                }
                let v = (sxy[i, j] - sx[i, j] * sx[j, i] / nij) / (nij - 1) * ppy
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
