import ArgumentParser
import Ballast
import Foundation

/// An option group that names some of a workflow's input files.
protocol InputOptions {
    /// Sets the files these options name.
    func apply(to inputs: inout WorkflowInputs)
}

/// The inputs named by `groups`, files found through the bundled data (``bundled(_:)``),
/// with the product price files `prices` and the market index `market`.
func workflowInputs(_ groups: any InputOptions..., prices: [String] = [], market: String? = nil) -> WorkflowInputs {
    var inputs = WorkflowInputs()
    inputs.resolve = { try bundled($0) }
    inputs.prices = prices
    if let market { inputs.market = market }
    for g in groups { g.apply(to: &inputs) }
    return inputs
}

/// Prints the workflow's warnings on standard error (unless quiet).
func warn(_ warnings: [String], quiet: Bool = false, prefix: String = "warning: ") {
    if !quiet { for w in warnings { printError(prefix + w) } }
}

extension ProductUniverse: ExpressibleByArgument {}

/// Files the profiling commands read, with their defaults.
struct ProfilingFiles: ParsableArguments, InputOptions {
    @Option(help: ArgumentHelp("Questionnaire definition.", valueName: "file")) var questionnaire: String = WorkflowInputs().questionnaire
    @Option(help: ArgumentHelp("Risk-level parameters.", valueName: "file")) var levels: String = WorkflowInputs().levels
    @Option(help: ArgumentHelp("Product catalogue (ratings, lot sizes).", valueName: "file")) var catalog: String = WorkflowInputs().catalog
    @Option(
        help: ArgumentHelp(
            "Pseudonymisation key file (created with mode 0600 on first use) unless BALLAST_PSEUDONYM_KEY is set.", valueName: "file"))
    var keyFile: String = WorkflowInputs().keyFile
    @OptionGroup var data: DataOptions

    func apply(to inputs: inout WorkflowInputs) {
        (inputs.questionnaire, inputs.levels, inputs.catalog, inputs.keyFile) = (questionnaire, levels, catalog, keyFile)
    }

    /// The files with their options, for the overwrite check.
    var named: [NamedPath] { [NamedPath("--catalog", catalog), NamedPath("--levels", levels), NamedPath("--key-file", keyFile)] }
}

/// Options naming the investment process's inputs.
struct ProcessOptions: ParsableArguments, InputOptions {
    @Option(help: ArgumentHelp("Assumptions specification (default: the bundled multi-asset rule).", valueName: "file"))
    var spec = WorkflowInputs().assumptionsSpecification
    @Option(
        name: .customLong("investment-policy"),
        help: ArgumentHelp("Investment policy (default: the bundled multi-asset policy).", valueName: "file"))
    var policy = WorkflowInputs().investmentPolicy
    @Flag(help: "Plain mean-variance instead of the policy's resampling.") var noResampling = false

    func apply(to inputs: inout WorkflowInputs) {
        (inputs.assumptionsSpecification, inputs.investmentPolicy, inputs.resampling) = (spec, policy, !noResampling)
    }

    /// The assumptions builder and the policy.
    func load() throws -> (AssumptionsBuilder, InvestmentPolicy) { try workflowInputs(self).loadProcessInputs() }
}

/// `--universe` with the investment process's inputs: where the models come from.
struct ModelSourceOptions: ParsableArguments, InputOptions {
    @Option(
        help: ArgumentHelp(
            "multi-asset: the model menu of the investment process (default); stocks: 20 US stocks and 5 factor ETFs with level models estimated on the spot (the default when --prices is given).",
            valueName: "universe"))
    var universe: ProductUniverse?
    @OptionGroup var process: ProcessOptions

    func apply(to inputs: inout WorkflowInputs) {
        inputs.universe = universe
        process.apply(to: &inputs)
    }

    /// Refuses price files on the multi-asset universe (a usage error).
    func check(prices: [String]) throws {
        do throws(WorkflowInputError) { try workflowInputs(self, prices: prices).validate() } catch {
            throw ValidationError(error.description)
        }
    }
}

/// Where target weights and the prices at a date come from: `rebalance`, `monitor` and
/// `generate-accounts`.
struct TargetOptions: ParsableArguments, InputOptions {
    @Option(help: ArgumentHelp("Model portfolios: JSON object of model id to {symbol: weight}.", valueName: "file")) var models: String?
    @Option(help: ArgumentHelp("Prices as a JSON map {symbol: price} instead of price files.", valueName: "file")) var priceMap: String?
    @Option(
        parsing: .upToNextOption,
        help: ArgumentHelp(
            "Price files; the last row on or before --as-of is used (implies --universe stocks; default: the universe's prices).",
            valueName: "file"))
    var prices: [String] = []
    @OptionGroup(title: "Model source") var source: ModelSourceOptions
    @Option(
        help: ArgumentHelp(
            "Date of the prices, of calendar triggers and of generated last-rebalance dates (default: the last date in the prices).",
            valueName: "date"))
    var asOf: MarketDate?
    @OptionGroup(title: "Price checks") var check: PriceCheckOptions

