import BallastBacktest
import BallastMarketData
import BallastProfiling
import BallastRebalancing
import BallastWorkflows
import Foundation

/// The JSON of `ballast recommend --format json`, version 1: the profile, the model portfolio,
/// the suitability decision, the plan, the back-test, the warnings and the versions.
public struct RecommendationJSON: Encodable, Sendable {
    /// The model portfolio.
    public struct Portfolio: Encodable, Sendable {
        /// Weight by product (positions only).
        public var weights: [String: Double]
        /// Annual expected return and volatility.
        public var expectedReturn, volatility: Double
        /// Sharpe ratio, `null` when undefined.
        @ExplicitNull public var sharpeRatio: Double?
    }
    /// The back-test of the model.
    public struct Backtest: Encodable, Sendable {
        /// First and last date.
        public var start, end: MarketDate
        /// The rule back-tested.
        public var strategy: String
        /// Its metrics.
        public var metrics: MetricsJSON
        /// The benchmark's name.
        public var benchmark: String?
        /// The benchmark's metrics.
        public var benchmarkMetrics: MetricsJSON?
        /// The conventions of the metrics.
        public var conventions: MetricConventions
    }
    /// The risk profile, as `profile --format json` gives it.
    public var profile: ProfileReport
    /// The model portfolio.
    public var portfolio: Portfolio
    /// The suitability decision.
    public var suitability: SuitabilityResult
    /// The plan that moves the account to the model.
    public var plan: RebalancePlan
    /// The back-test.
    public var backtest: Backtest
    /// Warnings for the adviser.
    public var warnings: [String]
    /// The audit record's id, `null` without the trail.
    @ExplicitNull public var auditRecordId: String?
    /// The engine's version.
    public var engineVersion = BallastVersion.current
    /// The capital-market assumptions' version (the investment process).
    @ExplicitNull public var assumptionsVersion: String?
    /// The date of the menu review in force.
    @ExplicitNull public var menuReviewDate: MarketDate?
    /// The glide-path position, when the customer has a goal date.
    @ExplicitNull public var glidePath: GlidePathPosition?

    /// The JSON of a recommendation.
    public init(_ r: Recommendation) {
        profile = ProfileReport(r.profile, suitability: nil)
        portfolio = Portfolio(
            weights: r.portfolio.weights.filter { $0.value > 0 }, expectedReturn: r.portfolio.result.expectedReturn,
            volatility: r.portfolio.result.volatility, sharpeRatio: r.portfolio.result.sharpeRatio)
        suitability = r.suitability
        plan = r.plan
        let b = r.backtest
        backtest = Backtest(
            start: b.dates.first!, end: b.dates.last!, strategy: b.strategy, metrics: MetricsJSON(b.metrics, result: b),
            benchmark: b.benchmark?.name, benchmarkMetrics: b.benchmarkMetrics.map { MetricsJSON($0, result: nil) },
            conventions: b.conventions)
        warnings = r.warnings
        auditRecordId = r.auditRecordId.isEmpty ? nil : r.auditRecordId
        assumptionsVersion = r.assumptionsVersion
        menuReviewDate = r.menuReviewDate
        glidePath = r.glidePath
    }
}

/// The JSON of `ballast profile --format json`, version 1.
public struct ProfileReport: Encodable, Sendable {
    /// The three scores, 0-100.
    public struct Scores: Encodable, Sendable {
        /// Willingness, capacity and consistency.
        public let willingness, capacity, consistency: Double
    }
    /// The level's limits.
    public struct Parameters: Encodable, Sendable {
        /// Volatility cap, risk aversion, largest risky share, smallest cash share.
        public let volatilityCap, riskAversion, maxRiskyShare, minCashShare: Double
        /// The highest product rating allowed.
        public let maxProductRating: String
    }
    /// The pseudonymous customer reference.
    public let customerRef: String
    /// The level, 1-5.
    public let level: Int
    /// Its label (C1-C5).
    public let label: String
    /// The scores.
    public let scores: Scores
    /// The rule that decided the level.
    public let decidedBy: String
    /// The behaviour signals, when the account had any.
    public let behaviour: BehaviourSignals?
    /// The profile's flags.
    public let flags: [ProfileFlag]
    /// The level's limits.
    public let parameters: Parameters
    /// The questionnaire's version.
    public let questionnaireVersion: String
    /// The assessment date and the date to re-assess by.
    public let asOf, reassessBy: String
    /// Every step of the decision.
    public let explanation: [ExplanationStep]
    /// The suitability of the requested products, if any.
    public let suitability: SuitabilityResult?
    /// The engine's version.
    public let engineVersion = BallastVersion.current

