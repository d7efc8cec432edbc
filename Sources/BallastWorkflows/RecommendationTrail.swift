import BallastAudit
import BallastMarketData
import BallastProfiling
import BallastRebalancing
import Foundation

/// Writes each recommendation to an audit trail: the profile's and the plan's pseudonymous
/// references, the digests of every input (the customer without personal data, the prices,
/// the questionnaire, levels, catalogue, and the investment process's inputs), the parameters,
/// the outputs (level, weights, trades, back-test figures, versions), the suitability decision
/// and the warnings.
public struct RecommendationTrailRecorder: RecommendationAuditor {
    /// The trail written to.
    public let trail: AuditTrail
    /// The request's parameters as given (flag to value).
    public let parameters: [String: String]
    /// The digest of the customer's inputs (``AuditCustomerInputs``).
    public let customerDigest: String

    /// A recorder.
    public init(trail: AuditTrail, parameters: [String: String], customerDigest: String) {
        self.trail = trail
        self.parameters = parameters
        self.customerDigest = customerDigest
    }

    struct Outputs: Encodable {
        let level: String
        let weights: [String: Double]
        let expectedReturn: Double
        let volatility: Double
        let trades: [PlannedTrade]
        let cashAfter: Money
        @ExplicitNull var backtestCagr: Double?
        let backtestMaxDrawdown: Double
        @ExplicitNull var modelLevel: String?
        @ExplicitNull var assumptionsVersion: String?
        @ExplicitNull var menuReviewDate: MarketDate?
    }

    /// Appends the record and returns its id.
    public func record(_ r: Recommendation, customer: CustomerFile, settings: Recommender.Settings) throws -> String {
        let outputs = Outputs(
            level: r.profile.label, weights: r.portfolio.weights.filter { $0.value > 0 }, expectedReturn: r.portfolio.result.expectedReturn,
            volatility: r.portfolio.result.volatility, trades: r.plan.trades, cashAfter: r.plan.cashAfter,
            backtestCagr: r.backtest.metrics.cagr,
            backtestMaxDrawdown: r.backtest.metrics.maxDrawdown, modelLevel: r.portfolio.level.label,
            assumptionsVersion: r.assumptionsVersion, menuReviewDate: r.menuReviewDate)
        let entry = AuditEntry(
            command: "recommend", engineVersion: BallastVersion.current, customerRef: r.profile.customerRef, accountRef: r.plan.accountId,
            inputs: [
                "customer": customerDigest, "prices": AuditDigest.prices(settings.prices), "market": AuditDigest.prices(settings.market),
                "questionnaire": AuditDigest.json(settings.questionnaire), "levels": AuditDigest.json(settings.levels),
                "catalog": AuditDigest.json(settings.catalog),
            ].merging(
                settings.process.map { p in
                    Dictionary(uniqueKeysWithValues: p.assumptions.inputs.map { ("assumptions:" + $0.file, $0.sha256) })
                        .merging(["investmentPolicy": AuditDigest.json(p.policy)]) { a, _ in a }
                } ?? [:]
            ) { a, _ in a }, parameters: parameters, outputs: AuditDigest.canonicalJSON(outputs),
            suitability: AuditDigest.canonicalJSON(r.suitability),
            warnings: r.warnings,
            acknowledged: r.suitability.acknowledged)
        return String(try trail.append([entry])[0])
    }
}
