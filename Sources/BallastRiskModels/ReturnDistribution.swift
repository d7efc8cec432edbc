import BallastLinearAlgebra
import BallastMarketData
import Foundation

/// The estimation window actually used.
public struct EstimationWindow: Sendable, Codable, Equatable {
    /// Date of the first return.
    public var start: MarketDate
    /// Date of the last return.
    public var end: MarketDate
    /// Number of return observations (rows) after the missing-data policy.
    public var observations: Int

    /// A window.
    public init(start: MarketDate, end: MarketDate, observations: Int) {
        self.start = start
        self.end = end
        self.observations = observations
    }
}

/// How a ``ReturnDistribution`` was made, so that it can be reproduced and audited.
public struct EstimationProvenance: Sendable, Codable, Equatable {
    /// Simple or log returns.
    public var returnKind: ReturnKind
    /// Daily, weekly or monthly.
    public var frequency: Frequency
    /// How missing prices were handled.
    public var missingData: MissingDataPolicy
    /// The covariance estimator, as text.
    public var covariance: String
    /// The expected-return estimator, as text.
    public var expectedReturns: String
    /// Shrinkage intensity of a shrinkage estimator, else `nil`.
    public var shrinkage: Double?
    /// Diagnostics of the final covariance.
    public var diagnostics: CovarianceDiagnostics
    /// What a repair changed, if a repair was asked for and needed.
    public var repair: CovarianceRepairReport?

    /// A provenance record.
    public init(
        returnKind: ReturnKind, frequency: Frequency, missingData: MissingDataPolicy, covariance: String, expectedReturns: String,
        shrinkage: Double?, diagnostics: CovarianceDiagnostics, repair: CovarianceRepairReport?
    ) {
        self.returnKind = returnKind
        self.frequency = frequency
        self.missingData = missingData
        self.covariance = covariance
        self.expectedReturns = expectedReturns
        self.shrinkage = shrinkage
        self.diagnostics = diagnostics
        self.repair = repair
    }
}

/// Expected returns and covariance of a set of assets: the frozen value that estimation
/// hands to optimisation.
///
/// Units: annualised fractions. `expectedReturns[i]` and row/column `i` of `covariance`
/// belong to `assets[i]`.
public struct ReturnDistribution: Sendable, Equatable {
    /// The assets, in the order of the vectors and the matrix.
    public var assets: [String]
    /// Annualised expected returns.
    public var expectedReturns: [Double]
    /// Annualised covariance matrix.
    public var covariance: Matrix
    /// Periods per year used to annualise.
    public var periodsPerYear: Double
    /// The estimation window; `nil` for a distribution supplied from elsewhere.
    public var window: EstimationWindow?
    /// How the estimate was made.
    public var provenance: EstimationProvenance

    /// What a user of the estimate should know: a nearly singular covariance (which assets,
    /// and the fix), and an estimation window under a year (annualised figures from a few
    /// returns are mostly noise).
    public var warnings: [String] {
        var out: [String] = []
        if let s = provenance.diagnostics.nearSingularity { out.append(s) }
        if let w = window, w.end.dayNumber - w.start.dayNumber < 358 {
            out.append(
                "the estimates rest on \(w.observations) returns from \(w.start) to \(w.end), under a year: annualised returns and volatilities from so short a window are mostly noise; use a window of a year or more"
            )
        }
        return out
    }

    /// Creates a distribution from its parts.
    public init(
        assets: [String], expectedReturns: [Double], covariance: Matrix, periodsPerYear: Double, window: EstimationWindow?,
        provenance: EstimationProvenance
    ) {
        precondition(
            expectedReturns.count == assets.count && covariance.rows == assets.count && covariance.isSquare,
            "ReturnDistribution: \(assets.count) assets, \(expectedReturns.count) returns, covariance \(covariance.rows)x\(covariance.columns)"
        )
        self.assets = assets
        self.expectedReturns = expectedReturns
        self.covariance = covariance
        self.periodsPerYear = periodsPerYear
        self.window = window
        self.provenance = provenance
    }

