import BallastLinearAlgebra
import BallastMarketData
import Foundation

/// Ledoit-Wolf shrinkage of the covariance towards a structured target, annualised, with
/// the shrinkage intensity estimated from the data.
///
/// - `constantVariance`: scikit-learn's `ledoit_wolf` (Ledoit & Wolf 2004, "A well-conditioned
///   estimator for large-dimensional covariance matrices", Lemma 3.2). `S` uses `1/T`.
/// - `singleFactor`: Ledoit & Wolf (2003), "Improved estimation of the covariance matrix of
///   stock returns with an application to portfolio selection", with the equal-weighted
///   average of the demeaned returns as the market, exactly as PyPortfolioOpt. `S` uses `1/T`.
/// - `constantCorrelation`: Ledoit & Wolf (2004), "Honey, I shrunk the sample covariance
///   matrix", exactly as PyPortfolioOpt (whose `S` is the `ddof = 1` sample covariance while
///   the intensity terms use `1/T`; Ballast keeps that mix so the numbers agree).
///
/// Every sum over the data is either one BLAS `syrk` (`XᵀX`) or an O(T N) pass: the fourth-
/// moment terms are rewritten as row sums (for example `Σ_ij (X²ᵀX²)_ij = Σ_t (Σ_i x_ti²)²`),
/// so no second `N x N` product is formed.
///
/// Needs complete rows: use the `dropRows` missing-data policy.
public struct LedoitWolfCovariance: CovarianceEstimator {
    /// The shrinkage target.
    public var target: ShrinkageTarget

    /// Creates the estimator (default target: constant variance).
    public init(target: ShrinkageTarget = .constantVariance) { self.target = target }

    /// - Throws: ``RiskModelError/Code/incompleteData``, ``RiskModelError/Code/insufficientData``
    ///   (fewer than 2 observations), ``RiskModelError/Code/zeroVariance`` for the
    ///   constant-correlation target when an asset never moves.
    /// - Complexity: O(T N²) via BLAS plus O(T N + N²).
    public func estimate(_ returns: ReturnSeries) throws(RiskModelError) -> CovarianceEstimate {
        try requireObservations(returns, 2, for: "Ledoit-Wolf shrinkage")
        try requireComplete(returns, for: "Ledoit-Wolf shrinkage")
        let (means, _) = columnMeans(returns)
        let x = centred(returns, means: means)
        let g = x.gram()  // Xcᵀ Xc
        let (cov, delta): (Matrix, Double)
        switch target {
        case .constantVariance: (cov, delta) = LedoitWolfCovariance.constantVariance(x, g)
        case .singleFactor: (cov, delta) = LedoitWolfCovariance.singleFactor(x, g)
        case .constantCorrelation: (cov, delta) = try LedoitWolfCovariance.constantCorrelation(x, g, symbols: returns.symbols)
        }
        return CovarianceEstimate(matrix: cov.scaled(by: returns.periodsPerYear), shrinkage: delta, method: .ledoitWolf(target))
    }

    /// scikit-learn `ledoit_wolf_shrinkage` + `ledoit_wolf`.
    static func constantVariance(_ x: Matrix, _ g: Matrix) -> (Matrix, Double) {
        let t = Double(x.rows)
        let n = x.columns
        let nd = Double(n)
        if n == 1 { return (g.scaled(by: 1 / t), 0) }
        let traceTerms = g.diagonal.map { $0 / t }  // emp_cov_trace
        let mu = traceTerms.reduce(0, +) / nd
        // beta_ = Σ_ij (X²ᵀ X²)_ij = Σ_t (Σ_i x_ti²)²
        let rowSq = rowSums(x, power: 2)
        let betaRaw = rowSq.reduce(0) { $0 + $1 * $1 }
        // delta_ = Σ_ij (XᵀX)_ij² / T²
        let deltaRaw = g.elements.reduce(0) { $0 + $1 * $1 } / (t * t)
        var beta = 1 / (nd * t) * (betaRaw / t - deltaRaw)
        var delta = deltaRaw - 2 * mu * traceTerms.reduce(0, +) + nd * mu * mu
        delta /= nd
        beta = min(beta, delta)
        let shrinkage = beta == 0 ? 0 : beta / delta
        var s = g.scaled(by: (1 - shrinkage) / t)
        for i in 0..<n { s[i, i] += shrinkage * mu }
        return (s, shrinkage)
    }

