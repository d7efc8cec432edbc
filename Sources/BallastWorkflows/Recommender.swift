import BallastAudit
import BallastBacktest
import BallastMarketData
import BallastOptimization
import BallastProfiling
import BallastRebalancing
import BallastRiskModels
import Crypto
import Foundation

/// Where a recommendation's audit record goes. ``NoAuditTrail`` keeps none; a bank's service
/// supplies its own (the command-line tool writes to its embedded database).
public protocol RecommendationAuditor: Sendable {
    /// Stores the record of a recommendation and returns its identifier.
    func record(_ recommendation: Recommendation, customer: CustomerFile, settings: Recommender.Settings) throws -> String
}

/// Keeps no audit record.
public struct NoAuditTrail: RecommendationAuditor {
    /// An auditor that records nothing.
    public init() {}
    /// Returns an empty identifier.
    public func record(_ recommendation: Recommendation, customer: CustomerFile, settings: Recommender.Settings) throws -> String { "" }
}

/// Everything a recommendation for one customer produced.
public struct Recommendation: Sendable {
    /// The customer's risk level, scores, and every step of the reasoning.
    public var profile: RiskProfile
    /// The level's model portfolio on the estimation window ending at the date.
    public var portfolio: ModelPortfolio
    /// The model's products and any requested products checked against the level.
    public var suitability: SuitabilityResult
    /// The trades from the customer's holdings and cash to the model portfolio.
    public var plan: RebalancePlan
    /// The level's model rule, re-built on trailing data each quarter, over the last years.
    public var backtest: BacktestResult
    /// The distribution the model portfolio was built on, and the level's constraints on it.
    public var distribution: ReturnDistribution
    /// The level's constraints on `distribution` (bounds, cash floor, risky-share group).
    public var constraints: PortfolioConstraints
    /// Everything the customer or adviser should read, in order.
    public var warnings: [String]
    /// The audit record's identifier (empty when no audit trail is kept).
    public var auditRecordId: String
}

/// Profiles a customer, picks the suitability-checked model portfolio of their level, plans the
/// trades from their holdings, and back-tests the level's rule: the whole recommendation, values
/// in and values out. It never prints and is safe to share between concurrent tasks.
public struct Recommender: Sendable {
    /// The inputs that are the same for every customer.
    public struct Settings: Sendable {
        /// The risk questionnaire the answers refer to.
        public var questionnaire: Questionnaire
        /// The parameters of the five levels.
        public var levels: RiskLevels
        /// Products, ratings and lot sizes.
        public var catalog: ProductCatalog
        /// Product prices (every catalogue product that should be considered), daily closes.
        public var prices: PriceTable
        /// The market index: behaviour signals and the back-test's benchmark.
        public var market: PriceTable
        /// The key of the pseudonymous customer reference (HMAC-SHA256 of the customer id).
        var pseudonymKey: SymmetricKey { SymmetricKey(data: keyBytes) }
        private var keyBytes: [UInt8]
        /// The rule that builds the model portfolio, live and at every date of the back-test
        /// (its cash rate is also the back-test's cash and risk-free rate).
        public var rule = ModelRule()
        /// Years of back-test (default 10).
        public var backtestYears = 10
        /// Annual rate earned by cash, in the model and the back-test (the rule's).
        public var cashRate: Double {
            get { rule.cashRate }
            set { rule.cashRate = newValue }
        }
        /// Costs, minimum trade and lots for the plan and the back-test.
        public var policy = RebalancePolicy()
        /// Where recommendation records are written (default: none).
        public var auditor: any RecommendationAuditor = NoAuditTrail()

        /// Settings with the defaults documented on each property.
        ///
        /// - Parameters:
        ///   - questionnaire: the risk questionnaire.
        ///   - levels: the levels' parameters.
        ///   - catalog: products, ratings and lot sizes.
        ///   - prices: the products' daily closes.
        ///   - market: the market index's daily closes.
        ///   - pseudonymKey: the secret of the pseudonymous references (a `SymmetricKey` from
        ///     `Privacy.pseudonymKey(keyFile:environment:)`, or any bytes).
        public init(
            questionnaire: Questionnaire, levels: RiskLevels, catalog: ProductCatalog, prices: PriceTable, market: PriceTable,
            pseudonymKey: some ContiguousBytes
        ) {
            self.questionnaire = questionnaire
            self.levels = levels
            self.catalog = catalog
            self.prices = prices
            self.market = market
            self.keyBytes = pseudonymKey.withUnsafeBytes { Array($0) }
        }
    }

    /// The inputs shared by every recommendation.
    public var settings: Settings

    /// What each profile flag means for the adviser.

    /// A recommender with these settings.
    public init(settings: Settings) { self.settings = settings }

