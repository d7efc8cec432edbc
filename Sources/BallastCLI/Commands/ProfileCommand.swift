import ArgumentParser
import Ballast
import Foundation

/// Today's date (UTC), the default `--as-of`.
func today() -> MarketDate {
    MarketDate(dayNumber: Int((Date().timeIntervalSince1970 / 86_400).rounded(.down)))
}

/// `ballast profile CUSTOMER.json`.
struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Derive a customer's risk level from the questionnaire answers and the account's behaviour.",
        discussion: """
            Willingness and capacity are scored 0-100 and mapped to levels C1-C5; the level is the more
            conservative of the two, capped by the horizon gate; behaviour (panic selling) may lower it by
            one, never raise it. Every step is listed in the explanation. Personal data is never printed
            unmasked; the customer is identified by a pseudonym (HMAC-SHA256 of the id).

            Products the customer asks for ("requestedProducts") are checked for suitability; products
            above the level need --acknowledge-risk-warning, and a C1 customer can never take them.

            On the multi-asset universe (the default) the products, their ratings and the levels' limits
            are the investment process's, as in `recommend`; with --universe stocks (or --prices), the
            stock catalogue and the levels file's.

            EXAMPLES
              ballast profile profiles/customers/balanced-saver.json
              ballast profile profiles/customers/panic-seller.json --format json
              ballast profile profiles/customers/c1-asks-for-r4.json --acknowledge-risk-warning
              ballast profile profiles/stock-customers/panic-seller.json --universe stocks --as-of 2022-12-28
            """
    )

    @Argument(help: ArgumentHelp("The customer file.", valueName: "customer.json"))
    var customer: String

    @Option(
        help: ArgumentHelp(
            "The date of the assessment: the last market data on or before it are used (default: the data's last date, as in recommend).",
            valueName: "date"))
    var asOf: MarketDate?

    @Flag(help: "The customer has read and accepted the risk warning for requested products above the level.")
    var acknowledgeRiskWarning = false

    @Option(help: ArgumentHelp("Market index prices for the behaviour signals.", valueName: "file"))
    var market: String = "market-data/sp500_index.csv"

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
        if output.format == .csv { throw ValidationError("profile prints table or json") }
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
        switch output.format {
        case .json: print(try ResultJSON.string(ProfileReport(a.profile, suitability: a.suitability)))
        default: print(RecommendationScreen.profile(a), terminator: "")
        }
        if let s = a.suitability, !s.passed {
            if !output.quiet, let w = s.warning { printError(w) }
            throw ExitCode(ExitStatus.dataError)
        }
    }
}
