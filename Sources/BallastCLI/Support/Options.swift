import ArgumentParser
import Ballast
import Foundation

// MARK: - Argument types

extension MarketDate: ExpressibleByArgument {
    public init?(argument: String) { self.init(iso: argument) }
    public static var defaultCompletionKind: CompletionKind { .default }
}

extension MissingDataPolicy: ExpressibleByArgument {}
extension ReturnKind: ExpressibleByArgument {}
extension Frequency: ExpressibleByArgument {}
extension ShrinkageTarget: ExpressibleByArgument {}
extension CovarianceRepairMethod: ExpressibleByArgument {}

extension EstimatorSettings.Covariance: ExpressibleByArgument {}
extension EstimatorSettings.ExpectedReturns: ExpressibleByArgument {}

/// `--format` values.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, csv
}

/// `--format` values of a command whose result has no CSV form.
enum ResultFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}

// MARK: - Shared option groups

/// How price files are checked for implausible moves (``PriceSanityRule``); shared by every
/// command that reads price files.
struct PriceCheckOptions: ParsableArguments, InputOptions {
    @Flag(
        help:
            "Refuse price files with implausible moves (beyond +900%/-95% between two prices, or 50 robust standard deviations) instead of warning."
    )
    var strict = false
    @Option(help: ArgumentHelp("Robust standard deviations a move of 25% or more may lie from the median (default 50).", valueName: "k"))
    var outlierMultiple: Double?

    func validate() throws {
        if let k = outlierMultiple, !(k > 0 && k.isFinite) { throw ValidationError("--outlier-multiple must be positive, got \(k)") }
    }

    /// The library's check these flags describe.
    var checker: PriceCheck {
        var c = PriceCheck()
        if let outlierMultiple { c.rule.robustVolatilityMultiple = outlierMultiple }
        c.strict = strict
        return c
    }

    func apply(to inputs: inout WorkflowInputs) { inputs.priceCheck = checker }

    /// Reads, checks and joins `paths`: each outlier is a warning on standard error, or with
    /// `--strict` an error (exit 1) that lists them.
    func load(_ paths: [String]) throws -> PriceFileSet {
        let (set, warnings) = try checker.load(paths.map { try bundled($0) })
        for w in warnings { printError("warning: " + w) }
        return set
    }
}

/// Where prices come from and which dates to use; shared by every command that reads prices.
struct PriceOptions: ParsableArguments {
    @Option(
        name: .long, parsing: .upToNextOption,
        help: ArgumentHelp("Wide price CSV files (date,SYM1,SYM2,...); several are joined on their dates.", valueName: "file"))
    var prices: [String] = [WorkflowInputs.stockPriceFile]
    @Option(name: .long, help: ArgumentHelp("First date of the window, inclusive (YYYY-MM-DD).", valueName: "date")) var start: MarketDate?
    @Option(name: .long, help: ArgumentHelp("Last date of the window, inclusive (YYYY-MM-DD).", valueName: "date")) var end: MarketDate?
    @Option(
        name: .long, parsing: .upToNextOption, help: ArgumentHelp("Use only these symbols (default: every column).", valueName: "symbol"))
    var symbols: [String] = []
    @OptionGroup var check: PriceCheckOptions
    @OptionGroup var data: DataOptions

    func validate() throws {
        if prices.isEmpty { throw ValidationError("--prices needs at least one file") }
        if let start, let end, start > end {
            throw ValidationError("--start \(start) is after --end \(end); swap them")
        }
    }

    /// The files, for messages.
    var describedFiles: String { prices.joined(separator: " + ") }
}