    /// The recommendation for `customer` as of `asOf` (the last price on or before it is used).
    ///
    /// - Parameters:
    ///   - customer: answers, holdings, cash, behaviour history (personal data is not used).
    ///   - asOf: the date of the recommendation.
    ///   - acknowledgedRiskWarning: the customer has read and accepted the warning for
    ///     requested products above their level.
    /// - Throws: the typed errors of the steps (`RiskModelError`, `OptimizationError`,
    ///   `RebalanceError`, `BacktestError`, `MarketDataError`), each naming what to fix.
    public func recommend(_ customer: CustomerFile, asOf: MarketDate, acknowledgedRiskWarning: Bool = false) throws -> Recommendation {
        let s = settings
        // Every figure is as of the last prices on or before the requested date.
        let resolved = try s.prices.resolveAsOf(asOf)
        let day = resolved.date
        var signals: BehaviourSignals?
        if customer.behaviour != nil || !customer.holdings.isEmpty {
            signals = BehaviourAnalyzer(market: s.market, prices: [s.prices], catalog: s.catalog).signals(for: customer, asOf: day)
        }
        let reference = Privacy.pseudonym(of: customer.id, key: s.pseudonymKey)
        let profile = RiskProfiler(questionnaire: s.questionnaire, levels: s.levels).profile(
            customer, behaviour: signals, asOf: day, pseudonym: reference)
        // The model portfolio, as the live models are built.
        let builder = try s.rule.builder(prices: s.prices, through: day, catalog: s.catalog, levels: s.levels)
        let distribution = builder.distribution
        let portfolio = try builder.portfolio(for: profile.parameters)
        let suitability = Suitability.check(
            weights: portfolio.weights, volatility: portfolio.result.volatility, level: profile.parameters, catalog: s.catalog,
            requested: customer.requestedProducts, acknowledged: acknowledgedRiskWarning)
        // The plan from today's holdings (the account is named by the pseudonym only).
        var policy = s.policy
        policy.trigger = .calendar
        policy.destination = .target
        let lots = Dictionary(uniqueKeysWithValues: s.catalog.products.map { ($0.symbol, $0.lotSize) })
        // A new customer with no holdings and no cash invests the amount recorded as
        // `financial.investableAmount`: the plan is the purchase plan for it.
        var deposit: CashFlow?
        if customer.holdings.isEmpty && customer.cash == 0 {
            guard let amount = customer.financial?.investableAmount, amount > 0 else {
                throw ProfilingError([
                    ProfilingIssue(
                        "financial.investableAmount",
                        "the customer holds nothing (no holdings, no cash) and no investable amount is recorded, so there is nothing to invest; record the amount to invest (ballast questionnaire --investable-amount N) or the customer's holdings and cash"
                    )
                ])
            }
            deposit = CashFlow(amount: amount)
        }
        let account = Account(id: reference, model: profile.label, cash: customer.cash, holdings: customer.holdings, cashFlow: deposit)
        // The same account checks as every account file: cash to the cent, whole lots.
        try account.validate(asOf: day, lotSizes: lots, fractionalDecimals: s.policy.fractionalDecimals)
        let plan = try RebalancePlanner(policy: policy, lotSizes: lots).plan(
            for: account, toward: portfolio.weights.filter { $0.value > 0 }, at: s.prices.lastPrices(onOrBefore: day), asOf: day)
        // The same rule, walked forward over the last years, sized with lots and costs as the
        // live plan is.
        var test = Backtest(
            prices: s.prices, strategy: LevelStrategy(level: profile.parameters, levels: s.levels, catalog: s.catalog, rule: s.rule))
        test.sizing = .planner(lotSizes: lots)
        test.start = day.adding(months: -12 * s.backtestYears)
        test.end = day
        test.schedule = .calendar(.quarterly)
        test.cashRate = s.cashRate
        test.riskFreeRate = s.cashRate
        test.policy = s.policy
        test.benchmark = try ValueSeries(s.market, symbol: s.market.symbols[0])
        let backtest = try test.run()
        var warnings: [String] = []
        if let w = suitability.warning { warnings.append(w) }
        for issue in suitability.issues where !suitability.passed { warnings.append(issue.message) }
        warnings += portfolio.result.warnings
        for flag in profile.flags { warnings.append(flag.explanation) }
        warnings += plan.notes
        if let deposit {
            warnings.append(
                "a new customer: the plan invests the recorded investable amount of \(String(format: "%.2f", deposit.amount)) in the model")
        }
        if !backtest.failures.isEmpty {
            warnings.append(
                "the back-test could not re-build the model on \(backtest.failures.count) of \(backtest.events.count) dates (too little history for some products); it kept the previous holdings then"
            )
        }
        if let stale = resolved.staleness { warnings.append(stale) }
        var recommendation = Recommendation(
            profile: profile, portfolio: portfolio, suitability: suitability, plan: plan, backtest: backtest, distribution: distribution,
            constraints: builder.constraints(for: profile.parameters),
            warnings: warnings, auditRecordId: "")
        recommendation.auditRecordId = try s.auditor.record(recommendation, customer: customer, settings: s)
        return recommendation
    }
}
