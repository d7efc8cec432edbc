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
    /// The version of the capital-market assumptions the model was built on (`nil` for the
    /// stock rule, which estimates on the spot).
    public var assumptionsVersion: String?
    /// The review of the model menu in force on the date (`nil` for the stock rule).
    public var menuReviewDate: MarketDate?
    /// Where the customer is on the policy's glide path (`nil` without a goal date or a
    /// glide path).
    public var glidePath: GlidePathPosition?
}

/// Where a customer with a goal date stands on the policy's glide path.
public struct GlidePathPosition: Sendable, Codable, Equatable {
    /// The customer's goal date.
    public var goalDate: MarketDate
    /// Years from the recommendation's date to the goal (negative once it has passed).
    public var yearsToGoal: Double
    /// The level the profile gives.
    public var profileLevel: String
    /// The level whose model is recommended: the profile's, or lower when a step applies.
    public var modelLevel: String
    /// The step that lowered the level, if one did.
    public var step: InvestmentPolicy.GlideStep?
    /// The next step ahead that would lower the level further, if any.
    public var nextStep: InvestmentPolicy.GlideStep?
    /// The policy's whole schedule.
    public var schedule: [InvestmentPolicy.GlideStep]
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
        /// The investment process whose model menu is recommended. When set, it replaces
        /// ``rule``: the products, prices and ratings are the universe's, the model is the
        /// level's portfolio of the menu in force on the date (after the glide path), and the
        /// back-test holds each review's menu. When `nil`, the stock rule builds the model.
        public var process: InvestmentProcess?

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

        /// Settings that recommend the model menu of `process`: its universe's prices and
        /// catalogue, its policy's limits.
        ///
        /// - Parameters:
        ///   - questionnaire: the risk questionnaire.
        ///   - levels: the levels' parameters (their caps, ratings and cash floors are
        ///     replaced by the policy's).
        ///   - process: the investment process.
        ///   - market: the market index's daily closes.
        ///   - pseudonymKey: the secret of the pseudonymous references.
        ///
        /// - Throws: ``InvestmentProcessError`` when the policy lacks one of the levels.
        public init(
            questionnaire: Questionnaire, levels: RiskLevels, process: InvestmentProcess, market: PriceTable,
            pseudonymKey: some ContiguousBytes
        ) throws {
            self.init(
                questionnaire: questionnaire, levels: try process.levels(levels), catalog: process.catalogInForce(asOf: process.lastDate),
                prices: process.prices,
                market: market, pseudonymKey: pseudonymKey)
            self.process = process
        }
    }

    /// The inputs shared by every recommendation.
    public var settings: Settings

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
        let catalogOnDay = s.process?.catalogInForce(asOf: day) ?? s.catalog
        var signals: BehaviourSignals?
        if customer.behaviour != nil || !customer.holdings.isEmpty {
            signals = BehaviourAnalyzer(market: s.market, prices: [s.prices], catalog: catalogOnDay).signals(for: customer, asOf: day)
        }
        let reference = Privacy.pseudonym(of: customer.id, key: s.pseudonymKey)
        let profile = RiskProfiler(questionnaire: s.questionnaire, levels: s.levels).profile(
            customer, behaviour: signals, asOf: day, pseudonym: reference)
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
            deposit = CashFlow(amount: try Account.amount(amount, field: "financial.investableAmount", accountId: reference))
        }
        // The model portfolio: the menu in force on the date (after the glide path), or the
        // stock rule's model built on the spot.
        let built = try model(for: profile, customer: customer, on: day)
        let portfolio = built.portfolio
        let catalog = built.catalog
        let suitability = Suitability.check(
            weights: portfolio.weights, volatility: portfolio.result.volatility, level: portfolio.level, catalog: catalog,
            requested: customer.requestedProducts, acknowledged: acknowledgedRiskWarning)
        // The plan from today's holdings (the account is named by the pseudonym only).
        var policy = s.policy
        policy.trigger = .calendar
        policy.destination = .target
        let lots = catalog.lotSizes
        let account = Account(
            id: reference, model: portfolio.level.label, cash: try Account.amount(customer.cash, field: "cash", accountId: reference),
            holdings: customer.holdings,
            cashFlow: deposit)
        // The same account checks as every account file: cash to the cent, whole lots.
        try account.validate(asOf: day, lotSizes: lots, fractionalDecimals: s.policy.fractionalDecimals)
        let plan = try RebalancePlanner(policy: policy, lotSizes: lots).plan(
            for: account, toward: portfolio.weights.filter { $0.value > 0 }, at: s.prices.lastPrices(onOrBefore: day), asOf: day)
        // The same rule, walked forward over the last years, sized with lots and costs as the
        // live plan is.
        var test = Backtest(prices: s.prices, strategy: built.strategy)
        test.sizing = .planner(lotSizes: lots)
        test.start = day.adding(months: -12 * s.backtestYears)
        if let first = built.firstDecision, first > test.start! { test.start = first }
        test.end = day
        test.schedule = built.schedule
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
                "a new customer: the plan invests the recorded investable amount of \(deposit.amount.description) in the model")
        }
        if !backtest.failures.isEmpty {
            warnings.append(
                "the back-test could not re-build the model on \(backtest.failures.count) of \(backtest.events.count) dates (too little history for some products); it kept the previous holdings then"
            )
        }
        if let stale = resolved.staleness { warnings.append(stale) }
        if let g = built.glidePath, let step = g.step {
            warnings.append(
                String(
                    format:
                        "the goal is %.1f years away: by the policy's glide path (at most %@ within %g years of the goal) the model is %@, not the profile's %@",
                    g.yearsToGoal, "C\(step.maximumLevel)", step.yearsToGoal, g.modelLevel, g.profileLevel))
        }
        if let g = built.glidePath, g.yearsToGoal < 0 {
            warnings.append("the goal date \(g.goalDate) has passed; record the customer's next goal")
        }
        var recommendation = Recommendation(
            profile: profile, portfolio: portfolio, suitability: suitability, plan: plan, backtest: backtest,
            distribution: built.distribution, constraints: built.constraints,
            warnings: warnings, auditRecordId: "", assumptionsVersion: built.assumptionsVersion, menuReviewDate: built.reviewDate,
            glidePath: built.glidePath)
        recommendation.auditRecordId = try s.auditor.record(recommendation, customer: customer, settings: s)
        return recommendation
    }
}