    /// The JSON of a profile.
    public init(_ p: RiskProfile, suitability: SuitabilityResult?) {
        customerRef = p.customerRef
        level = p.level
        label = p.label
        scores = Scores(willingness: p.willingness, capacity: p.capacity, consistency: p.consistency)
        decidedBy = p.decidedBy
        behaviour = p.behaviour
        flags = p.flags
        parameters = Parameters(
            volatilityCap: p.parameters.volatilityCap, riskAversion: p.parameters.riskAversion, maxRiskyShare: p.parameters.maxRiskyShare,
            minCashShare: p.parameters.minCashShare, maxProductRating: p.parameters.maxProductRating.description)
        questionnaireVersion = p.questionnaireVersion
        asOf = p.asOf.description
        reassessBy = p.reassessBy.description
        explanation = p.explanation
        self.suitability = suitability
    }
}

/// The screens of `recommend` and `profile`.
public enum RecommendationScreen {
    /// The recommendation screen: the level and why, the glide path, the allocation by
    /// product and class, the model, the trades, the back-test and the warnings.
    public static func text(_ r: Recommendation, customer: CustomerFile, catalog: ProductCatalog) -> String {
        let p = r.profile
        var out = "Recommendation for customer \(p.customerRef)"
        if let name = customer.personal?.name { out += " (\(Privacy.maskName(name)))" }
        out += ", as of \(p.asOf)\n\n"
        out += "Risk level \(p.label) \(p.parameters.name.text("en")), decided by \(p.decidedBy)\n"
        out += String(format: "  willingness %.0f/100, capacity %.0f/100, consistency %.0f/100\n", p.willingness, p.capacity, p.consistency)
        // The scores, the deciding rule and whatever moved the level; not the steps that changed nothing.
        let reasons = p.explanation.dropLast().filter { !$0.effect.contains("sets no cap") }.prefix(5)
        for step in reasons { out += wrapped("  - \(step.rule): \(step.effect)") + "\n" }
        if let g = r.glidePath {
            let ahead = g.nextStep.map { String(format: "; at %g years it falls to C%d", $0.yearsToGoal, $0.maximumLevel) } ?? ""
            out +=
                wrapped(
                    String(
                        format: "Glide path: goal %@, %.1f years away: model level %@ (profile %@)%@", g.goalDate.description,
                        g.yearsToGoal,
                        g.modelLevel, g.profileLevel, ahead)) + "\n"
        }
        // Allocation by product.
        let target = r.portfolio.weights
        let symbols = Set(target.filter { $0.value > 1e-6 }.keys).union(r.plan.weightsBefore.filter { $0.value > 1e-6 }.keys).sorted {
            $0 == RebalancePlanner.defaultCashSymbol ? false : $1 == RebalancePlanner.defaultCashSymbol ? true : $0 < $1
        }
        var t = TextTable(["product", "class", "rating", "current", "target", "after trades"])
        for s in symbols {
            let product = catalog.product(s)
            t.add([
                s, product?.assetClass ?? "", product?.riskRating.description ?? "", percent(r.plan.weightsBefore[s] ?? 0, digits: 1),
                percent(target[s] ?? 0, digits: 1), percent(r.plan.weightsAfter[s] ?? 0, digits: 1),
            ])
        }
        out += "\nAllocation\n" + t.render()
        var classes: [String: (Double, Double)] = [:]
        for s in symbols {
            let c = catalog.product(s)?.assetClass ?? (s == RebalancePlanner.defaultCashSymbol ? "cash" : "other")
            classes[c, default: (0, 0)].0 += r.plan.weightsBefore[s] ?? 0
            classes[c, default: (0, 0)].1 += target[s] ?? 0
        }
        out +=
            wrapped(
                "by class: "
                    + classes.sorted { $0.key < $1.key }.map {
                        "\($0.key) \(percent($0.value.0, digits: 0)) -> \(percent($0.value.1, digits: 0))"
                    }
                    .joined(separator: ", ")) + "\n"
        out += String(
            format: "%@ model: expected return %.1f%%, volatility %.1f%% (level cap %.0f%%)\n", r.portfolio.level.label,
            r.portfolio.result.expectedReturn * 100, r.portfolio.result.volatility * 100, r.portfolio.level.volatilityCap * 100)
        if let v = r.assumptionsVersion, let review = r.menuReviewDate {
            out += wrapped("model menu of the review of \(review), on capital-market assumptions \(v)") + "\n"
        }
        // Trades.
        if r.plan.trades.isEmpty {
            out += "\nNo trades: the holdings already match the model.\n"
        } else {
            var trades = TextTable(["side", "product", "quantity", "price", "value", "cost"])
            for tr in r.plan.trades {
                trades.add([
                    tr.side.rawValue, tr.symbol, String(format: "%g", tr.quantity), String(format: "%.2f", tr.price),
                    "\(tr.value)", "\(tr.cost)",
                ])
            }
            out += "\nTrades (sells first)\n" + trades.render()
            let purchases = r.plan.trades.filter { $0.side == .buy }.reduce(Money.zero) { $0 + $1.value }
            let sales = r.plan.trades.filter { $0.side == .sell }.reduce(Money.zero) { $0 + $1.value }
            let deposit = r.plan.cashAfter + purchases + r.plan.estimatedCost - sales - r.plan.cashBefore
            let flow =
                deposit == .zero
                ? "" : ", \(deposit > .zero ? "deposit" : "withdrawal") \(Money(cents: Int64(deposit.cents.magnitude)))"
            out += "cash \(r.plan.cashBefore)\(flow) -> \(r.plan.cashAfter), estimated costs \(r.plan.estimatedCost)\n"
        }
        // Back-test.
        let b = r.backtest
        let m = b.metrics
        out +=
            r.assumptionsVersion == nil
            ? "\nBack-test \(b.dates.first!) to \(b.dates.last!): the \(p.label) model rule re-built each quarter\n"
            : "\nBack-test \(b.dates.first!) to \(b.dates.last!): the \(r.portfolio.level.label) model of each review, rebalanced monthly\n"
        var bt = TextTable(["", "CAGR", "volatility", "Sharpe", "max drawdown"])
        bt.add([
            "model", percent(m.cagr), percent(m.annualVolatility),
            m.sharpeRatio.map { String(format: "%.2f", $0) } ?? "n/a", percent(m.maxDrawdown),
        ])
        if let bm = b.benchmarkMetrics {
            bt.add([
                b.benchmark?.name ?? "benchmark", percent(bm.cagr), percent(bm.annualVolatility),
                bm.sharpeRatio.map { String(format: "%.2f", $0) } ?? "n/a", percent(bm.maxDrawdown),
            ])
        }
        out += bt.render()
        out +=
            "Sharpe at a risk-free rate of \(percent(b.conventions.annualRiskFreeRate)) a year; n/a: undefined (no risk taken, or under a year).\n"
        out += "Past performance does not predict future returns.\n"
        if !r.warnings.isEmpty {
            out += "\nWarnings\n"
            for w in r.warnings { out += wrapped("  - \(w)") + "\n" }
        }
        if !r.auditRecordId.isEmpty { out += "\naudit record \(r.auditRecordId)\n" }
        return out
    }