    func validate() throws { try source.check(prices: prices) }

    func apply(to inputs: inout WorkflowInputs) {
        inputs.prices = prices
        source.apply(to: &inputs)
        check.apply(to: &inputs)
    }

    /// The request these options describe, with `policy`.
    func request(policy: RebalancePolicy = RebalancePolicy()) -> RebalanceRequest {
        var r = RebalanceRequest()
        (r.asOf, r.models, r.priceMap, r.policy) = (asOf, models, priceMap, policy)
        return r
    }

    /// The files with their options, for the overwrite check.
    var named: [NamedPath] {
        (models.map { [NamedPath("--models", $0)] } ?? [])
            + (priceMap.map { [NamedPath("--price-map", $0)] } ?? prices.map { NamedPath("--prices", $0) })
    }
}

/// The rebalancing policy: a file, then flags that override it (`rebalance` and `monitor`).
struct PolicyOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Policy file (JSON with the fields of the flags below, in camelCase).", valueName: "file"))
    var policy: String?
    @Option(
        help: ArgumentHelp(
            "Trigger: absolute-band, relative-band, 5-25, portfolio-drift, calendar, calendar-and-threshold.", valueName: "trigger"))
    var trigger: RebalanceTrigger?
    @Option(help: ArgumentHelp("Absolute band (fraction, default 0.05).", valueName: "x")) var band: Double?
    @Option(help: ArgumentHelp("Relative band (fraction of the target, default 0.25).", valueName: "x")) var relativeBand: Double?
    @Option(help: ArgumentHelp("Portfolio drift threshold ½Σ|w - w*| (default 0.05).", valueName: "x")) var driftThreshold: Double?
    @Option(help: ArgumentHelp("Calendar period: monthly, quarterly, annual.", valueName: "period")) var period: RebalancePeriod?
    @Option(help: ArgumentHelp("Destination: target or band-edge.", valueName: "destination")) var destination: RebalanceDestination?
    @Option(help: ArgumentHelp("Minimum trade value.", valueName: "amount")) var minTrade: Double?
    @Option(help: ArgumentHelp("Proportional cost in basis points.", valueName: "bps")) var costBps: Double?
    @Option(help: ArgumentHelp("Fixed cost per trade.", valueName: "amount")) var fixedCost: Double?
    @Option(help: ArgumentHelp("Cash buffer as a fraction of the account.", valueName: "x")) var cashBuffer: Double?
    @Option(help: ArgumentHelp("Fractional quantities with this many decimals instead of whole lots.", valueName: "n")) var fractional: Int?
    @Option(help: ArgumentHelp("Maximum turnover (fraction).", valueName: "x")) var maxTurnover: Double?

    /// The overrides these flags set.
    var overrides: RebalancePolicyOverrides {
        var o = RebalancePolicyOverrides()
        (o.trigger, o.period, o.destination, o.absoluteBand, o.relativeBand) = (trigger, period, destination, band, relativeBand)
        (o.driftThreshold, o.minimumTradeValue, o.costBasisPoints, o.fixedCost) = (driftThreshold, minTrade, costBps, fixedCost)
        (o.cashBuffer, o.fractionalDecimals, o.maximumTurnover) = (cashBuffer, fractional, maxTurnover)
        return o
    }

    /// The policy: the file, then the flags, checked by the library (a flag out of range is a
    /// usage error, exit 2; a file value exit 1).
    func effective() throws -> RebalancePolicy {
        let file = try policy.map { try RebalancePolicy.read(path: try bundled($0)) } ?? RebalancePolicy()
        let o = overrides
        do throws(RebalancePolicy.Problem) { return try o.applied(to: file) } catch {
            guard o.fields.contains(error.field) else { throw InputFileError(description: "\(policy ?? "policy"): \(error.description)") }
            throw usageError(error)
        }
    }
}

/// A policy value given by a flag and out of range, as a usage error naming the flag.
func usageError(_ problem: RebalancePolicy.Problem) -> ValidationError {
    let renamed = [
        "absoluteBand": "--band", "minimumTradeValue": "--min-trade", "costBasisPoints": "--cost-bps", "minimumCost": "--min-cost",
        "fractionalDecimals": "--fractional", "maximumTurnover": "--max-turnover",
    ]
    return ValidationError("\(renamed[problem.field] ?? flag(problem.field)) \(problem.value): must be \(problem.requirement)")
}

/// Workers and the longest line of a book (`rebalance --accounts` and `monitor`).
struct BookOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Batch mode: worker threads (default: the number of cores).", valueName: "n"))
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(
        help: ArgumentHelp(
            "Batch mode: the longest account line read, in bytes (default 1048576); a longer line becomes an error record.",
            valueName: "n"))
    var maxLineBytes: Int = 1 << 20

    func validate() throws {
        if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        if maxLineBytes < 64 { throw ValidationError("--max-line-bytes must be at least 64") }
    }
}
