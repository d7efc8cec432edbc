import BallastAudit
import BallastMarketData
import BallastProfiling
import BallastRebalancing
import Foundation

// The requests of the advice workflows: what `ballast profile`, `recommend` and `rebalance`
// do between parsing their options and printing, for any caller. Each takes its files from
// `WorkflowInputs`, returns its warnings instead of printing them, and writes its audit record
// only after the caller's `beforeRecording` step (writing a report, say) succeeded, so that a
// result that could not be delivered is never recorded.

/// A profile-only assessment of one customer file: the risk level with its explanation and,
/// for requested products, the suitability decision.
public struct ProfileRequest: Sendable {
    /// The customer file, as the user names it.
    public var customer: String
    /// The date of the assessment (default: the universe's last date).
    public var asOf: MarketDate?
    /// The customer accepted the risk warning for requested products above the level.
    public var acknowledgedRiskWarning = false

    /// A request for the customer file at `customer`.
    public init(customer: String) { self.customer = customer }

    /// What the assessment found.
    public struct Outcome: Sendable {
        /// The assessment.
        public var assessment: ProfileAssessment
        /// The date used.
        public var day: MarketDate
        /// A stale date or implausible prices.
        public var warnings: [String]
        /// The audit record, when a trail was given.
        public var auditRecordId: Int64?
    }

    /// Assesses the customer with `inputs`, recording the assessment in `trail`.
    public func run(_ inputs: WorkflowInputs, trail: AuditTrail?) throws -> Outcome {
        let (marketSet, warnings) = try inputs.loadPrices([inputs.market])
        let process = try inputs.process()
        // The default date is the product data's last, as in recommend.
        let resolved = try (process?.prices ?? marketSet.table).resolveAsOf(asOf)
        let day = resolved.date
        var notes = warnings + (resolved.staleness.map { [$0] } ?? [])
        let prices: PriceTable
        if let process {
            prices = process.prices
        } else {
            let loaded = try inputs.loadPrices(inputs.stockPriceFiles)
            (prices, notes) = (loaded.set.table, notes + loaded.warnings)
        }
        let assessmentInputs = ProfileAssessment.Inputs(
            questionnaire: try inputs.loadQuestionnaire(), levels: try inputs.levels(for: process),
            catalog: try process?.catalogInForce(asOf: day) ?? inputs.loadCatalog(), market: marketSet.table, prices: prices,
            pseudonymKey: try inputs.pseudonymKey())
        let a = try ProfileAssessment.assess(
            customerFile: try inputs.resolve(customer), asOf: day, inputs: assessmentInputs, acknowledged: acknowledgedRiskWarning)
        var id: Int64?
        if let trail {
            let paths = try [
                "questionnaire": inputs.questionnaire, "levels": inputs.levels, "catalog": inputs.catalog, "market": inputs.market,
            ]
            .mapValues(inputs.resolve)
            id = try trail.append([a.auditEntry(asOf: day, acknowledged: acknowledgedRiskWarning, files: paths)]).last
        }
        return Outcome(assessment: a, day: day, warnings: notes, auditRecordId: id)
    }
}

/// A recommendation for one customer file: profile, suitability, the level's model, the plan
/// and the back-test of the model rule.
public struct RecommendRequest: Sendable {
    /// The customer file, as the user names it.
    public var customer: String
    /// The date (default: the universe's last date).
    public var asOf: MarketDate?
    /// Years of back-test.
    public var years = 10
    /// Proportional cost of the trades, in basis points.
    public var costBps = 0.0
    /// The customer accepted the risk warning for requested products above the level.
    public var acknowledgedRiskWarning = false

    /// A request for the customer file at `customer`.
    public init(customer: String) { self.customer = customer }

    /// The recommendation with what it was made from.
    public struct Outcome: Sendable {
        /// The recommendation (with its audit record id when recorded).
        public var recommendation: Recommendation
        /// The customer file as read.
        public var customer: CustomerFile
        /// The catalogue in force.
        public var catalog: ProductCatalog
        /// A stale date or implausible prices.
        public var warnings: [String]
    }