/// How returns, covariance and expected returns are estimated (`ballast risk-model` and every
/// command that builds a risk model).
struct RiskModelOptions: ParsableArguments {
    @OptionGroup(title: "Prices") var priceOptions: PriceOptions
    @Option(help: ArgumentHelp("Missing-data policy: drop-rows (listwise) or pairwise (pandas' pairwise-complete).", valueName: "policy"))
    var missing: MissingDataPolicy = .dropRows
    @Option(help: ArgumentHelp("Return kind: simple (p1/p0 - 1) or log.", valueName: "kind")) var returns: ReturnKind = .simple
    @Option(help: ArgumentHelp("Resample prices first: daily, weekly or monthly (last price of each period).", valueName: "frequency"))
    var frequency: Frequency = .daily
    @Option(help: ArgumentHelp("Periods per year for annualising (default: 252 daily, 52 weekly, 12 monthly).", valueName: "n"))
    var periodsPerYear: Double?
    @Option(help: ArgumentHelp("Covariance estimator: sample, ewma, ledoit-wolf or oas.", valueName: "estimator"))
    var covariance: EstimatorSettings.Covariance = .sample
    @Option(help: ArgumentHelp("Ledoit-Wolf target: constant-variance, single-factor or constant-correlation.", valueName: "target"))
    var shrinkageTarget: ShrinkageTarget = .constantVariance
    @Option(help: ArgumentHelp("EWMA span in periods (ewma covariance and ema returns; default 180 and 500).", valueName: "n"))
    var span: Double?
    @Option(help: ArgumentHelp("EWMA half-life in periods, instead of --span.", valueName: "n")) var halfLife: Double?
    @Option(help: ArgumentHelp("Expected returns: mean, geometric, ema or capm.", valueName: "estimator"))
    var expectedReturns: EstimatorSettings.ExpectedReturns = .mean
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Annual risk-free rate (fraction): CAPM, the Sharpe ratio, the cash asset.", valueName: "rate"))
    var riskFreeRate: Double = MarketConventions.defaultRiskFreeRate
    @Option(help: ArgumentHelp("Market price file for CAPM (one column).", valueName: "file"))
    var market: String = WorkflowInputs().market
    @Option(
        help: ArgumentHelp(
            "Repair a covariance that is not positive definite: clip (eigenvalues) or higham (nearest correlation).", valueName: "method"))
    var repair: CovarianceRepairMethod?

    func validate() throws {
        if span != nil && halfLife != nil { throw ValidationError("give --span or --half-life, not both") }
        if let p = periodsPerYear, !(p > 0) || !p.isFinite { throw ValidationError("--periods-per-year must be positive, got \(p)") }
        do throws(SettingProblem) { try estimators.validate() } catch { throw usageError(error) }
    }

    /// The estimators these flags name.
    var estimators: EstimatorSettings {
        var e = EstimatorSettings()
        (e.covariance, e.shrinkageTarget, e.span, e.halfLife) = (covariance, shrinkageTarget, span, halfLife)
        (e.expectedReturns, e.riskFreeRate) = (expectedReturns, riskFreeRate)
        return e
    }

    /// The library configuration these flags describe.
    var configuration: RiskModelConfiguration {
        var c = RiskModelConfiguration()
        c.start = priceOptions.start
        c.end = priceOptions.end
        c.frequency = frequency
        c.periodsPerYear = periodsPerYear
        c.returnKind = returns
        c.missingData = missing
        c.repair = repair
        estimators.apply(to: &c)
        return c
    }

    /// The request these flags describe.
    var request: RiskModelRequest {
        var r = RiskModelRequest()
        (r.prices, r.symbols, r.configuration, r.market) = (priceOptions.prices, priceOptions.symbols, configuration, market)
        (r.priceCheck, r.resolve) = (priceOptions.check.checker, { try bundled($0) })
        return r
    }
}

/// A setting out of range as a usage error naming its flag.
func usageError(_ problem: SettingProblem) -> ValidationError { ValidationError(flag(problem.field) + " " + problem.message) }

/// The flag of a library field: `halfLife` is `--half-life`.
func flag(_ field: String) -> String {
    "--" + field.reduce(into: "") { out, c in out += c.isUppercase ? "-" + c.lowercased() : String(c) }
}

/// Output format (table or JSON) and verbosity.
struct OutputOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Output format: table (for people) or json (for programs).", valueName: "format"))
    var format: ResultFormat = .table
    @Flag(name: .shortAndLong, help: "Print only the result, no notes on standard error.") var quiet = false

    /// Prints `value` as JSON, or the table.
    func emit(_ value: some Encodable, table: @autoclosure () -> String) throws {
        print(format == .json ? try ResultJSON.string(value) + "\n" : table(), terminator: "")
    }
}

/// Output format (table, JSON or CSV) and verbosity, for results with a CSV form.
struct TabularOutputOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Output format: table (for people), json or csv (for programs).", valueName: "format"))
    var format: OutputFormat = .table
    @Flag(name: .shortAndLong, help: "Print only the result, no notes on standard error.") var quiet = false

    /// Prints `value` as JSON, the CSV text or the table.
    func emit(_ value: some Encodable, table: @autoclosure () -> String, csv: @autoclosure () -> String) throws {
        switch format {
        case .json: print(try ResultJSON.string(value))
        case .csv: print(csv(), terminator: "")
        case .table: print(table(), terminator: "")
        }
    }
}
