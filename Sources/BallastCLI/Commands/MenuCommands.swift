import ArgumentParser
import Ballast
import Foundation

/// `ballast models menu` (and `ballast models`): the menu in force on a date.
struct ModelsMenuCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "menu",
        abstract: "The model menu (C1-C5) in force on a date: the portfolios recommend and rebalance trade to.",
        discussion: """
            The investment process reviews the menu every 12 months from the first month with enough
            history for the assumptions: at each review the assumptions are built from data up to that
            month only and the menu against the previous review's, within the policy's turnover limit.
            The menu in force on --as-of (default: the universe's last common date) is the last review's;
            it is what `recommend`, `rebalance`, `generate-accounts` and `backtest --strategy level:N`
            use. --format json prints a list with, per level, level, label, weights (by product),
            assetClassWeights (by class), expectedReturn, volatility, volatilityCap, assumptionsVersion,
            policyVersion and reviewDate.

            EXAMPLES
              ballast models
              ballast models --as-of 2005-06-30 --format json
              ballast models --no-resampling
            """
    )

    @OptionGroup var process: ProcessOptions

    @Option(help: ArgumentHelp("Date of the menu (default: the universe's last common date).", valueName: "date"))
    var asOf: MarketDate?

    @OptionGroup var data: DataOptions
    @OptionGroup(title: "Output") var output: OutputOptions

    func validate() throws {
        if output.format == .csv { throw ValidationError("models prints table or json") }
    }

    func run() throws {
        let (review, day) = try reportingErrors { () throws -> (MenuReview, MarketDate) in
            let (builder, policy) = try process.load()
            let p = InvestmentProcess(assumptions: builder, policy: policy)
            let day = try p.prices.resolveAsOf(asOf).date
            return (try p.review(asOf: day), day)
        }
        let m = review.menu
        switch output.format {
        case .json:
            print(try ResultJSON.string(m.portfolios.map { MenuLevelJSON($0, menu: m) }))
        default:
            print("Model menu in force on \(day): the review of \(m.asOf)\n")
            print(InvestmentProcessText.menu(m), terminator: "")
        }
    }
}

/// `ballast models build`: the model menu from assumptions and a policy.
struct ModelsBuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build the model menu (C1-C5) of the multi-asset universe from assumptions and an investment policy.",
        discussion: """
            Each level's model is the highest expected return at or below the level's volatility cap,
            within the policy's class bounds, product maximum, cash floor, rating limit and minimum
            position; with the policy's resampling (Michaud), the average over simulated histories,
            then the nearest portfolio that meets every limit exactly. With --previous, each model's
            turnover against the previous menu is limited by the policy and reported.

            EXAMPLES
              ballast models build
              ballast models build --as-of 2008-12-31 --format json > /tmp/menu-2008.json
              ballast models build --previous /tmp/menu-2008.json
            """
    )

    @OptionGroup var process: ProcessOptions

    @Option(help: ArgumentHelp("Build from data up to this date (default: the universe's last common date).", valueName: "date"))
    var asOf: MarketDate?

    @Option(help: ArgumentHelp("An approved assumptions file to use instead of building them.", valueName: "file"))
    var assumptions: String?

    @Option(help: ArgumentHelp("The previous menu (JSON from this command), for the turnover limit.", valueName: "file"))
    var previous: String?

    @OptionGroup var data: DataOptions
    @OptionGroup(title: "Output") var output: OutputOptions

    func validate() throws {
        if output.format == .csv { throw ValidationError("models build prints table or json") }
    }

    func run() throws {
        let menu = try reportingErrors { () throws -> ModelMenu in
            let (builder, policy) = try process.load()
            let a: CapitalMarketAssumptions
            if let assumptions {
                a = try CapitalMarketAssumptions.read(path: assumptions)
                if a.approval.status != .approved && !output.quiet {
                    printError(
                        "warning: \(assumptions) is a draft; approve it with `ballast assumptions approve` before it is used for advice")
                }
            } else {
                a = try builder.build(asOf: asOf)
            }
            var prior: ModelMenu?
            if let previous {
                prior = try ModelMenu.read(path: try bundled(previous))
            }
            return try ModelMenuBuilder(assumptions: a, policy: policy, catalog: builder.universe.catalog(asOf: a.asOf), previous: prior)
                .build()
        }
        if output.format == .json { print(try ResultJSON.string(menu)) } else { print(InvestmentProcessText.menu(menu), terminator: "") }
    }
}

