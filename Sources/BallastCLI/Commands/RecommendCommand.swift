import ArgumentParser
import Ballast
import Foundation

/// `ballast recommend`: the main job, from a customer file to a recommendation an adviser can
/// hand over.
struct RecommendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recommend",
        abstract: "Profile a customer, pick their level's model portfolio, plan the trades and back-test the model.",
        discussion: help("recommend")
    )

    @Argument(help: ArgumentHelp("The customer file.", valueName: "customer.json")) var customer: String
    @Option(
        name: .long, parsing: .upToNextOption,
        help: ArgumentHelp("Product price files (joined on dates; implies --universe stocks).", valueName: "file"))
    var prices: [String] = []
    @Option(help: ArgumentHelp("Market index (behaviour signals, benchmark).", valueName: "file"))
    var market: String = WorkflowInputs().market
    @Option(help: ArgumentHelp("Date of the recommendation (default: the last date of the prices).", valueName: "date"))
    var asOf: MarketDate?
    @Option(help: ArgumentHelp("Years of back-test.", valueName: "n")) var years: Int = 10
    @Option(help: ArgumentHelp("Proportional cost of the trades in basis points.", valueName: "bps")) var costBps: Double = 0
    @Flag(help: "The customer has read and accepted the risk warning for requested products above the level.")
    var acknowledgeRiskWarning = false
    @Option(help: ArgumentHelp("Write a self-contained HTML page here.", valueName: "file")) var report: String?
    @OptionGroup(title: "Model source") var source: ModelSourceOptions
    @OptionGroup(title: "Price checks") var check: PriceCheckOptions
    @OptionGroup(title: "Profiling files") var files: ProfilingFiles
    @OptionGroup(title: "Audit trail") var audit: AuditOptions
    @OptionGroup(title: "Output") var output: OutputOptions

    func validate() throws {
        try source.check(prices: prices)
        if !(1...30).contains(years) { throw ValidationError("--years must be between 1 and 30") }
        var policy = RebalancePolicy()
        policy.costBasisPoints = costBps
        do throws(RebalancePolicy.Problem) { try policy.validate() } catch { throw usageError(error) }
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
        try output.emit(
            RecommendationJSON(recommendation),
            table: RecommendationScreen.text(recommendation, customer: outcome.customer, catalog: outcome.catalog))
        if let report, !output.quiet { printError("wrote \(report)") }
        if !recommendation.suitability.passed {
            if !output.quiet { printError("error: the requested products are not suitable for level \(recommendation.profile.label)") }
            throw ExitCode(ExitStatus.dataError)
        }
    }
}
