import BallastLinearAlgebra
import BallastMarketData
import Foundation

/// Which expected-return estimator produced an estimate.
public enum ExpectedReturnMethod: Sendable, Codable, Equatable, CustomStringConvertible {
    /// Arithmetic mean times periods per year.
    case mean
    /// Compound annual growth: `prod(1 + r)^(P / n) - 1`, `n` each asset's own count.
    case geometric
    /// Exponentially weighted mean of returns times periods per year.
    case exponential(ExponentialDecay)
    /// CAPM: `rf + beta_i (E[R_m] - rf)` with the given annual risk-free rate.
    case capm(riskFreeRate: Double)
    /// Black-Litterman posterior.
    case blackLitterman

    /// The method's name, as in reports.
    public var description: String {
        switch self {
        case .mean: "arithmetic mean"
        case .geometric: "geometric mean (compound annual growth)"
        case .exponential(let d): "exponentially weighted mean (\(d))"
        case .capm(let rf): "CAPM (risk-free rate \(rf))"
        case .blackLitterman: "Black-Litterman posterior"
        }
    }
}

/// An expected-return estimator: a pure function from returns to annualised expected
/// returns, one per asset in the order of the returns' symbols.
public protocol ExpectedReturnEstimator: Sendable {
    /// Annualised expected returns (fractions).
    func estimate(_ returns: ReturnSeries) throws(RiskModelError) -> [Double]
    /// Identifies the estimator in provenance records.
    var method: ExpectedReturnMethod { get }
}

func requirePresent(_ r: ReturnSeries, counts: [Int]) throws(RiskModelError) {
    if let k = counts.firstIndex(of: 0) {
        throw RiskModelError(
            .insufficientData, asset: r.symbols[k], message: "the asset has no returns in the window",
            fix: "widen the window or drop the asset")
    }
}

/// The arithmetic mean of each asset's present returns, annualised by periods per year
/// (PyPortfolioOpt `mean_historical_return(compounding=False)`).
public struct MeanReturn: ExpectedReturnEstimator {
    /// The arithmetic-mean estimator.
    public init() {}
    /// `.mean`.
    public var method: ExpectedReturnMethod { .mean }

    /// - Complexity: O(T N).
    public func estimate(_ returns: ReturnSeries) throws(RiskModelError) -> [Double] {
        try requireObservations(returns, 1, for: "the mean return")
        let (means, counts) = columnMeans(returns)
        try requirePresent(returns, counts: counts)
        return means.map { $0 * returns.periodsPerYear }
    }
}

/// Compound annual growth `prod(1 + r)^(P / n) - 1` over each asset's own `n` present
/// returns (PyPortfolioOpt `mean_historical_return`, its default). For log returns the
/// growth factor is `exp(Σ r)`.
public struct GeometricMeanReturn: ExpectedReturnEstimator {
    /// The geometric-mean estimator.
    public init() {}
    /// `.geometric`.
    public var method: ExpectedReturnMethod { .geometric }

    /// - Complexity: O(T N).
    public func estimate(_ returns: ReturnSeries) throws(RiskModelError) -> [Double] {
        try requireObservations(returns, 1, for: "the geometric mean return")
        var out = [Double]()
        for j in 0..<returns.assetCount {
            var growth = 1.0
            var logSum = 0.0
            var count = 0
            for v in returns.column(j) where !v.isNaN {
                if returns.kind == .simple { growth *= 1 + v } else { logSum += v }
                count += 1
            }
            if count == 0 {
                throw RiskModelError(
                    .insufficientData, asset: returns.symbols[j], message: "the asset has no returns in the window",
                    fix: "widen the window or drop the asset")
            }
            if returns.kind == .log { growth = exp(logSum) }
            out.append(pow(growth, returns.periodsPerYear / Double(count)) - 1)
        }
        return out
    }
}

/// The exponentially weighted mean of returns, annualised arithmetically: pandas'
/// `ewm(...).mean()` (adjust=True, ignore_na=False) at the last date, times periods per
/// year (PyPortfolioOpt `ema_historical_return(compounding=False)`). The newest return has
/// weight 1 and a return `k` periods older `(1 - alpha)^k`; missing returns keep their place.
public struct ExponentialMeanReturn: ExpectedReturnEstimator {
    /// The decay; PyPortfolioOpt's default is a span of 500.
    public var decay: ExponentialDecay

    /// An exponentially weighted mean with this decay (default span 500).
    public init(decay: ExponentialDecay = .span(500)) { self.decay = decay }
    /// `.exponential(decay)`.
    public var method: ExpectedReturnMethod { .exponential(decay) }