extension Recommender {
    /// The model a recommendation trades to, and the back-test strategy that replays its rule.
    struct BuiltModel {
        var portfolio: ModelPortfolio
        var catalog: ProductCatalog
        var distribution: ReturnDistribution
        var constraints: PortfolioConstraints
        var strategy: any AllocationStrategy
        var schedule: RebalanceSchedule
        var firstDecision: MarketDate?
        var assumptionsVersion: String?
        var reviewDate: MarketDate?
        var glidePath: GlidePathPosition?
    }

    /// The level's model on `day`: from the process's menu in force (the glide path applied),
    /// or from the stock rule.
    func model(for profile: RiskProfile, customer: CustomerFile, on day: MarketDate) throws -> BuiltModel {
        let s = settings
        guard let process = s.process else {
            let builder = try s.rule.builder(prices: s.prices, through: day, catalog: s.catalog, levels: s.levels)
            return BuiltModel(
                portfolio: try builder.portfolio(for: profile.parameters), catalog: s.catalog, distribution: builder.distribution,
                constraints: builder.constraints(for: profile.parameters),
                strategy: LevelStrategy(level: profile.parameters, levels: s.levels, catalog: s.catalog, rule: s.rule),
                schedule: .calendar(.quarterly))
        }
        // The glide path: the goal's distance lowers the level by the policy's schedule.
        var glide: GlidePathPosition?
        var level = profile.parameters.level
        if let goal = customer.goalDate, let schedule = process.policy.glidePath, !schedule.isEmpty {
            let years = Double(goal.dayNumber - day.dayNumber) / 365.25
            let (applied, step) = process.policy.glideLevel(for: level, yearsToGoal: years)
            let ahead = schedule.filter { $0.yearsToGoal <= years && $0.maximumLevel < applied }.max { $0.yearsToGoal < $1.yearsToGoal }
            glide = GlidePathPosition(
                goalDate: goal, yearsToGoal: (years * 100).rounded() / 100, profileLevel: profile.label, modelLevel: "C\(applied)",
                step: step, nextStep: ahead, schedule: schedule.sorted { $0.yearsToGoal > $1.yearsToGoal })
            level = applied
        }
        guard let base = s.levels.levels.first(where: { $0.level == level }) else {
            throw InvestmentProcessError(
                field: "levels", message: "the levels file has no level \(level)", fix: "list every level of the policy in the levels file")
        }
        let parameters = try process.parameters(base)
        let reviews = try process.reviews(through: day)
        let live = reviews.last!
        let (menuPortfolio, result) = try live.portfolio(level: level)
        _ = menuPortfolio
        let suitability = Suitability.check(
            weights: Dictionary(uniqueKeysWithValues: zip(result.assets, result.weights).map { ($0, $1) }), volatility: result.volatility,
            level: parameters, catalog: live.catalog)
        let distribution = try live.assumptions.distribution()
        let constraints = try ModelMenuBuilder(assumptions: live.assumptions, policy: process.policy, catalog: live.catalog)
            .constraints(try process.policyLevel(level))
        return BuiltModel(
            portfolio: ModelPortfolio(
                level: parameters, result: result, suitability: suitability, cashSymbol: live.catalog.cashSymbol ?? result.assets.last!),
            catalog: live.catalog, distribution: distribution, constraints: constraints,
            strategy: MenuReviewStrategy(level: level, reviews: reviews, processName: process.assumptions.specification.name),
            schedule: .calendar(.monthly), firstDecision: reviews.first?.date, assumptionsVersion: live.assumptions.version,
            reviewDate: live.date, glidePath: glide)
    }
}