    /// A distribution supplied by the caller (e.g. a house view), checked for definiteness.
    ///
    /// - Throws: ``RiskModelError`` for non-finite entries.
    public init(assets: [String], expectedReturns: [Double], covariance: Matrix, periodsPerYear: Double = 252) throws(RiskModelError) {
        self.init(
            assets: assets, expectedReturns: expectedReturns, covariance: covariance, periodsPerYear: periodsPerYear, window: nil,
            provenance: EstimationProvenance(
                returnKind: .simple, frequency: .daily, missingData: .dropRows, covariance: "supplied", expectedReturns: "supplied",
                shrinkage: nil, diagnostics: try CovarianceDiagnostics.check(covariance, assets: assets), repair: nil))
    }

    /// Annualised volatilities `sqrt(diag Sigma)`.
    public var volatilities: [Double] { covariance.diagonal.map { Swift.max($0, 0).squareRoot() } }

    /// The correlation matrix.
    public var correlation: Matrix {
        let s = volatilities
        var c = covariance
        for j in 0..<c.columns {
            for i in 0..<c.rows { c[i, j] = s[i] > 0 && s[j] > 0 ? c[i, j] / (s[i] * s[j]) : (i == j ? 1 : 0) }
        }
        return c
    }
}

/// Which covariance estimator to use (a value that can be stored and compared).
public enum CovarianceChoice: Sendable, Codable, Equatable {
    /// Sample covariance (pairwise-complete with missing data).
    case sample
    /// Exponentially weighted covariance.
    case exponential(ExponentialDecay)
    /// Ledoit-Wolf shrinkage toward a target.
    case ledoitWolf(ShrinkageTarget)
    /// Oracle approximating shrinkage.
    case oracleApproximating

    /// The estimator for this choice.
    public var estimator: any CovarianceEstimator {
        switch self {
        case .sample: SampleCovariance()
        case .exponential(let d): ExponentialCovariance(decay: d)
        case .ledoitWolf(let t): LedoitWolfCovariance(target: t)
        case .oracleApproximating: OracleApproximatingCovariance()
        }
    }
}

/// Which expected-return estimator to use.
public enum ExpectedReturnChoice: Sendable, Codable, Equatable {
    /// Arithmetic mean.
    case mean
    /// Geometric mean (compound annual growth).
    case geometric
    /// Exponentially weighted mean.
    case exponential(ExponentialDecay)
    /// CAPM against the market prices passed to ``RiskModelConfiguration/estimate(prices:market:)``.
    case capm(riskFreeRate: Double)
}

/// Everything needed to turn prices into a ``ReturnDistribution``.
public struct RiskModelConfiguration: Sendable, Codable, Equatable {
    /// First date of the price window (inclusive), `nil` for the first date in the data.
    public var start: MarketDate?
    /// Last date of the price window (inclusive), `nil` for the last date in the data.
    public var end: MarketDate?
    /// Resample prices before computing returns (default daily: no resampling).
    public var frequency: Frequency = .daily
    /// Periods per year for annualising; `nil` uses the frequency's convention (252/52/12).
    public var periodsPerYear: Double?
    /// Simple (default) or log returns.
    public var returnKind: ReturnKind = .simple
    /// How missing prices are handled (default: drop incomplete rows).
    public var missingData: MissingDataPolicy = .dropRows
    /// The covariance estimator (default: sample).
    public var covariance: CovarianceChoice = .sample
    /// The expected-return estimator (default: arithmetic mean).
    public var expectedReturns: ExpectedReturnChoice = .mean
    /// Repair the covariance when it is not positive definite (`nil`: report only).
    public var repair: CovarianceRepairMethod?

    /// The defaults documented on each property.
    public init() {}

    /// The annualisation factor in force.
    public var effectivePeriodsPerYear: Double { periodsPerYear ?? frequency.periodsPerYear }