    /// - Complexity: O(T N).
    public func estimate(_ returns: ReturnSeries) throws(RiskModelError) -> [Double] {
        try decay.validate()
        try requireObservations(returns, 1, for: "the exponentially weighted mean return")
        let w = decay.weights(count: returns.observationCount)
        var out = [Double]()
        for j in 0..<returns.assetCount {
            var num = 0.0
            var den = 0.0
            for (i, v) in returns.column(j).enumerated() where !v.isNaN {
                num += w[i] * v
                den += w[i]
            }
            if den == 0 {
                throw RiskModelError(
                    .insufficientData, asset: returns.symbols[j], message: "the asset has no returns in the window",
                    fix: "widen the window or drop the asset")
            }
            out.append(num / den * returns.periodsPerYear)
        }
        return out
    }
}

/// CAPM expected returns `rf + beta_i (E[R_m] - rf)` (PyPortfolioOpt `capm_return`).
///
/// The market's returns are matched to the assets' dates (a left join on date). Each beta is
/// `cov(r_i, r_m) / var(r_m)` with pandas' pairwise-complete covariances (ddof 1); the
/// market's expected return is its compound annual growth (`compounding = true`, the default)
/// or its arithmetic mean times periods per year.
public struct CAPMReturn: ExpectedReturnEstimator {
    /// The market's returns (e.g. from the bundled S&P 500 index file).
    public var market: ReturnSeries
    /// Annual risk-free rate (fraction).
    public var riskFreeRate: Double
    /// Compound the market's mean return (`true`, as PyPortfolioOpt) or not.
    public var compounding: Bool

    /// - Precondition: `market` has exactly one column.
    public init(market: ReturnSeries, riskFreeRate: Double = 0, compounding: Bool = true) {
        precondition(market.assetCount == 1, "CAPM needs a single market series, got \(market.assetCount) columns")
        self.market = market
        self.riskFreeRate = riskFreeRate
        self.compounding = compounding
    }

    /// `.capm(riskFreeRate:)`.
    public var method: ExpectedReturnMethod { .capm(riskFreeRate: riskFreeRate) }

    /// - Throws: ``RiskModelError/Code/misalignedData`` when fewer than 2 of the assets'
    ///   dates have a market return, ``RiskModelError/Code/zeroVariance`` when the market
    ///   does not move.
    /// - Complexity: O(T N).
    public func estimate(_ returns: ReturnSeries) throws(RiskModelError) -> [Double] {
        try requireObservations(returns, 2, for: "CAPM")
        // Left join of the market on the assets' dates.
        var lookup: [MarketDate: Double] = [:]
        for (i, d) in market.dates.enumerated() { lookup[d] = market.values[i] }
        let m = returns.dates.map { lookup[$0] ?? .nan }
        let mPresent = m.filter { !$0.isNaN }
        guard mPresent.count >= 2 else {
            throw RiskModelError(
                .misalignedData, message: "only \(mPresent.count) of the assets' \(returns.observationCount) dates have a market return",
                fix: "use a market series that covers the window")
        }
        let mMean = mPresent.reduce(0, +) / Double(mPresent.count)
        let mVar = mPresent.reduce(0) { $0 + ($1 - mMean) * ($1 - mMean) } / Double(mPresent.count - 1)
        guard mVar > 0 else {
            throw RiskModelError(
                .zeroVariance, asset: market.symbols.first, message: "the market's returns do not vary",
                fix: "use a different market series")
        }
        var betas = [Double]()
        for j in 0..<returns.assetCount {
            var xs: [Double] = []
            var ys: [Double] = []
            for (i, v) in returns.column(j).enumerated() where !v.isNaN && !m[i].isNaN {
                xs.append(v)
                ys.append(m[i])
            }
            guard xs.count >= 2 else {
                throw RiskModelError(
                    .insufficientOverlap, asset: returns.symbols[j],
                    message: "the asset shares \(xs.count) dates with the market; a beta needs at least 2",
                    fix: "choose a window where the asset trades")
            }
            let mx = xs.reduce(0, +) / Double(xs.count)
            let my = ys.reduce(0, +) / Double(ys.count)
            var c = 0.0
            for k in xs.indices { c += (xs[k] - mx) * (ys[k] - my) }
            betas.append(c / Double(xs.count - 1) / mVar)
        }
        let ppy = returns.periodsPerYear
        let marketReturn: Double
        if compounding {
            var g = 1.0
            for v in mPresent { g *= returns.kind == .simple ? 1 + v : exp(v) }
            marketReturn = pow(g, ppy / Double(mPresent.count)) - 1
        } else {
            marketReturn = mMean * ppy
        }
        return betas.map { riskFreeRate + $0 * (marketReturn - riskFreeRate) }
    }
}