    /// PyPortfolioOpt `_ledoit_wolf_single_factor`.
    static func singleFactor(_ x: Matrix, _ g: Matrix) -> (Matrix, Double) {
        let tn = x.rows
        let n = x.columns
        let t = Double(tn)
        // Equal-weighted market of the demeaned returns.
        var mkt = [Double](repeating: 0, count: tn)
        for j in 0..<n {
            let base = j * tn
            for i in 0..<tn { mkt[i] += x.elements[base + i] }
        }
        for i in 0..<tn { mkt[i] /= Double(n) }
        let sample = g.scaled(by: 1 / t)
        let betas = x.times(mkt, transposed: true, alpha: 1 / t)
        let varmkt = mkt.reduce(0) { $0 + $1 * $1 } / t
        var f = Matrix(rows: n, columns: n)
        for j in 0..<n {
            for i in 0..<n { f[i, j] = i == j ? sample[i, i] : betas[i] * betas[j] / varmkt }
        }
        let c = squaredFrobenius(sample - f)
        // p = (1/t) Σ_ij (yᵀy)_ij - Σ sample², y = x²
        let rowSq = rowSums(x, power: 2)
        let sampleSq = sample.elements.reduce(0) { $0 + $1 * $1 }
        let p = rowSq.reduce(0) { $0 + $1 * $1 } / t - sampleSq
        // rdiag = (1/t) Σ y² - Σ diag(sample)²
        let sumFourth = x.elements.reduce(0) { $0 + $1 * $1 * $1 * $1 }
        let diag = sample.diagonal
        let rdiag = sumFourth / t - diag.reduce(0) { $0 + $1 * $1 }
        // z = x ∘ mkt. v1 = (1/t) yᵀz - β_i S_ij.
        // Σ_ij v1_ij β_j = (1/t) Σ_t m_t (Σ_i x_ti²)(Σ_j x_tj β_j) - βᵀSβ
        let xb = x.times(betas)  // Σ_j x_tj β_j per row
        var s1 = 0.0
        for i in 0..<tn { s1 += mkt[i] * rowSq[i] * xb[i] }
        let sb = sample.times(betas)
        let bsb = zip(betas, sb).reduce(0) { $0 + $1.0 * $1.1 }
        let sumV1B = s1 / t - bsb
        // diag(v1)_i = (1/t) Σ_t x_ti³ m_t - β_i S_ii
        var diagV1 = [Double](repeating: 0, count: n)
        var diagZZ = [Double](repeating: 0, count: n)
        for j in 0..<n {
            let base = j * tn
            var a = 0.0
            var b = 0.0
            for i in 0..<tn {
                let v = x.elements[base + i]
                let m = mkt[i]
                a += v * v * v * m
                b += v * v * m * m
            }
            diagV1[j] = a / t - betas[j] * diag[j]
            diagZZ[j] = b
        }
        let roff1 = sumV1B / varmkt - zip(diagV1, betas).reduce(0) { $0 + $1.0 * $1.1 } / varmkt
        // v3 = (1/t) zᵀz - varmkt S. Σ_ij v3_ij β_i β_j = (1/t) Σ_t m_t² (Σ_i x_ti β_i)² - varmkt βᵀSβ
        var s3 = 0.0
        for i in 0..<tn { s3 += mkt[i] * mkt[i] * xb[i] * xb[i] }
        let sumV3BB = s3 / t - varmkt * bsb
        var diagTerm = 0.0
        for j in 0..<n { diagTerm += (diagZZ[j] / t - varmkt * diag[j]) * betas[j] * betas[j] }
        let roff3 = sumV3BB / (varmkt * varmkt) - diagTerm / (varmkt * varmkt)
        let r = rdiag + 2 * roff1 - roff3
        let k = (p - r) / c
        let delta = c == 0 ? 0 : max(0, min(1, k / t))
        return (f.scaled(by: delta) + sample.scaled(by: 1 - delta), delta)
    }