    /// Runs the pipeline: window, resample, returns, missing-data policy, covariance,
    /// definiteness check (and repair if asked), expected returns.
    ///
    /// - Parameters:
    ///   - prices: the assets' prices.
    ///   - market: the market's prices (one column), needed for CAPM.
    /// - Throws: `MarketDataError` for window problems, ``RiskModelError`` for estimation
    ///   problems.
    public func estimate(prices: PriceTable, market: PriceTable? = nil) throws -> ReturnDistribution {
        let ppy = effectivePeriodsPerYear
        guard ppy > 0, ppy.isFinite else {
            throw RiskModelError(
                .invalidParameter, message: "periods per year \(ppy) is invalid",
                fix: "use a positive number such as 252 (daily), 52 (weekly) or 12 (monthly)")
        }
        let windowed = try prices.window(start: start, end: end).resampled(to: frequency)
        let raw = try windowed.returns(kind: returnKind, periodsPerYear: ppy)
        var marketReturns: ReturnSeries?
        if case .capm = expectedReturns, let market {
            guard market.symbolCount == 1 else {
                throw RiskModelError(
                    .invalidParameter, message: "the market file has \(market.symbolCount) columns",
                    fix: "use a file with one market column, or select one")
            }
            marketReturns = try market.resampled(to: frequency).returns(kind: returnKind, periodsPerYear: ppy)
        }
        return try estimate(returns: raw, market: marketReturns)
    }

    /// Runs the estimation part of the pipeline on returns already computed (the window,
    /// frequency and return kind of this configuration are not applied again; the
    /// missing-data policy is).
    ///
    /// - Parameters:
    ///   - raw: the assets' returns; their `periodsPerYear` annualises.
    ///   - market: the market's returns, needed for CAPM.
    /// - Throws: ``RiskModelError``.
    public func estimate(returns raw: ReturnSeries, market: ReturnSeries? = nil) throws(RiskModelError) -> ReturnDistribution {
        let ppy = raw.periodsPerYear
        let returns = raw.applying(missingData)
        guard returns.observationCount > 0 else {
            throw RiskModelError(
                .insufficientData, message: "no date in the window has a return for every asset",
                fix: "use --missing pairwise, or choose a window where every asset trades")
        }
        let cov = try covariance.estimator.estimate(returns)
        var matrix = cov.matrix
        if let k = matrix.elements.firstIndex(where: { !$0.isFinite }) {
            let n = matrix.rows
            throw RiskModelError(
                .numericalFailure, asset: "\(returns.symbols[k % n])/\(returns.symbols[k / n])",
                message: "the covariance has a non-finite entry", fix: "check the prices for extreme values")
        }
        var report: CovarianceRepairReport?
        if let repair {
            (matrix, report) = try CovarianceRepair.repair(matrix, method: repair)
        }
        let diagnostics = try CovarianceDiagnostics.check(matrix, assets: returns.symbols)
        let mu: [Double]
        let muMethod: ExpectedReturnMethod
        switch expectedReturns {
        case .mean:
            mu = try MeanReturn().estimate(returns)
            muMethod = .mean
        case .geometric:
            mu = try GeometricMeanReturn().estimate(returns)
            muMethod = .geometric
        case .exponential(let d):
            let e = ExponentialMeanReturn(decay: d)
            mu = try e.estimate(returns)
            muMethod = e.method
        case .capm(let rf):
            guard let market else {
                throw RiskModelError(
                    .invalidParameter, message: "CAPM expected returns need a market price series",
                    fix: "pass market prices (e.g. market-data/sp500_index.csv)")
            }
            let e = CAPMReturn(market: market, riskFreeRate: rf)
            mu = try e.estimate(returns)
            muMethod = e.method
        }
        return ReturnDistribution(
            assets: returns.symbols, expectedReturns: mu, covariance: matrix, periodsPerYear: ppy,
            window: EstimationWindow(start: returns.dates.first!, end: returns.dates.last!, observations: returns.observationCount),
            provenance: EstimationProvenance(
                returnKind: returns.kind, frequency: frequency, missingData: missingData, covariance: cov.method.description,
                expectedReturns: muMethod.description, shrinkage: cov.shrinkage, diagnostics: diagnostics, repair: report))
    }
}
