import BallastMarketData

/// The estimators of a risk model as a person names them (the `risk-model` flags, a request
/// file): flat fields with documented defaults, checked in one place and turned into the
/// ``CovarianceChoice`` and ``ExpectedReturnChoice`` of a ``RiskModelConfiguration``.
///
/// The exponential decay is one setting for both estimators: a span (default 180 periods for
/// the covariance and 500 for expected returns, as PyPortfolioOpt's `exp_cov` and
/// `ema_historical_return`) or a half-life, never both.
public struct EstimatorSettings: Sendable, Codable, Equatable {
    /// The covariance estimators by name.
    public enum Covariance: String, Sendable, Codable, CaseIterable {
        /// Sample covariance.
        case sample
        /// Exponentially weighted covariance.
        case ewma
        /// Ledoit-Wolf shrinkage toward ``EstimatorSettings/shrinkageTarget``.
        case ledoitWolf = "ledoit-wolf"
        /// Oracle approximating shrinkage.
        case oas
    }

    /// The expected-return estimators by name.
    public enum ExpectedReturns: String, Sendable, Codable, CaseIterable {
        /// Arithmetic mean.
        case mean
        /// Geometric mean.
        case geometric
        /// Exponentially weighted mean.
        case ema
        /// CAPM at ``EstimatorSettings/riskFreeRate``.
        case capm
    }

    /// A setting out of range (`SettingProblem` of BallastMarketData).
    public typealias Problem = SettingProblem

    /// The default span of the exponentially weighted covariance, in periods.
    public static let defaultCovarianceSpan = 180.0
    /// The default span of the exponentially weighted mean, in periods.
    public static let defaultReturnSpan = 500.0

    /// The covariance estimator (default sample).
    public var covariance: Covariance = .sample
    /// Ledoit-Wolf's target (default constant variance).
    public var shrinkageTarget: ShrinkageTarget = .constantVariance
    /// The decay's span in periods (`nil`: the estimator's default, unless ``halfLife`` is set).
    public var span: Double?
    /// The decay's half-life in periods, instead of a span.
    public var halfLife: Double?
    /// The expected-return estimator (default mean).
    public var expectedReturns: ExpectedReturns = .mean
    /// The annual risk-free rate of CAPM, as a fraction (default
    /// `MarketConventions.defaultRiskFreeRate`).
    public var riskFreeRate = MarketConventions.defaultRiskFreeRate

    /// The defaults documented on each field.
    public init() {}

    /// Checks every range: span at least 1, half-life positive, not both, and a risk-free rate
    /// that is an annual fraction (|r| < 1).
    ///
    /// - Throws: ``Problem`` for the first setting out of range.
    public func validate() throws(Problem) {
        if span != nil && halfLife != nil { throw Problem(field: "span", message: "give a span or a half-life, not both") }
        if let span, !(span >= 1 && span.isFinite) { throw Problem(field: "span", message: "must be at least 1, got \(span)") }
        if let halfLife, !(halfLife > 0 && halfLife.isFinite) {
            throw Problem(field: "halfLife", message: "must be positive, got \(halfLife)")
        }
        if !riskFreeRate.isFinite || abs(riskFreeRate) >= 1 {
            throw Problem(field: "riskFreeRate", message: "is an annual fraction (0.02 for 2%), got \(riskFreeRate)")
        }
    }

    /// The decay in force for an estimator whose default span is `defaultSpan`.
    func decay(defaultSpan: Double) -> ExponentialDecay {
        if let halfLife { return .halfLife(halfLife) }
        return .span(span ?? defaultSpan)
    }

    /// The covariance estimator these settings name.
    public var covarianceChoice: CovarianceChoice {
        switch covariance {
        case .sample: .sample
        case .ewma: .exponential(decay(defaultSpan: Self.defaultCovarianceSpan))
        case .ledoitWolf: .ledoitWolf(shrinkageTarget)
        case .oas: .oracleApproximating
        }
    }

    /// The expected-return estimator these settings name.
    public var expectedReturnChoice: ExpectedReturnChoice {
        switch expectedReturns {
        case .mean: .mean
        case .geometric: .geometric
        case .ema: .exponential(decay(defaultSpan: Self.defaultReturnSpan))
        case .capm: .capm(riskFreeRate: riskFreeRate)
        }
    }

    /// Sets the configuration's two estimators.
    public func apply(to configuration: inout RiskModelConfiguration) {
        configuration.covariance = covarianceChoice
        configuration.expectedReturns = expectedReturnChoice
    }
}
