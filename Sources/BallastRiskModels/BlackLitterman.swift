import BallastLinearAlgebra
import BallastMarketData
import Foundation

/// A set of Black-Litterman views `P w = Q` (one row of `P` per view).
public struct BlackLittermanViews: Sendable, Codable, Equatable {
    /// The picking matrix, `views x assets` (absolute views have a single 1 in their row;
    /// relative views have +1 and -1 entries).
    public var picks: [[Double]]
    /// The expected annual return of each view (fractions).
    public var returns: [Double]
    /// Idzorek confidences in [0, 1], one per view; `nil` for He & Litterman's default
    /// uncertainty `Omega = tau diag(P Sigma Pᵀ)`.
    public var confidences: [Double]?

    /// Views: each row of `picks` weights the assets, `returns` the view's expected return, `confidences` (0-1) for Idzorek's method.
    public init(picks: [[Double]], returns: [Double], confidences: [Double]? = nil) {
        self.picks = picks
        self.returns = returns
        self.confidences = confidences
    }
}

/// The Black-Litterman model (Black & Litterman 1992; He & Litterman 1999; Idzorek 2005),
/// with PyPortfolioOpt's `BlackLittermanModel` conventions.
///
/// The prior is the market-implied return `pi = delta Sigma w_mkt + rf`. With views
/// `P`, `Q` and uncertainty `Omega`, the posterior is
/// `mu = pi + tau Sigma Pᵀ (P tau Sigma Pᵀ + Omega)⁻¹ (Q - P pi)` and
/// `Sigma_post = Sigma + tau Sigma - tau Sigma Pᵀ (P tau Sigma Pᵀ + Omega)⁻¹ P tau Sigma`.
/// The `K x K` system is solved by Cholesky, never inverted. `Omega` is He-Litterman's
/// `tau diag(P Sigma Pᵀ)` by default, or Idzorek's `tau (1 - c)/c P_k Sigma P_kᵀ` for
/// confidences `c` (a confidence of 0 gives a variance of 1e6, as PyPortfolioOpt).
public struct BlackLitterman: Sendable {
    /// Annualised prior covariance `Sigma`.
    public var covariance: Matrix
    /// Market-capitalisation weights (normalised to sum to 1 internally).
    public var marketWeights: [Double]
    /// Risk aversion `delta`.
    public var riskAversion: Double
    /// Scales the uncertainty of the prior; PyPortfolioOpt's default is 0.05.
    public var tau: Double
    /// Annual risk-free rate added to the prior returns (PyPortfolioOpt's default: 0).
    public var riskFreeRate: Double

    /// A model from the prior covariance, market weights and risk aversion.
    public init(covariance: Matrix, marketWeights: [Double], riskAversion: Double, tau: Double = 0.05, riskFreeRate: Double = 0) {
        precondition(
            covariance.isSquare && covariance.rows == marketWeights.count,
            "Black-Litterman: Sigma is \(covariance.rows)x\(covariance.columns) but there are \(marketWeights.count) weights")
        self.covariance = covariance
        self.marketWeights = marketWeights
        self.riskAversion = riskAversion
        self.tau = tau
        self.riskFreeRate = riskFreeRate
    }

    /// A model whose risk aversion is implied by a market series (see
    /// ``impliedRiskAversion(market:riskFreeRate:)``), for when `delta` is not given.
    ///
    /// - Throws: ``RiskModelError`` when the market series is too short or does not vary.
    public init(
        covariance: Matrix, marketWeights: [Double], market: ReturnSeries, tau: Double = 0.05, riskFreeRate: Double = 0
    ) throws(RiskModelError) {
        let delta = try BlackLitterman.impliedRiskAversion(market: market, riskFreeRate: riskFreeRate)
        self.init(covariance: covariance, marketWeights: marketWeights, riskAversion: delta, tau: tau, riskFreeRate: riskFreeRate)
    }

    /// The market-implied prior returns `delta Sigma w + rf`.
    public var priorReturns: [Double] {
        let total = marketWeights.reduce(0, +)
        let w = marketWeights.map { $0 / total }
        return covariance.times(w, alpha: riskAversion).map { $0 + riskFreeRate }
    }

