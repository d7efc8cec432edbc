import ArgumentParser
import Ballast
import Foundation

/// `ballast profile CUSTOMER.json`.
struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Derive a customer's risk level from the questionnaire answers and the account's behaviour.",
        discussion: help("profile")
    )

    @Argument(help: ArgumentHelp("The customer file.", valueName: "customer.json")) var customer: String
    @Option(
        help: ArgumentHelp(
            "The date of the assessment: the last market data on or before it are used (default: the data's last date, as in recommend).",
            valueName: "date"))
    var asOf: MarketDate?
    @Flag(help: "The customer has read and accepted the risk warning for requested products above the level.")
    var acknowledgeRiskWarning = false
    @Option(help: ArgumentHelp("Market index prices for the behaviour signals.", valueName: "file"))
    var market: String = WorkflowInputs().market
    @Option(
        parsing: .upToNextOption,
        help: ArgumentHelp(
            "Product prices for the behaviour signals (turnover, concentration; implies --universe stocks).", valueName: "file"))
    var prices: [String] = []
    @OptionGroup(title: "Model source") var source: ModelSourceOptions
    @OptionGroup(title: "Price checks") var check: PriceCheckOptions
    @OptionGroup(title: "Profiling files") var files: ProfilingFiles
    @OptionGroup(title: "Audit trail") var audit: AuditOptions
    @OptionGroup(title: "Output") var output: OutputOptions

    func validate() throws {
        try source.check(prices: prices)
    }

    func run() throws {
        var request = ProfileRequest(customer: customer)
        (request.asOf, request.acknowledgedRiskWarning) = (asOf, acknowledgeRiskWarning)
        let outcome = try reportingErrors {
            try request.run(workflowInputs(files, source, check, prices: prices, market: market), trail: try audit.open())
        }
        warn(outcome.warnings)
        let a = outcome.assessment
        try output.emit(ProfileReport(a.profile, suitability: a.suitability), table: RecommendationScreen.profile(a))
        if let s = a.suitability, !s.passed {
            if !output.quiet, let w = s.warning { printError(w) }
            throw ExitCode(ExitStatus.dataError)
        }
    }
}
