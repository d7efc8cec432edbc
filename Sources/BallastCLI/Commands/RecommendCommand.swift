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
        var request = RecommendRequest(customer: customer)
        (request.asOf, request.years, request.costBps, request.acknowledgedRiskWarning) = (asOf, years, costBps, acknowledgeRiskWarning)
        let outcome = try reportingErrors {
            try request.run(workflowInputs(files, source, check, prices: prices, market: market), trail: try audit.open()) { r, catalog in
                if let report { try ReportFile.write(RecommendationReport.html(r, catalog: catalog), to: report, what: "the report") }
            }
        }
        warn(outcome.warnings, quiet: output.quiet)
        let recommendation = outcome.recommendation
        switch output.format {
        case .json: print(try ResultJSON.string(RecommendationJSON(recommendation)))
        default: print(RecommendationScreen.text(recommendation, customer: outcome.customer, catalog: outcome.catalog), terminator: "")
        }
        if let report, !output.quiet { printError("wrote \(report)") }
        if !recommendation.suitability.passed {
            if !output.quiet { printError("error: the requested products are not suitable for level \(recommendation.profile.label)") }
            throw ExitCode(ExitStatus.dataError)
        }
    }
}