    /// The implied risk aversion of a market series: `(E[r] P - rf) / (var(r) P)` with the
    /// arithmetic mean and the ddof-1 variance of its simple returns (PyPortfolioOpt
    /// `market_implied_risk_aversion`).
    public static func impliedRiskAversion(market: ReturnSeries, riskFreeRate: Double = 0) throws(RiskModelError) -> Double {
        let r = market.column(0).filter { !$0.isNaN }
        guard r.count >= 2 else {
            throw RiskModelError(.insufficientData, message: "the market series has \(r.count) returns", fix: "use a longer market series")
        }
        let mean = r.reduce(0, +) / Double(r.count)
        let variance = r.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(r.count - 1)
        guard variance > 0 else {
            throw RiskModelError(.zeroVariance, message: "the market's returns do not vary", fix: "use a different market series")
        }
        return (mean * market.periodsPerYear - riskFreeRate) / (variance * market.periodsPerYear)
    }

    /// The posterior expected returns and covariance given views.
    ///
    /// - Throws: ``RiskModelError/Code/invalidParameter`` for mis-shaped views or confidences
    ///   outside [0, 1]; ``RiskModelError/Code/notPositiveDefinite`` when the views' system
    ///   is singular (for example two identical views with zero uncertainty).
    /// - Complexity: O(N² K + K³).
    public func posterior(_ views: BlackLittermanViews) throws(RiskModelError) -> (expectedReturns: [Double], covariance: Matrix) {
        let n = marketWeights.count
        let k = views.returns.count
        guard views.picks.count == k, views.picks.allSatisfy({ $0.count == n }) else {
            throw RiskModelError(
                .invalidParameter,
                message: "the views have \(views.picks.count) rows of P for \(k) values of Q, each row must have \(n) entries",
                fix: "give one row of P (one weight per asset) for every view")
        }
        if let c = views.confidences {
            guard c.count == k else {
                throw RiskModelError(
                    .invalidParameter, message: "there are \(c.count) confidences for \(k) views", fix: "give one confidence per view")
            }
            if let bad = c.first(where: { !($0 >= 0 && $0 <= 1) }) {
                throw RiskModelError(
                    .invalidParameter, message: "confidence \(bad) is outside [0, 1]", fix: "give confidences as fractions between 0 and 1")
            }
        }
        let pi = priorReturns
        let p = Matrix(rowMajor: views.picks)  // K x N
        let sigmaPt = Matrix.product(covariance, transposed: false, p, transposed: true)  // N x K = Sigma Pᵀ
        let tauSigmaPt = sigmaPt.scaled(by: tau)
        let pSigmaPt = Matrix.product(p, sigmaPt)  // K x K
        var omega = [Double](repeating: 0, count: k)
        for v in 0..<k {
            if let c = views.confidences?[v] {
                omega[v] = c == 0 ? 1e6 : tau * (1 - c) / c * pSigmaPt[v, v]
            } else {
                omega[v] = tau * pSigmaPt[v, v]
            }
        }
        var a = pSigmaPt.scaled(by: tau)
        for v in 0..<k { a[v, v] += omega[v] }
        a.symmetrize()
        let chol: Cholesky
        do { chol = try Cholesky(a) } catch {
            throw RiskModelError(
                .notPositiveDefinite, message: "the views' system P tau Sigma Pᵀ + Omega is singular (\(error))",
                fix: "remove duplicate views or give them uncertainty (confidence below 1)")
        }
        let pPi = p.times(pi)
        let b = (0..<k).map { views.returns[$0] - pPi[$0] }
        let solved = chol.solve(b)
        let shift = tauSigmaPt.times(solved)
        let mu = (0..<n).map { pi[$0] + shift[$0] }
        let x = chol.solve(tauSigmaPt.transposed)  // K x N
        let m = Matrix.product(tauSigmaPt, x)  // N x N
        var post = covariance + covariance.scaled(by: tau) - m
        post.symmetrize()
        return (mu, post)
    }
}