    /// PyPortfolioOpt `_ledoit_wolf_constant_correlation`.
    static func constantCorrelation(_ x: Matrix, _ g: Matrix, symbols: [String]) throws(RiskModelError) -> (Matrix, Double) {
        let tn = x.rows
        let n = x.columns
        let t = Double(tn)
        let s = g.scaled(by: 1 / (t - 1))  // pandas' ddof-1 covariance
        let variances = s.diagonal
        if let k = variances.firstIndex(where: { !($0 > 0) }) {
            throw RiskModelError(
                .zeroVariance, asset: symbols[k], message: "the asset's returns do not vary, so its correlations are undefined",
                fix: "drop the asset or use the constant-variance target")
        }
        let std = variances.map { $0.squareRoot() }
        var corrSum = 0.0
        for j in 0..<n {
            for i in 0..<n { corrSum += s[i, j] / (std[i] * std[j]) }
        }
        let rBar = n > 1 ? (corrSum - Double(n)) / Double(n * (n - 1)) : 0
        var f = Matrix(rows: n, columns: n)
        for j in 0..<n {
            for i in 0..<n { f[i, j] = i == j ? variances[i] : rBar * std[i] * std[j] }
        }
        let h = g.scaled(by: 1 / t)  // help_ = XᵀX / t
        // pi_hat = Σ pi_mat, pi_mat = (yᵀy)/t - 2 (XᵀX) ∘ S / t + S²
        let rowSq = rowSums(x, power: 2)
        var piHat = rowSq.reduce(0) { $0 + $1 * $1 } / t
        for k in 0..<(n * n) { piHat += -2 * g.elements[k] * s.elements[k] / t + s.elements[k] * s.elements[k] }
        // diag(pi_mat)_i = Σ_t x_ti⁴ / t - 2 G_ii S_ii / t + S_ii²
        var fourth = [Double](repeating: 0, count: n)
        for j in 0..<n {
            let base = j * tn
            var a = 0.0
            for i in 0..<tn {
                let v = x.elements[base + i]
                a += v * v * v * v
            }
            fourth[j] = a
        }
        var diagPi = 0.0
        for i in 0..<n { diagPi += fourth[i] / t - 2 * g[i, i] * s[i, i] / t + s[i, i] * s[i, i] }
        // Σ_{i≠j} (std_j/std_i) theta_ij, theta = term1 - term2 - term3 + term4.
        // term1_ij = Σ_t x_ti³ x_tj / t: Σ_ij (std_j/std_i) term1_ij = Σ_t (Σ_i x_ti³/std_i)(Σ_j x_tj std_j) / t,
        // minus its diagonal Σ_i Σ_t x_ti⁴ / t.
        var a = [Double](repeating: 0, count: tn)
        var b = [Double](repeating: 0, count: tn)
        for j in 0..<n {
            let base = j * tn
            let inv = 1 / std[j]
            let sj = std[j]
            for i in 0..<tn {
                let v = x.elements[base + i]
                a[i] += v * v * v * inv
                b[i] += v * sj
            }
        }
        var term1 = 0.0
        for i in 0..<tn { term1 += a[i] * b[i] }
        term1 = term1 / t - fourth.reduce(0, +) / t
        var rest = 0.0
        for j in 0..<n {
            for i in 0..<n where i != j {
                let ratio = std[j] / std[i]
                let term2 = h[i, i] * s[i, j]
                let term3 = h[i, j] * variances[i]
                let term4 = variances[i] * s[i, j]
                rest += ratio * (-term2 - term3 + term4)
            }
        }
        let rhoHat = diagPi + rBar * (term1 + rest)
        let gammaHat = squaredFrobenius(s - f)
        let kappa = (piHat - rhoHat) / gammaHat
        let delta = gammaHat == 0 ? 0 : max(0, min(1, kappa / t))
        return (f.scaled(by: delta) + s.scaled(by: 1 - delta), delta)
    }
}

/// Oracle approximating shrinkage towards `(tr S / N) I`, annualised, as scikit-learn's
/// `oas` (Chen, Wiesel, Eldar & Hero 2010, eq. 23, with scikit-learn's simplification).
/// `S` uses `1/T`. Needs complete rows.
public struct OracleApproximatingCovariance: CovarianceEstimator {
    /// The estimator, as scikit-learn's `oas` (no parameters).
    public init() {}

    /// - Throws: ``RiskModelError/Code/incompleteData``, ``RiskModelError/Code/insufficientData``.
    /// - Complexity: O(T N²) via BLAS.
    public func estimate(_ returns: ReturnSeries) throws(RiskModelError) -> CovarianceEstimate {
        try requireObservations(returns, 2, for: "oracle approximating shrinkage")
        try requireComplete(returns, for: "oracle approximating shrinkage")
        let (means, _) = columnMeans(returns)
        let x = centred(returns, means: means)
        let t = Double(x.rows)
        let n = x.columns
        let emp = x.gram(alpha: 1 / t)
        if n == 1 {
            return CovarianceEstimate(matrix: emp.scaled(by: returns.periodsPerYear), shrinkage: 0, method: .oracleApproximating)
        }
        let nd = Double(n)
        let alpha = emp.elements.reduce(0) { $0 + $1 * $1 } / (nd * nd)
        let mu = emp.diagonal.reduce(0, +) / nd
        let mu2 = mu * mu
        let num = alpha + mu2
        let den = (t + 1) * (alpha - mu2 / nd)
        let shrinkage = den == 0 ? 1 : min(num / den, 1)
        var s = emp.scaled(by: 1 - shrinkage)
        for i in 0..<n { s[i, i] += shrinkage * mu }
        s.scale(by: returns.periodsPerYear)
        return CovarianceEstimate(matrix: s, shrinkage: shrinkage, method: .oracleApproximating)
    }
}

// MARK: - Helpers

/// Σ_j x_tj^power for each row t.
func rowSums(_ x: Matrix, power: Int) -> [Double] {
    var out = [Double](repeating: 0, count: x.rows)
    x.elements.withUnsafeBufferPointer { p in
        for j in 0..<x.columns {
            let base = j * x.rows
            for i in 0..<x.rows {
                let v = p[base + i]
                out[i] += power == 2 ? v * v : pow(v, Double(power))
            }
        }
    }
    return out
}

func squaredFrobenius(_ m: Matrix) -> Double { m.elements.reduce(0) { $0 + $1 * $1 } }