/// `ballast models validate`: the rule walked forward over the universe's history.
struct ModelsValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Walk the model rule forward over history: realised risk against the cap, drawdown, turnover, costs.",
        discussion: """
            At each review date (every --review-months months from the first date with enough history)
            the assumptions and the menu are re-built from data up to that date only, against the
            previous menu; each level's model is then held, rebalanced to its weights at every month
            end with --cost-bps on each trade and the products' expense ratios, until the next review.

            EXAMPLES
              ballast models validate --no-resampling
              ballast models validate --format json > /tmp/validation.json
              ballast models validate --html /tmp/validation.html
            """
    )

    @OptionGroup var process: ProcessOptions

    @Option(help: ArgumentHelp("Months between reviews.", valueName: "n"))
    var reviewMonths = 12

    @Option(help: ArgumentHelp("Trading cost on every trade, in basis points.", valueName: "bps"))
    var costBps = 10.0

    @Option(help: ArgumentHelp("Also write an HTML page with the charts here.", valueName: "file"))
    var html: String?

    @OptionGroup var data: DataOptions
    @OptionGroup(title: "Output") var output: OutputOptions

    func validate() throws {
        if output.format == .csv { throw ValidationError("models validate prints table or json") }
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
        if output.format == .json {
            print(try ResultJSON.string(report))
        } else {
            print(InvestmentProcessText.validation(report), terminator: "")
        }
    }
}

/// `ballast data bond-returns`.
struct BondReturnsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bond-returns",
        abstract: "Constant-maturity government bond total returns from a file of par yields.",
        discussion: """
            For each period: a par bond of the maturity bought at the previous yield (its coupon, paid
            half-yearly), revalued at the new yield with its maturity shortened by the elapsed days
            (days / 365.25), plus the coupon accrued. An unchanged yield earns (1 + y/2)^(2 dt) - 1.
            Columns of the yields file name their maturities (2year, 6month, 10y, UST30Y). A return
            needs a yield at both ends of its period: missing yields stay missing (empty in CSV, null
            in JSON), never interpolated.

            EXAMPLES
              ballast data bond-returns --yields market-data/multi-asset/ust_par_yields_daily_1990_2017.csv --maturities 2,5,10,30
              ballast data bond-returns --yields market-data/multi-asset/ust_par_yields_daily_1990_2017.csv --maturities 10 --format json
            """
    )

    @Option(help: ArgumentHelp("The par yields file (wide CSV).", valueName: "file"))
    var yields: String

    @Option(
        help: ArgumentHelp("The yields' unit: yields (fractions, 0.0783) or percent-yields (7.83).", valueName: "yields|percent-yields"))
    var values: SeriesKind = .yields

    @Option(help: ArgumentHelp("Comma-separated maturities in years.", valueName: "years"))
    var maturities: String

    @Option(help: ArgumentHelp("daily, weekly or monthly.", valueName: "frequency"))
    var frequency: Frequency = .monthly

    @Option(help: ArgumentHelp("csv or json.", valueName: "csv|json"))
    var format: OutputFormat = .csv

    @OptionGroup var data: DataOptions

    func validate() throws {
        guard values == .yields || values == .percentYields else { throw ValidationError("--values must be yields or percent-yields") }
        let m = parsedMaturities
        guard !m.isEmpty else { throw ValidationError("--maturities must list years, for example 2,5,10,30") }
        if let bad = m.first(where: { !($0 >= 0.5 && $0 <= 50 && ($0 * 2).rounded() == $0 * 2) }) {
            throw ValidationError("--maturities: \(bad) is not a whole number of half-years from 0.5 to 50")
        }
        guard Set(m).count == m.count else { throw ValidationError("--maturities lists a maturity twice") }
        guard format != .table else { throw ValidationError("--format must be csv or json") }
    }

    var parsedMaturities: [Double] {
        let parts = maturities.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let numbers = parts.compactMap(Double.init)
        return numbers.count == parts.count ? numbers : []
    }

    func run() throws {
        let r = try reportingErrors { () throws -> PriceTable in
            let path = try bundled(yields)
            return try BondReturns.fromYields(
                try SeriesFile.read(path: path, kind: values), maturities: parsedMaturities, frequency: frequency, source: path)
        }
        if format == .json {
            print(try ResultJSON.string(ReturnSeriesJSON(r, frequency: frequency)))
        } else {
            print(PriceCSV.format(r), terminator: "")
        }
    }
}

extension SeriesKind: ExpressibleByArgument {}
