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

    /// Appends the assessment to the audit trail.
    func record(_ a: Assessment, asOf: MarketDate) throws {
        guard let trail = try audit.open() else { return }
        let p = a.profile
        struct Outputs: Encodable {
            let level: Int
            let label: String
            let willingness: Double
            let capacity: Double
            let consistency: Double
            let decidedBy: String
            let flags: [String]
            let reassessBy: String
        }
        let outputs = Outputs(
            level: p.level, label: p.label, willingness: p.willingness, capacity: p.capacity, consistency: p.consistency,
            decidedBy: p.decidedBy,
            flags: p.flags.map(\.rawValue), reassessBy: p.reassessBy.description)
        let entry = AuditEntry(
            command: "profile", engineVersion: BallastVersion.current, customerRef: p.customerRef,
            inputs: [
                "customer": Digest.json(CustomerInputs(a.customer)), "questionnaire": Digest.file(files.questionnaire),
                "levels": Digest.file(files.levels), "catalog": Digest.file(files.catalog), "market": Digest.file(market),
            ],
            parameters: [
                "asOf": asOf.description, "acknowledgeRiskWarning": String(acknowledgeRiskWarning),
                "questionnaireVersion": p.questionnaireVersion,
            ],
            outputs: auditJSON(outputs), suitability: a.suitability.map(auditJSON), warnings: a.suitability?.warning.map { [$0] } ?? [],
            acknowledged: a.suitability?.acknowledged ?? false)
        try trail.append([entry])
    }

    struct Assessment {
        let customer: CustomerFile
        let profile: RiskProfile
        let suitability: SuitabilityResult?
    }

    static func assess(
        customerPath: String, asOf: MarketDate, files: ProfilingFiles, market: PriceTable, prices: @autoclosure () throws -> PriceTable,
        acknowledged: Bool, process: InvestmentProcess? = nil
    ) throws -> Assessment {
        let q = try files.loadQuestionnaire()
        let levels = try process.map { try $0.levels(try files.loadLevels()) } ?? files.loadLevels()
        let catalog = try process?.catalogInForce(asOf: asOf) ?? files.loadCatalog()
        let customer = try CustomerFile.read(path: try bundled(customerPath), questionnaire: q, catalog: catalog, asOf: asOf)
        var signals: BehaviourSignals?
        if customer.behaviour != nil || !customer.holdings.isEmpty {
            signals = BehaviourAnalyzer(market: market, prices: [try prices()], catalog: catalog).signals(for: customer, asOf: asOf)
        }
        let key = try Privacy.pseudonymKey(keyFile: files.keyFile)
        let profile = RiskProfiler(questionnaire: q, levels: levels).profile(
            customer, behaviour: signals, asOf: asOf, pseudonym: Privacy.pseudonym(of: customer.id, key: key))
        var suitability: SuitabilityResult?
        if !customer.requestedProducts.isEmpty {
            suitability = Suitability.check(
                weights: [:], volatility: nil, level: profile.parameters, catalog: catalog, requested: customer.requestedProducts,
                acknowledged: acknowledged)
        }
        return Assessment(customer: customer, profile: profile, suitability: suitability)
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
            try record(a, asOf: day)
            return a
        }
        switch output.format {
        case .json: print(try jsonString(ProfileReport(a.profile, suitability: a.suitability)))
        default: print(Self.table(a), terminator: "")
        }
        if let s = a.suitability, !s.passed {
            if !output.quiet, let w = s.warning { printError(w) }
            throw ExitCode(ExitStatus.dataError)
        }
    }

    static func table(_ a: Assessment) -> String {
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

/// The JSON shape of `ballast profile --format json`.
struct ProfileReport: Encodable {
    struct Scores: Encodable {
        let willingness: Double
        let capacity: Double
        let consistency: Double
    }
    struct Parameters: Encodable {
        let volatilityCap: Double
        let riskAversion: Double
        let maxRiskyShare: Double
        let minCashShare: Double
        let maxProductRating: String
    }
    let customerRef: String
    let level: Int
    let label: String
    let scores: Scores
    let decidedBy: String
    let behaviour: BehaviourSignals?
    let flags: [ProfileFlag]
    let parameters: Parameters
    let questionnaireVersion: String
    let asOf: String
    let reassessBy: String
    let explanation: [ExplanationStep]
    let suitability: SuitabilityResult?
    let engineVersion = BallastVersion.current

    init(_ p: RiskProfile, suitability: SuitabilityResult?) {
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
