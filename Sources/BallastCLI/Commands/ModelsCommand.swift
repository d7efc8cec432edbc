import ArgumentParser
import Ballast
import Foundation

/// `ballast models`: the level models, the model menu and its validation.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Build the model portfolio of each risk level C1-C5, the multi-asset model menu, and its validation.",
        discussion: """
            `ballast models` (the same as `ballast models menu`) shows the multi-asset model menu in force,
            the portfolios `recommend` and `rebalance` trade to; `models build` builds a menu at a review
            (against a previous one), `models validate` walks the rule forward over history, and
            `models levels` builds the level models of the stock demonstration universe.

            EXAMPLES
              ballast models
              ballast models build --as-of 2008-12-31
              ballast models validate --no-resampling
              ballast models levels --as-of 2020-12-31
            """,
        subcommands: [ModelsMenuCommand.self, ModelsBuildCommand.self, ModelsValidateCommand.self, ModelsLevelsCommand.self],
        defaultSubcommand: ModelsMenuCommand.self
    )
}

/// `ballast models levels`: the model portfolio of every risk level.
struct ModelsLevelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "levels",
        abstract: "Build the model portfolio of each risk level C1-C5 on the stock demonstration universe.",
        discussion: """
            The level models of the stock universe (20 US stocks and 5 factor ETFs), exactly as
            `recommend --universe stocks` and `rebalance --universe stocks` build and trade to them: for each
            level, the maximum-return portfolio among the products the level allows (rating at most its
            maximum) plus cash, with volatility within the level's cap, at least its cash share and at most
            its risky share, every position 0 or at least 0.5%. Expected returns are the mean and the
            covariance is Ledoit-Wolf (constant variance) over the --years of daily prices up to --as-of
            (default: the last common date of the --prices files); cash earns --risk-free-rate.

            EXAMPLES
              ballast models levels
              ballast models levels --as-of 2020-12-31 --format json
              ballast models levels --prices market-data/sp500_20.csv --years 5
            """
    )

    @Option(
        parsing: .upToNextOption,
        help: ArgumentHelp("Price files of the product universe, joined on their dates.", valueName: "file"))
    var prices: [String] = WorkflowInputs.stockPrices

    @Option(help: ArgumentHelp("Date of the models: the last prices on or before it are used.", valueName: "date"))
    var asOf: MarketDate?

    @Option(help: ArgumentHelp("Years of prices up to the date for the estimates.", valueName: "n"))
    var years: Int = 10

    @Option(parsing: .unconditional, help: ArgumentHelp("Annual rate earned by cash.", valueName: "rate"))
    var riskFreeRate: Double = MarketConventions.defaultRiskFreeRate

    @OptionGroup(title: "Price checks") var check: PriceCheckOptions
    @OptionGroup(title: "Profiling files") var files: ProfilingFiles
    @OptionGroup(title: "Output") var output: OutputOptions

    func validate() throws {
        if output.format == .csv { throw ValidationError("models prints table or json") }
        if !(1...30).contains(years) { throw ValidationError("--years must be between 1 and 30, got \(years)") }
        if !riskFreeRate.isFinite || abs(riskFreeRate) >= 1 {
            throw ValidationError("--risk-free-rate is an annual fraction (0.02 for 2%), got \(riskFreeRate)")
        }
    }

    func run() throws {
        let (models, day) = try reportingErrors { () throws -> ([ModelPortfolio], MarketDate) in
            let table = try check.load(prices).table
            let resolved = try table.resolveAsOf(asOf)
            if let stale = resolved.staleness { printError("warning: \(stale)") }
            let inputs = workflowInputs(files)
            let builder = try ModelPortfolioBuilder(
                prices: table, through: resolved.date, years: years, catalog: try inputs.loadCatalog(), levels: try inputs.loadLevels(),
                cashRate: riskFreeRate)
            return (try builder.all(), resolved.date)
        }
        for (a, b) in zip(models, models.dropFirst()) where b.result.expectedReturn < a.result.expectedReturn - 1e-9 {
            printError("warning: \(b.level.label) has a lower expected return than \(a.level.label); check levels.json")
        }
        switch output.format {
        case .json: print(try ResultJSON.string(models.map { ModelReport($0, asOf: day) }))
        default: print(ModelScreen.levels(models, asOf: day, years: years, cashRate: riskFreeRate), terminator: "")
        }
    }
}