    /// Recommends with `inputs`; `beforeRecording` runs on the result before the audit
    /// record is appended to `trail` (a report that cannot be written records nothing).
    public func run(
        _ inputs: WorkflowInputs, trail: AuditTrail?, beforeRecording: (Recommendation, ProductCatalog) throws -> Void = { _, _ in }
    ) throws -> Outcome {
        let process = try inputs.process()
        var warnings: [String] = []
        let table: PriceTable
        if let process {
            table = process.prices
        } else {
            let (set, w) = try inputs.loadPrices(inputs.stockPriceFiles)
            (table, warnings) = (set.table, w)
            try PriceCheck.refuseTrading(set, on: try table.resolveAsOf(asOf).date)
        }
        let resolved = try table.resolveAsOf(asOf)
        if let stale = resolved.staleness { warnings.append(stale) }
        let day = resolved.date
        let questionnaire = try inputs.loadQuestionnaire()
        let catalog = try process?.catalogInForce(asOf: day) ?? inputs.loadCatalog()
        let customerFile = try CustomerFile.read(
            path: try inputs.resolve(customer), questionnaire: questionnaire, catalog: catalog, asOf: day)
        let market = try PriceCSV.read(path: try inputs.resolve(inputs.market))
        let key = try inputs.pseudonymKey()
        var settings =
            if let process {
                try Recommender.Settings(
                    questionnaire: questionnaire, levels: try inputs.loadLevels(), process: process, market: market, pseudonymKey: key)
            } else {
                Recommender.Settings(
                    questionnaire: questionnaire, levels: try inputs.loadLevels(), catalog: catalog, prices: table, market: market,
                    pseudonymKey: key)
            }
        settings.backtestYears = years
        settings.policy.costBasisPoints = costBps
        var r = try Recommender(settings: settings).recommend(
            customerFile, asOf: asOf ?? day, acknowledgedRiskWarning: acknowledgedRiskWarning)
        try beforeRecording(r, catalog)
        if let trail {
            let parameters = [
                "asOf": day.description, "years": String(years), "costBps": String(costBps),
                "acknowledgeRiskWarning": String(acknowledgedRiskWarning), "prices": inputs.prices.joined(separator: " "),
            ].merging(inputs.universeParameters) { a, _ in a }
            let recorder = RecommendationTrailRecorder(
                trail: trail, parameters: parameters, customerDigest: AuditDigest.json(AuditCustomerInputs(customerFile)))
            r.auditRecordId = try recorder.record(r, customer: customerFile, settings: settings)
        }
        return Outcome(recommendation: r, customer: customerFile, catalog: catalog, warnings: warnings)
    }
}

/// Rebalancing: one account's plan, or the set-up of a batch over a book. The targets come
/// from a models file or the levels' models on the date; the prices from the universe, the
/// price files or a price map.
public struct RebalanceRequest: Sendable {
    /// The date of the prices and of calendar triggers (default: the data's last date).
    public var asOf: MarketDate?
    /// Model portfolios: a JSON object of model id to `{symbol: weight}` (default: the levels').
    public var models: String?
    /// Prices as a JSON map `{symbol: price}` instead of the universe's.
    public var priceMap: String?
    /// The policy.
    public var policy = RebalancePolicy()
    /// The pre-trade controls (`nil`: none): price stops, account limits, the batch's circuit
    /// breakers and the suspension file.
    public var controls: PreTradeControls?
    /// Suspend every rebalance with this reason (`nil`: only the controls' suspension file does).
    public var suspension: String?

    /// A request with the default policy.
    public init() {}

    /// What each plan is checked against on the market's day: the account limits, the products
    /// whose prices stop trading (every priced product of the targets and the price map), the
    /// catalogue's ratings and the suspension; `nil` when there are no controls and no suspension.
    ///
    /// - Parameters:
    ///   - market: the prices and their history on the plan's date.
    ///   - catalog: the products' ratings.
    ///   - targets: the models traded to.
    /// - Returns: the controls and one warning per product not traded.
    public func planControls(market: PlanMarket, catalog: ProductCatalog, targets: [String: [String: Double]]) -> (
        controls: PlanControls?, warnings: [String]
    ) {
        let reason = suspension ?? controls?.suspension
        guard controls != nil || reason != nil else { return (nil, []) }
        let cash = Set(catalog.products.filter(\.isCash).map(\.symbol)).union([RebalancePlanner.defaultCashSymbol])
        let symbols = Set(market.prices.keys).union(targets.values.flatMap(\.keys)).subtracting(cash)
        let stops = controls.map { $0.prices.stops(in: market.history, on: market.day, symbols: Array(symbols)) } ?? []
        let ratings = Dictionary(catalog.products.map { ($0.symbol, $0.riskRating.rawValue) }, uniquingKeysWith: { a, _ in a })
        let plan = PlanControls(
            limits: controls?.account ?? AccountLimits.off, stopped: stops, ratings: ratings, suspension: reason)
        return (plan, stops.map { "price control: not trading \($0)" })
    }