    /// The profile screen: the level and why, the limits, every step, and the suitability of
    /// the requested products.
    public static func profile(_ a: ProfileAssessment) -> String {
        let p = a.profile
        var out = "Customer \(p.customerRef)"
        if let name = a.customer.personal?.name { out += " (\(Privacy.maskName(name)))" }
        out += "\nRisk level \(p.label) \(p.parameters.name.text("en")), decided by \(p.decidedBy)\n"
        out += String(format: "  willingness %.0f/100, capacity %.0f/100, consistency %.0f/100\n", p.willingness, p.capacity, p.consistency)
        out += "  allows products up to \(p.parameters.maxProductRating), volatility up to \(percent(p.parameters.volatilityCap))\n"
        out += "  questionnaire \(p.questionnaireVersion), as of \(p.asOf), re-assess by \(p.reassessBy)\n"
        if !p.flags.isEmpty { out += "  flags: " + p.flags.map(\.rawValue).joined(separator: ", ") + "\n" }
        out += "\nWhy:\n"
        for (k, step) in p.explanation.enumerated() {
            out += wrapped("  \(k + 1). \(step.rule): \(step.effect)  [\(step.inputs)]", indent: 6) + "\n"
        }
        if let s = a.suitability {
            out +=
                "\nRequested products: " + (s.passed ? "suitable" + (s.acknowledged ? " (risk warning acknowledged)" : "") : "NOT suitable")
                + "\n"
            for issue in s.issues { out += "  - \(issue.message)\n" }
        }
        return out
    }
}
