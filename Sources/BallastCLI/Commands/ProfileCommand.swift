import ArgumentParser
import Ballast
import Foundation

/// Files the profiling commands read, with their defaults.
struct ProfilingFiles: ParsableArguments {
    @Option(help: ArgumentHelp("Questionnaire definition.", valueName: "file"))
    var questionnaire: String = "profiles/questionnaire-v1.json"

    @Option(help: ArgumentHelp("Risk-level parameters.", valueName: "file"))
    var levels: String = "profiles/levels.json"

    @Option(help: ArgumentHelp("Product catalogue (ratings, lot sizes).", valueName: "file"))
    var catalog: String = "market-data/catalog.json"

    @Option(
        help: ArgumentHelp(
            "Pseudonymisation key file (created with mode 0600 on first use) unless BALLAST_PSEUDONYM_KEY is set.", valueName: "file"))
    var keyFile: String = ProcessInfo.processInfo.environment["HOME"].flatMap { $0.isEmpty ? nil : $0 + "/.ballast/pseudonym.key" } ?? ""

    @OptionGroup var data: DataOptions

    func loadQuestionnaire() throws -> Questionnaire { try Questionnaire.read(path: try bundled(questionnaire)) }
    func loadLevels() throws -> RiskLevels { try RiskLevels.read(path: try bundled(levels)) }
    func loadCatalog() throws -> ProductCatalog { try ProductCatalog.read(path: try bundled(catalog)) }
}

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

    /// Assesses the customer in the file at `customerPath` with these files.
    static func assess(
        customerPath: String, asOf: MarketDate, files: ProfilingFiles, market: PriceTable, prices: @autoclosure () throws -> PriceTable,
        acknowledged: Bool, process: InvestmentProcess? = nil
    ) throws -> ProfileAssessment {
        let levels = try process.map { try $0.levels(try files.loadLevels()) } ?? files.loadLevels()
        let inputs = ProfileAssessment.Inputs(
            questionnaire: try files.loadQuestionnaire(), levels: levels,
            catalog: try process?.catalogInForce(asOf: asOf) ?? files.loadCatalog(), market: market, prices: try prices(),
            pseudonymKey: try Privacy.pseudonymKey(keyFile: files.keyFile))
        return try ProfileAssessment.assess(customerFile: try bundled(customerPath), asOf: asOf, inputs: inputs, acknowledged: acknowledged)
    }

    func run() throws {
        let a = try reportingErrors {
            let marketTable = try check.load([market]).table
            let process = try source.process(prices: prices)
            // The default date is the product data's last, as in recommend.
            let resolved = try (process?.prices ?? marketTable).resolveAsOf(asOf)
            if let stale = resolved.staleness { printError("warning: \(stale)") }
            let day = resolved.date
            let a = try Self.assess(
                customerPath: customer, asOf: day, files: files, market: marketTable,
                prices: try process?.prices ?? check.load(prices.isEmpty ? TargetOptions.bundledPrices : prices).table,
                acknowledged: acknowledgeRiskWarning, process: process)
            if let trail = try audit.open() {
                let paths = try ["questionnaire": files.questionnaire, "levels": files.levels, "catalog": files.catalog, "market": market]
                    .mapValues(bundled)
                try trail.append([a.auditEntry(asOf: day, acknowledged: acknowledgeRiskWarning, files: paths)])
            }
            return a
        }
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