    /// The parameters of the audit records, as given.
    func parameters(_ inputs: WorkflowInputs, day: MarketDate) -> [String: String] {
        var p = ["asOf": day.description, "prices": priceMap ?? inputs.prices.joined(separator: " ")]
        if let models { p["models"] = models }
        if let controls { p["preTradeControls"] = AuditDigest.canonicalJSON(controls) }
        if let reason = suspension ?? controls?.suspension { p["suspension"] = reason }
        return p.merging(inputs.universeParameters) { a, _ in a }
    }

    /// The market on the date, the catalogue in force and every model's target weights.
    public func targets(_ inputs: WorkflowInputs) throws -> (
        market: PlanMarket, catalog: ProductCatalog, targets: [String: [String: Double]]
    ) {
        let market = try inputs.planMarket(asOf: asOf, priceMap: priceMap)
        let catalog = try market.catalog ?? inputs.loadCatalog()
        return (
            market, catalog, try market.targets(models: try models.map(inputs.resolve), levels: try inputs.loadLevels(), catalog: catalog)
        )
    }

    /// One account's plan.
    public struct Outcome: Sendable {
        /// The plan.
        public var plan: RebalancePlan
        /// The weights it trades toward.
        public var target: [String: Double]
        /// A stale date or implausible prices.
        public var warnings: [String]
        /// The audit record, when a trail was given.
        public var auditRecordId: Int64?
    }

    /// Plans the account in the file `account` (as the user names it), recorded in `trail`
    /// under the account's pseudonymous reference.
    public func plan(account: String, _ inputs: WorkflowInputs, trail: AuditTrail?) throws -> Outcome {
        let path = try inputs.resolve(account)
        guard let data = FileManager.default.contents(atPath: path) else { throw PlanMarketError("\(account): no such file") }
        let market = try inputs.planMarket(asOf: asOf, priceMap: priceMap)
        var rebalancer = AccountRebalance(
            market: market, catalog: try market.catalog ?? inputs.loadCatalog(), levels: try inputs.loadLevels(), policy: policy,
            modelsFile: try models.map(inputs.resolve))
        let (controls, stopWarnings) = planControls(market: market, catalog: rebalancer.catalog, targets: [:])
        rebalancer.controls = controls
        let (acct, plan, target) = try rebalancer.plan(data, source: account)
        var id: Int64?
        if let trail {
            id = try trail.append([
                rebalancer.auditEntry(
                    account: acct, data: data, plan: plan, target: target, parameters: parameters(inputs, day: market.day),
                    key: try inputs.pseudonymKey())
            ]).last
        }
        return Outcome(plan: plan, target: target, warnings: market.warnings + stopWarnings, auditRecordId: id)
    }

    /// A batch rebalancer over the book `input`, writing to `output`, with every account
    /// recorded in `trail` (set the run's options, such as `resume`, on the result, then
    /// call `run()`).
    ///
    /// - Returns: the rebalancer and the warnings of the prices.
    public func batch(
        input: BatchInput, output: BatchOutput, errors: String?, jobs: Int, _ inputs: WorkflowInputs, trail: AuditTrail?,
        parameters extra: [String: String] = [:]
    ) throws -> (BatchRebalancer, warnings: [String]) {
        let (market, catalog, targets) = try targets(inputs)
        var planner = RebalancePlanner(policy: policy, lotSizes: catalog.lotSizes)
        let (controls, stopWarnings) = planControls(market: market, catalog: catalog, targets: targets)
        planner.controls = controls
        var batch = BatchRebalancer(
            input: input, output: output, errors: errors, jobs: jobs, planner: planner,
            targets: targets, prices: market.prices, asOf: market.day, engineVersion: BallastVersion.current)
        batch.breakers = self.controls?.batch
        if let trail {
            let key = try inputs.pseudonymKey().withUnsafeBytes { Array($0) }
            let auditInputs = AccountRebalance(market: market, catalog: catalog, levels: try inputs.loadLevels(), policy: policy)
                .auditInputs(targets: targets)
            batch.audit = BatchAuditContext(
                sink: trail, key: key, inputs: auditInputs, parameters: parameters(inputs, day: market.day).merging(extra) { $1 })
        }
        return (batch, market.warnings + stopWarnings)
    }
}
