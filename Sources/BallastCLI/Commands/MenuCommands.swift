import ArgumentParser
import Ballast
import Foundation

/// `ballast models menu` (and `ballast models`): the menu in force on a date.
struct ModelsMenuCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "menu",
        abstract: "The model menu (C1-C5) in force on a date: the portfolios recommend and rebalance trade to.",
        discussion: help("models menu")
    )

    @OptionGroup var process: ProcessOptions
    @Option(help: ArgumentHelp("Date of the menu (default: the universe's last common date).", valueName: "date")) var asOf: MarketDate?
    @OptionGroup var data: DataOptions
    @OptionGroup(title: "Output") var output: OutputOptions

    func run() throws {
        let (review, day) = try reportingErrors {
            let (builder, policy) = try process.load()
            return try InvestmentProcess(assumptions: builder, policy: policy).reviewInForce(asOf: asOf)
        }
        let m = review.menu
        try output.emit(
            m.portfolios.map { MenuLevelJSON($0, menu: m) },
            table: "Model menu in force on \(day): the review of \(m.asOf)\n\n" + InvestmentProcessText.menu(m))
    }
}

/// `ballast models build`: the model menu from assumptions and a policy.
struct ModelsBuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build the model menu (C1-C5) of the multi-asset universe from assumptions and an investment policy.",
        discussion: help("models build")
    )

    @OptionGroup var process: ProcessOptions
    @Option(help: ArgumentHelp("Build from data up to this date (default: the universe's last common date).", valueName: "date"))
    var asOf: MarketDate?
    @Option(help: ArgumentHelp("An approved assumptions file to use instead of building them.", valueName: "file")) var assumptions: String?
    @Option(help: ArgumentHelp("The previous menu (JSON from this command), for the turnover limit.", valueName: "file"))
    var previous: String?
    @OptionGroup var data: DataOptions
    @OptionGroup(title: "Output") var output: OutputOptions

    func run() throws {
        let menu = try reportingErrors {
            let (builder, policy) = try process.load()
            return try InvestmentProcess(assumptions: builder, policy: policy).buildMenu(
                asOf: asOf, assumptionsFile: assumptions, previousMenuFile: try previous.map { try bundled($0) },
                warning: { output.quiet ? () : printError("warning: " + $0) })
        }
        try output.emit(menu, table: InvestmentProcessText.menu(menu))
    }
}

/// `ballast models validate`: the rule walked forward over the universe's history.
struct ModelsValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Walk the model rule forward over history: realised risk against the cap, drawdown, turnover, costs.",
        discussion: help("models validate")
    )

    @OptionGroup var process: ProcessOptions
    @Option(help: ArgumentHelp("Months between reviews.", valueName: "n")) var reviewMonths = 12
    @Option(help: ArgumentHelp("Trading cost on every trade, in basis points.", valueName: "bps")) var costBps = 10.0
    @Option(help: ArgumentHelp("Also write an HTML page with the charts here.", valueName: "file")) var html: String?
    @OptionGroup var data: DataOptions
    @OptionGroup(title: "Output") var output: OutputOptions

    func validate() throws {
        if !(1...60).contains(reviewMonths) { throw ValidationError("--review-months must be from 1 to 60") }
        if !(costBps >= 0 && costBps < 1000) { throw ValidationError("--cost-bps must be from 0 to 1000") }
    }

    func run() throws {
        let quiet = output.quiet
        let report = try reportingErrors { () throws -> ValidationReport in
            let (builder, policy) = try process.load()
            var v = ModelValidation(assumptions: builder, policy: policy)
            v.reviewMonths = reviewMonths
            v.costModel = CostModel(basisPoints: costBps)
            let interactive = isatty(2) != 0 && !quiet
            return try v.run { done, total in
                if interactive { FileHandle.standardError.write(Data("\rreview \(done)/\(total)".utf8)) }
                if interactive && done == total { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            }
        }
        if let html { try reportingErrors { try writeFile(InvestmentProcessText.validationHTML(report), to: html) } }
        try output.emit(report, table: InvestmentProcessText.validation(report))
    }
}

/// `ballast data bond-returns`.
struct BondReturnsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bond-returns",
        abstract: "Constant-maturity government bond total returns from a file of par yields.",
        discussion: help("data bond-returns")
    )

    @Option(help: ArgumentHelp("The par yields file (wide CSV).", valueName: "file")) var yields: String
    @Option(
        help: ArgumentHelp("The yields' unit: yields (fractions, 0.0783) or percent-yields (7.83).", valueName: "yields|percent-yields"))
    var values: SeriesKind = .yields
    @Option(help: ArgumentHelp("Comma-separated maturities in years.", valueName: "years")) var maturities: String
    @Option(help: ArgumentHelp("daily, weekly or monthly.", valueName: "frequency")) var frequency: Frequency = .monthly
    @Option(help: ArgumentHelp("csv or json.", valueName: "format")) var format: SeriesFormat = .csv
    @OptionGroup var data: DataOptions

    func validate() throws {
        guard values == .yields || values == .percentYields else { throw ValidationError("--values must be yields or percent-yields") }
        do throws(SettingProblem) { _ = try BondReturns.maturities(parsing: maturities) } catch { throw usageError(error) }
    }

    func run() throws {
        let r = try reportingErrors { () throws -> PriceTable in
            let path = try bundled(yields)
            return try BondReturns.fromYields(
                try SeriesFile.read(path: path, kind: values), maturities: try BondReturns.maturities(parsing: maturities),
                frequency: frequency, source: path)
        }
        if format == .json {
            print(try ResultJSON.string(ReturnSeriesJSON(r, frequency: frequency)))
        } else {
            print(PriceCSV.format(r), terminator: "")
        }
    }
}

extension SeriesKind: ExpressibleByArgument {}

/// `data bond-returns --format` values.
enum SeriesFormat: String, ExpressibleByArgument, CaseIterable {
    case csv, json
}

/// `ballast models compare CURRENT CANDIDATE --accounts BOOK`: champion and challenger.
struct ModelsCompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Show what switching a book from the current model portfolios to candidate ones would do.",
        discussion: help("models compare")
    )

    @Argument(help: ArgumentHelp("The current models: JSON object of model id to {symbol: weight}.", valueName: "current"))
    var current: String
    @Argument(help: ArgumentHelp("The candidate models, in the same form.", valueName: "candidate")) var candidate: String
    @Option(help: ArgumentHelp("The book: accounts as JSON Lines, one per line.", valueName: "file")) var accounts: String
    @Option(help: ArgumentHelp("Validation period of the back-tests, in years before --as-of (default 3; 0: none).", valueName: "years"))
    var backtestYears = 3
    @OptionGroup(title: "Policy") var policy: PolicyOptions
    @OptionGroup(title: "Targets and prices") var market: TargetOptions
    @OptionGroup(title: "Profiling files") var files: ProfilingFiles
    @OptionGroup(title: "Output") var output: OutputOptions

    func validate() throws {
        if backtestYears < 0 { throw ValidationError("--backtest-years must be at least 0") }
        if market.models != nil { throw ValidationError("give the two model files as arguments, not --models") }
    }

    func run() throws {
        let comparison = try reportingErrors {
            var request = ModelComparisonRequest(current: current, candidate: candidate, accounts: accounts)
            (request.market, request.backtestYears) = (market.request(policy: try policy.effective()), backtestYears)
            return try request.run(workflowInputs(files, market, prices: market.prices))
        }
        warn(comparison.warnings, quiet: output.quiet)
        try output.emit(comparison, table: ModelComparisonScreen.text(comparison))
    }
}
