import ArgumentParser
import Ballast
import Foundation

/// `ballast recommend`: the main job, from a customer file to a recommendation an adviser can
/// hand over.
struct RecommendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recommend",
        abstract: "Profile a customer, pick their level's model portfolio, plan the trades and back-test the model.",
        discussion: """
            One screen for the adviser: the risk level and why, where the customer stands on the glide
            path to their goal date, current against target allocation by product and asset class, the
            trades from the customer's holdings and cash, the model's expected return and volatility, the
            back-test of the level's model over the last --years, and every warning. Personal data never
            appears: the customer is named by a pseudonymous reference (HMAC-SHA256 of the id) and a
            masked name.

            The model is the level's portfolio of the multi-asset model menu in force on the date (see
            `ballast models`): capital-market assumptions and the investment policy, reviewed every 12
            months; the date defaults to the universe's last common date and the back-test holds each
            review's menu, rebalanced monthly, against the S&P 500 index. With --universe stocks (or
            --prices), the level model of the stock demonstration universe is estimated on the spot
            and re-built each quarter in the back-test.

            --format json prints {"profile", "portfolio", "suitability", "plan", "backtest",
            "warnings", "auditRecordId", "assumptionsVersion", "menuReviewDate", "glidePath"} with the
            field names of `profile`, `rebalance` and `backtest`.
            --report FILE.html writes a self-contained page with the allocation, the efficient frontier
            with the chosen portfolio marked, and the back-test charts.

            EXAMPLES
              ballast recommend profiles/customers/balanced-saver.json
              ballast recommend profiles/customers/panic-seller.json --as-of 2009-06-30 --format json
              ballast recommend profiles/customers/growth-investor.json --years 5 --report recommendation.html
              ballast recommend profiles/customers/conservative-retiree.json --universe stocks --as-of 2022-12-28

            EXIT CODES
              0 recommended, 1 bad input, unsuitable request or data problem (the message says which),
              2 usage error, 3 internal error.
            """
    )

    @Argument(help: ArgumentHelp("The customer file.", valueName: "customer.json"))
    var customer: String

    @Option(
        name: .long, parsing: .upToNextOption,
        help: ArgumentHelp("Product price files (joined on dates; implies --universe stocks).", valueName: "file"))
    var prices: [String] = []

    @Option(help: ArgumentHelp("Market index (behaviour signals, benchmark).", valueName: "file"))
    var market: String = "market-data/sp500_index.csv"

    @Option(help: ArgumentHelp("Date of the recommendation (default: the last date of the prices).", valueName: "date"))
    var asOf: MarketDate?

    @Option(help: ArgumentHelp("Years of back-test.", valueName: "n"))
    var years: Int = 10

    @Option(help: ArgumentHelp("Proportional cost of the trades in basis points.", valueName: "bps"))
    var costBps: Double = 0

    @Flag(help: "The customer has read and accepted the risk warning for requested products above the level.")
    var acknowledgeRiskWarning = false

    @Option(help: ArgumentHelp("Write a self-contained HTML page here.", valueName: "file"))
    var report: String?

    @OptionGroup(title: "Model source") var source: ModelSourceOptions
    @OptionGroup(title: "Price checks") var check: PriceCheckOptions
    @OptionGroup(title: "Profiling files") var files: ProfilingFiles
    @OptionGroup(title: "Audit trail") var audit: AuditOptions
    @OptionGroup(title: "Output") var output: OutputOptions

    func validate() throws {
        if output.format == .csv { throw ValidationError("recommend prints table or json") }
        try source.check(prices: prices)
        if !(1...30).contains(years) { throw ValidationError("--years must be between 1 and 30") }
        var policy = RebalancePolicy()
        policy.costBasisPoints = costBps
        do throws(RebalancePolicy.Problem) { try policy.validate() } catch {
            throw ValidationError("--cost-bps \(error.value): must be \(error.requirement)")
        }
        if let report {
            try refuseOverwriting(
                inputs: [NamedPath("CUSTOMER", customer), NamedPath("--market", market)] + prices.map { NamedPath("--prices", $0) },
                outputs: [NamedPath("--report", report)])
        }
    }

    func run() throws {
        let (recommendation, customerFile, catalog) = try reportingErrors { () throws -> (Recommendation, CustomerFile, ProductCatalog) in
            let process = try source.process(prices: prices)
            let table: PriceTable
            if let process {
                table = process.prices
            } else {
                let set = try check.load(prices.isEmpty ? TargetOptions.bundledPrices : prices)
                table = set.table
                let day = try table.resolveAsOf(asOf).date
                try PriceCheckOptions.refuseTrading(set, on: day)
            }
            let resolved = try table.resolveAsOf(asOf)
            if let stale = resolved.staleness, !output.quiet { printError("warning: \(stale)") }
            let day = resolved.date
            let questionnaire = try files.loadQuestionnaire()
            let catalog = try process?.catalogInForce(asOf: day) ?? files.loadCatalog()
            let customerFile = try CustomerFile.read(path: try bundled(customer), questionnaire: questionnaire, catalog: catalog, asOf: day)
            let market = try PriceCSV.read(path: try bundled(market))
            let key = try Privacy.pseudonymKey(keyFile: files.keyFile)
            var settings =
                if let process {
                    try Recommender.Settings(
                        questionnaire: questionnaire, levels: try files.loadLevels(), process: process, market: market, pseudonymKey: key)
                } else {
                    Recommender.Settings(
                        questionnaire: questionnaire, levels: try files.loadLevels(), catalog: catalog, prices: table, market: market,
                        pseudonymKey: key)
                }
            settings.backtestYears = years
            settings.policy.costBasisPoints = costBps
            // The record is appended once the report is written (a result that could not be
            // written is not recorded).
            var recorder: TrailRecorder?
            if let trail = try audit.open() {
                recorder = TrailRecorder(
                    trail: trail,
                    parameters: [
                        "asOf": day.description, "years": String(years), "costBps": String(costBps),
                        "acknowledgeRiskWarning": String(acknowledgeRiskWarning), "prices": prices.joined(separator: " "),
                        "universe": source.effective(prices: prices).rawValue,
                    ].merging(
                        process.map { _ in
                            ["assumptionsSpecification": source.process.spec, "investmentPolicy": source.process.policy]
                        } ?? [:]
                    ) { a, _ in a }, customerDigest: Digest.json(CustomerInputs(customerFile)))
            }
            var r = try Recommender(settings: settings).recommend(
                customerFile, asOf: asOf ?? day, acknowledgedRiskWarning: acknowledgeRiskWarning)
            if let report {
                try writeOutput(RecommendationReport.html(r, catalog: catalog), to: report, what: "the report")
            }
            if let recorder { r.auditRecordId = try recorder.record(r, customer: customerFile, settings: settings) }
            return (r, customerFile, catalog)
        }
        switch output.format {
        case .json: print(try jsonString(RecommendationJSON(recommendation)))
        default: print(Self.screen(recommendation, customer: customerFile, catalog: catalog), terminator: "")
        }
        if let report, !output.quiet { printError("wrote \(report)") }
        if !recommendation.suitability.passed {
            if !output.quiet { printError("error: the requested products are not suitable for level \(recommendation.profile.label)") }
            throw ExitCode(ExitStatus.dataError)
        }
    }

    static func screen(_ r: Recommendation, customer: CustomerFile, catalog: ProductCatalog) -> String {
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
            $0 == "CASH" ? false : $1 == "CASH" ? true : $0 < $1
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
            let c = catalog.product(s)?.assetClass ?? (s == "CASH" ? "cash" : "other")
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
                    String(format: "%.2f", tr.value),
                    String(format: "%.2f", tr.cost),
                ])
            }
            out += "\nTrades (sells first)\n" + trades.render()
            let purchases = r.plan.trades.filter { $0.side == .buy }.reduce(0) { $0 + $1.value }
            let sales = r.plan.trades.filter { $0.side == .sell }.reduce(0) { $0 + $1.value }
            let deposit = r.plan.cashAfter + purchases + r.plan.estimatedCost - sales - r.plan.cashBefore
            out +=
                abs(deposit) >= 0.005
                ? String(
                    format: "cash %.2f, %@ %.2f -> %.2f, estimated costs %.2f\n", r.plan.cashBefore, deposit > 0 ? "deposit" : "withdrawal",
                    abs(deposit), r.plan.cashAfter, r.plan.estimatedCost)
                : String(format: "cash %.2f -> %.2f, estimated costs %.2f\n", r.plan.cashBefore, r.plan.cashAfter, r.plan.estimatedCost)
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
}

