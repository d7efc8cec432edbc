import BallastAudit
import BallastMarketData
import BallastProfiling
import Crypto
import Foundation

/// A profile-only assessment (`ballast profile`): the customer's risk level from the
/// questionnaire and the account's behaviour, and the suitability of the products the
/// customer asked for, without a portfolio.
public struct ProfileAssessment: Sendable {
    /// The customer file as read.
    public let customer: CustomerFile
    /// The risk profile.
    public let profile: RiskProfile
    /// The suitability of the requested products, `nil` when none were requested.
    public let suitability: SuitabilityResult?

    /// What an assessment reads.
    public struct Inputs {
        /// The questionnaire.
        public var questionnaire: Questionnaire
        /// The levels (the process's limits applied, on the multi-asset universe).
        public var levels: RiskLevels
        /// The products and their ratings on the date.
        public var catalog: ProductCatalog
        /// The market index, for the behaviour signals.
        public var market: PriceTable
        /// The product prices, for the behaviour signals.
        public var prices: PriceTable
        /// The pseudonymisation key.
        public var pseudonymKey: SymmetricKey

        /// Inputs from loaded values.
        public init(
            questionnaire: Questionnaire, levels: RiskLevels, catalog: ProductCatalog, market: PriceTable, prices: PriceTable,
            pseudonymKey: SymmetricKey
        ) {
            self.questionnaire = questionnaire
            self.levels = levels
            self.catalog = catalog
            self.market = market
            self.prices = prices
            self.pseudonymKey = pseudonymKey
        }
    }

    /// Assesses the customer in the file at `path` on `asOf`.
    ///
    /// - Parameters:
    ///   - path: the customer file.
    ///   - asOf: the date of the assessment.
    ///   - inputs: the questionnaire, levels, catalogue, market data and key.
    ///   - acknowledged: the customer accepted the risk warning for requested products above the level.
    /// - Throws: `ProfilingError` for a customer file that breaks the questionnaire, and the
    ///   file's read errors.
    public static func assess(customerFile path: String, asOf: MarketDate, inputs: Inputs, acknowledged: Bool) throws
        -> ProfileAssessment
    {
        let customer = try CustomerFile.read(path: path, questionnaire: inputs.questionnaire, catalog: inputs.catalog, asOf: asOf)
        var signals: BehaviourSignals?
        if customer.behaviour != nil || !customer.holdings.isEmpty {
            signals = BehaviourAnalyzer(market: inputs.market, prices: [inputs.prices], catalog: inputs.catalog).signals(
                for: customer, asOf: asOf)
        }
        let profile = RiskProfiler(questionnaire: inputs.questionnaire, levels: inputs.levels).profile(
            customer, behaviour: signals, asOf: asOf, pseudonym: Privacy.pseudonym(of: customer.id, key: inputs.pseudonymKey))
        var suitability: SuitabilityResult?
        if !customer.requestedProducts.isEmpty {
            suitability = Suitability.check(
                weights: [:], volatility: nil, level: profile.parameters, catalog: inputs.catalog, requested: customer.requestedProducts,
                acknowledged: acknowledged)
        }
        return ProfileAssessment(customer: customer, profile: profile, suitability: suitability)
    }

    /// The assessment's audit record: the inputs' digests (files by content), the date and the
    /// acknowledgement, the level and scores, the suitability decision.
    ///
    /// - Parameters:
    ///   - asOf: the date of the assessment.
    ///   - acknowledged: whether the risk warning was acknowledged.
    ///   - files: input name to file path (`questionnaire`, `levels`, `catalog`, `market`).
    public func auditEntry(asOf: MarketDate, acknowledged: Bool, files: [String: String]) -> AuditEntry {
        let p = profile
        struct Outputs: Encodable {
            let level: Int
            let label: String
            let willingness, capacity, consistency: Double
            let decidedBy: String
            let flags: [String]
            let reassessBy: String
        }
        let outputs = Outputs(
            level: p.level, label: p.label, willingness: p.willingness, capacity: p.capacity, consistency: p.consistency,
            decidedBy: p.decidedBy, flags: p.flags.map(\.rawValue), reassessBy: p.reassessBy.description)
        var inputs = files.mapValues(AuditDigest.file)
        inputs["customer"] = AuditDigest.json(AuditCustomerInputs(customer))
        return AuditEntry(
            command: "profile", engineVersion: BallastVersion.current, customerRef: p.customerRef, inputs: inputs,
            parameters: [
                "asOf": asOf.description, "acknowledgeRiskWarning": String(acknowledged), "questionnaireVersion": p.questionnaireVersion,
            ],
            outputs: AuditDigest.canonicalJSON(outputs), suitability: suitability.map(AuditDigest.canonicalJSON),
            warnings: suitability?.warning.map { [$0] } ?? [], acknowledged: suitability?.acknowledged ?? false)
    }
}
