import ArgumentParser
import Ballast
import Foundation

extension ObjectiveSettings.Name: ExpressibleByArgument {}

/// `LO,HI` for `--weight-bounds`.
struct WeightBounds: ExpressibleByArgument {
    var lower: Double
    var upper: Double

    var defaultValueDescription: String { "\(lower.formatted()),\(upper.formatted())" }

    init?(argument: String) {
        let parts = argument.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let lo = parts[0], let hi = parts[1], lo.isFinite, hi.isFinite else { return nil }
        lower = lo
        upper = hi
    }
}

/// `ballast optimize`: one optimal portfolio.
struct OptimizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "optimize",
        abstract: "Find the optimal portfolio for an objective under constraints.",
        discussion: help("optimize")
    )

    @OptionGroup var model: RiskModelOptions
    @Option(
        help: ArgumentHelp("Objective: min-volatility, max-sharpe, max-utility, efficient-return, efficient-risk.", valueName: "objective"))
    var objective: ObjectiveSettings.Name = .maxSharpe
    @Option(help: ArgumentHelp("Risk aversion λ for max-utility (maximises μᵀw - λ/2 wᵀΣw).", valueName: "λ")) var riskAversion: Double = 1
    @Option(parsing: .unconditional, help: ArgumentHelp("Annual target return for efficient-return (fraction).", valueName: "x"))
    var targetReturn: Double?
    @Option(help: ArgumentHelp("Annual target volatility for efficient-risk (fraction).", valueName: "x")) var targetVolatility: Double?
    @OptionGroup(title: "Constraints") var limits: ConstraintOptions
    @Option(help: ArgumentHelp("L2 regularisation γ (adds γ Σ w² to the objective).", valueName: "γ")) var l2: Double = 0
    @Flag(help: "Add a CASH asset with zero variance earning the risk-free rate.") var cash = false
    @Option(
        help: ArgumentHelp(
            "Turn the weights into whole-lot quantities for this amount of money, at the window's last prices.", valueName: "amount"))
    var allocate: Double?
    @Option(help: ArgumentHelp("With --allocate: fractional quantities with this many decimals instead of whole lots.", valueName: "n"))
    var fractional: Int?
    @Option(help: ArgumentHelp("Product catalogue for lot sizes (--allocate).", valueName: "file"))
    var catalog: String = WorkflowInputs().catalog
    @OptionGroup(title: "Output") var output: OutputOptions

    func validate() throws {
        do throws(SettingProblem) { _ = try settings.objective(riskFreeRate: model.riskFreeRate) } catch { throw usageError(error) }
        if !(l2 >= 0) { throw ValidationError("--l2 must be at least 0, got \(l2)") }
        if let allocate, !(allocate > 0) { throw ValidationError("--allocate must be a positive amount, got \(allocate)") }
        if let fractional, !(0...8).contains(fractional) { throw ValidationError("--fractional takes 0 to 8 decimals, got \(fractional)") }
    }

    /// The objective these flags name.
    var settings: ObjectiveSettings {
        var o = ObjectiveSettings()
        (o.name, o.riskAversion, o.targetReturn, o.targetVolatility) = (objective, riskAversion, targetReturn, targetVolatility)
        return o
    }

    func run() throws {
        var request = OptimizeRequest()
        (request.riskModel, request.riskFreeRate) = (model.request, model.riskFreeRate)
        request.objective = try settings.objective(riskFreeRate: model.riskFreeRate)
        (request.constraints, request.allocate, request.fractionalDecimals) = (
            limits.specification(l2: l2, cash: cash), allocate, fractional
        )
        request.catalog = catalog
        let (result, allocation) = try reportingErrors { try request.run { warn([$0], quiet: output.quiet) } }
        try output.emit(
            OptimizationReport(result, allocation: allocation),
            table: OptimizationScreen.text(result) + (allocation.map { "\n" + OptimizationScreen.allocation($0) } ?? ""))
    }
}

// MARK: - Constraint options and files

/// Bounds and groups, shared by `optimize` and `frontier`.
struct ConstraintOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Bounds for every weight, `LO,HI`.", valueName: "lo,hi"))
    var weightBounds: WeightBounds = WeightBounds(argument: "0,1")!
    @Option(help: ArgumentHelp("Per-symbol bounds, CSV `symbol,lower,upper`.", valueName: "file")) var bounds: String?
    @Option(help: ArgumentHelp("Group limits, JSON array of {name, members, minimum, maximum}.", valueName: "file")) var groups: String?

    /// The constraints these options describe, with the regulariser and the cash asset.
    func specification(l2: Double = 0, cash: Bool = false) -> ConstraintSpecification {
        var c = ConstraintSpecification()
        (c.lower, c.upper, c.boundsFile, c.groupsFile, c.l2, c.cash) = (weightBounds.lower, weightBounds.upper, bounds, groups, l2, cash)
        return c
    }
}

/// An input file that cannot be used, with where and how to fix it.
struct InputFileError: BallastInputError {
    let description: String
}