/// The JSON of `ballast recommend --format json`.
struct RecommendationJSON: Encodable {
    struct Portfolio: Encodable {
        var weights: [String: Double]
        var expectedReturn: Double
        var volatility: Double
        @ExplicitNull var sharpeRatio: Double?
    }
    struct Backtest: Encodable {
        var start: MarketDate
        var end: MarketDate
        var strategy: String
        var metrics: MetricsJSON
        var benchmark: String?
        var benchmarkMetrics: MetricsJSON?
        var conventions: MetricConventions
    }
    var profile: ProfileReport
    var portfolio: Portfolio
    var suitability: SuitabilityResult
    var plan: RebalancePlan
    var backtest: Backtest
    var warnings: [String]
    @ExplicitNull var auditRecordId: String?
    var engineVersion = BallastVersion.current
    @ExplicitNull var assumptionsVersion: String?
    @ExplicitNull var menuReviewDate: MarketDate?
    @ExplicitNull var glidePath: GlidePathPosition?

    init(_ r: Recommendation) {
        profile = ProfileReport(r.profile, suitability: nil)
        portfolio = Portfolio(
            weights: r.portfolio.weights.filter { $0.value > 0 }, expectedReturn: r.portfolio.result.expectedReturn,
            volatility: r.portfolio.result.volatility, sharpeRatio: r.portfolio.result.sharpeRatio)
        suitability = r.suitability
        plan = r.plan
        let b = r.backtest
        backtest = Backtest(
            start: b.dates.first!, end: b.dates.last!, strategy: b.strategy, metrics: MetricsJSON(b.metrics, result: b),
            benchmark: b.benchmark?.name,
            benchmarkMetrics: b.benchmarkMetrics.map { MetricsJSON($0, result: nil) }, conventions: b.conventions)
        warnings = r.warnings
        auditRecordId = r.auditRecordId.isEmpty ? nil : r.auditRecordId
        assumptionsVersion = r.assumptionsVersion
        menuReviewDate = r.menuReviewDate
        glidePath = r.glidePath
    }
}