/// `ballast questionnaire`: take the questionnaire and write a customer file.
struct QuestionnaireCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "questionnaire",
        abstract: "Take the risk questionnaire (interactively, or from --answers) and write a customer file.",
        discussion: """
            Interactively, each item is shown with its options; type the option letter. An answer that is not
            offered is refused and the item asked again. With --answers the answers come from the command
            line (for scripts) and every problem is reported at once.

            The investable amount (--investable-amount, or asked for after the items) is recorded as
            financial.investableAmount: for a new customer with no holdings, `recommend` plans its purchase.

            EXAMPLES
              ballast questionnaire --id CUST-0042 --out customer.json
              ballast questionnaire --locale zh-Hans --id CUST-0042 --out customer.json
              ballast questionnaire --id CUST-0042 --answers q1=b,q2=a,q3=c,q4=c,q5=b,q6=c,q7=b,q8=d,q9=c,q10=c,q11=c,q12=c,q13=b
            """
    )

    @Option(help: ArgumentHelp("The customer id to write into the file.", valueName: "id"))
    var id: String

    @Option(help: ArgumentHelp("Language of the items: en or zh-Hans.", valueName: "locale"))
    var locale: String = "en"

    @Option(help: ArgumentHelp("Answers as item=option pairs separated by commas (non-interactive).", valueName: "answers"))
    var answers: String?

    @Option(help: ArgumentHelp("Where to write the customer file (default: standard output).", valueName: "file"))
    var out: String?

    @Option(help: ArgumentHelp("The amount the customer plans to invest (account currency).", valueName: "amount"))
    var investableAmount: Double?

    @Option(help: ArgumentHelp("Questionnaire definition.", valueName: "file"))
    var questionnaire: String = "profiles/questionnaire-v1.json"

    @OptionGroup var data: DataOptions

    func validate() throws {
        if !["en", "zh-Hans"].contains(locale) { throw ValidationError("--locale must be en or zh-Hans, got \(locale)") }
        if id.isEmpty { throw ValidationError("--id must not be empty") }
        if let a = investableAmount, !(a > 0 && a < 1e13) {
            throw ValidationError("--investable-amount must be a positive amount below 10^13, got \(a)")
        }
    }

    func run() throws {
        let q = try reportingErrors { try Questionnaire.read(path: try bundled(questionnaire)) }
        var chosen: [String: String] = [:]
        if let answers {
            var issues: [ProfilingIssue] = []
            for pair in answers.split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2 else {
                    issues.append(ProfilingIssue("--answers", "`\(pair)` is not item=option"))
                    continue
                }
                chosen[parts[0]] = parts[1]
            }
            if !issues.isEmpty { _ = try reportingErrors { () throws -> Int in throw ProfilingError(issues) } }
        } else {
            for item in q.items {
                while true {
                    FileHandle.standardError.write(
                        Data(("\n" + item.text.text(locale) + (item.required ? "" : " (optional, Enter to skip)") + "\n").utf8))
                    for o in item.options { FileHandle.standardError.write(Data("  \(o.id)) \(o.text.text(locale))\n".utf8)) }
                    FileHandle.standardError.write(Data("> ".utf8))
                    guard let line = readLine()?.trimmingCharacters(in: .whitespaces) else {
                        printError("error: the input ended before item \(item.id) was answered")
                        throw ExitCode(ExitStatus.dataError)
                    }
                    if line.isEmpty && !item.required { break }
                    if item.option(line.lowercased()) != nil {
                        chosen[item.id] = line.lowercased()
                        break
                    }
                    printError("`\(line)` is not one of \(item.options.map(\.id).joined(separator: ", ")); try again")
                }
            }
        }
        var amount = investableAmount
        if answers == nil && amount == nil {
            while true {
                FileHandle.standardError.write(
                    Data(
                        ("\n" + (locale == "zh-Hans" ? "计划投资的金额（可选，按回车跳过）" : "Amount you plan to invest (optional, Enter to skip)")
                            + "\n> ").utf8))
                guard let line = readLine()?.trimmingCharacters(in: .whitespaces), !line.isEmpty else { break }
                if let a = Double(line.replacingOccurrences(of: ",", with: "")), a > 0, a < 1e13 {
                    amount = a
                    break
                }
                printError(locale == "zh-Hans" ? "请输入一个正数金额，例如 100000" : "`\(line)` is not an amount; type a number such as 100000")
            }
        }
        // Validate through the same reader as every customer file.
        let data = try CustomerFile.newFileJSON(id: id, answers: chosen, investableAmount: amount)
        _ = try reportingErrors { try CustomerFile.parse(data, source: "answers", questionnaire: q, catalog: nil, asOf: today()) }
        let text = String(decoding: data, as: UTF8.self) + "\n"
        if let out {
            // Customer files hold account data: owner-only permissions.
            guard FileManager.default.createFile(atPath: out, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
                printError("error: cannot write \(out)")
                throw ExitCode(ExitStatus.dataError)
            }
            printError("wrote \(out)")
        } else {
            print(text, terminator: "")
        }
    }
}
