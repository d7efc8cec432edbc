import ArgumentParser
import Ballast
import Foundation

/// `ballast models`: the level models, the model menu and its validation.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Build the model portfolio of each risk level C1-C5, the multi-asset model menu, and its validation.",
        discussion: help("models"),
        subcommands: [
            ModelsMenuCommand.self, ModelsBuildCommand.self, ModelsValidateCommand.self, ModelsLevelsCommand.self,
            ModelsCompareCommand.self,
        ],
        defaultSubcommand: ModelsMenuCommand.self
    )
}

/// `ballast models levels`: the model portfolio of every risk level.
struct ModelsLevelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "levels",
        abstract: "Build the model portfolio of each risk level C1-C5 on the stock demonstration universe.",
        discussion: help("models levels")
    )

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Price files of the product universe, joined on their dates.", valueName: "file"))
    var prices: [String] = WorkflowInputs.stockPrices
    @Option(help: ArgumentHelp("Date of the models: the last prices on or before it are used.", valueName: "date")) var asOf: MarketDate?
    @Option(help: ArgumentHelp("Years of prices up to the date for the estimates.", valueName: "n")) var years: Int = 10
    @Option(parsing: .unconditional, help: ArgumentHelp("Annual rate earned by cash.", valueName: "rate"))
    var riskFreeRate: Double = MarketConventions.defaultRiskFreeRate
    @OptionGroup(title: "Price checks") var check: PriceCheckOptions
    @OptionGroup(title: "Profiling files") var files: ProfilingFiles
    @OptionGroup(title: "Output") var output: OutputOptions

    func validate() throws {
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
        try output.emit(
            models.map { ModelReport($0, asOf: day) }, table: ModelScreen.levels(models, asOf: day, years: years, cashRate: riskFreeRate))
    }
}

/// `ballast questionnaire`: take the questionnaire and write a customer file.
struct QuestionnaireCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "questionnaire",
        abstract: "Take the risk questionnaire (interactively, or from --answers) and write a customer file.",
        discussion: help("questionnaire")
    )

    @Option(help: ArgumentHelp("The customer id to write into the file.", valueName: "id")) var id: String
    @Option(help: ArgumentHelp("Language of the items: en or zh-Hans.", valueName: "locale")) var locale: String = "en"
    @Option(help: ArgumentHelp("Answers as item=option pairs separated by commas (non-interactive).", valueName: "answers"))
    var answers: String?
    @Option(help: ArgumentHelp("Where to write the customer file (default: standard output).", valueName: "file")) var out: String?
    @Option(help: ArgumentHelp("The amount the customer plans to invest (account currency).", valueName: "amount"))
    var investableAmount: Double?
    @Option(help: ArgumentHelp("Questionnaire definition.", valueName: "file")) var questionnaire: String = WorkflowInputs().questionnaire
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
        var amount = investableAmount
        if let answers {
            chosen = try reportingErrors { try q.answers(parsing: answers) }
        } else {
            var session = QuestionnaireSession(questionnaire: q, locale: locale, investableAmount: investableAmount)
            FileHandle.standardError.write(Data(session.prompt.utf8))
            while !session.isFinished {
                guard let line = readLine() else {
                    printError("\nerror: the input ended before the questionnaire was saved; nothing was written")
                    throw ExitCode(ExitStatus.dataError)
                }
                switch session.respond(line) {
                case .next: FileHandle.standardError.write(Data(session.prompt.utf8))
                case .retry(let message): FileHandle.standardError.write(Data((message + "\n> ").utf8))
                }
            }
            (chosen, amount) = (session.answers, session.investableAmount)
        }
        let text = try reportingErrors {
            try CustomerFile.newFileText(id: id, answers: chosen, investableAmount: amount, questionnaire: q, asOf: .today)
        }
        if let out {
            try reportingErrors { try CustomerFile.write(text, to: out) }
            printError("wrote \(out)")
        } else {
            print(text, terminator: "")
        }
    }
}
