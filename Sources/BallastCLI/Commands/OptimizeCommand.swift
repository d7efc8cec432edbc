import ArgumentParser
import Ballast
import Foundation

/// `--objective` values.
enum ObjectiveOption: String, ExpressibleByArgument, CaseIterable {
    case minVolatility = "min-volatility"
    case maxSharpe = "max-sharpe"
    case maxUtility = "max-utility"
    case efficientReturn = "efficient-return"
    case efficientRisk = "efficient-risk"
}

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
        discussion: """
            Builds the risk model (same options as `ballast risk-model`), then solves the mean-variance
            problem with Ballast's interior-point solver, polished on the active set to machine
            precision. Weights sum to one; bounds default to long-only (0,1).

            BOUNDS FILE (--bounds): CSV with header `symbol,lower,upper`; an empty field keeps the default.
            GROUPS FILE (--groups): JSON array of {"name": "tech", "members": ["AAPL", "MSFT"],
            "minimum": 0.1, "maximum": 0.3}; either limit may be omitted.

            EXAMPLES
              ballast optimize --start 2018-01-01 --objective max-sharpe
              ballast optimize --objective efficient-risk --target-volatility 0.15 --cash
              ballast optimize --objective min-volatility --weight-bounds 0.02,0.15 --format json
              ballast optimize --objective max-utility --risk-aversion 4 --groups groups.json --l2 0.05
              ballast optimize --objective max-sharpe --allocate 100000
            """
    )

    @OptionGroup var model: RiskModelOptions

    @Option(
        help: ArgumentHelp("Objective: min-volatility, max-sharpe, max-utility, efficient-return, efficient-risk.", valueName: "objective"))
    var objective: ObjectiveOption = .maxSharpe

    @Option(help: ArgumentHelp("Risk aversion λ for max-utility (maximises μᵀw - λ/2 wᵀΣw).", valueName: "λ"))
    var riskAversion: Double = 1

    @Option(parsing: .unconditional, help: ArgumentHelp("Annual target return for efficient-return (fraction).", valueName: "x"))
    var targetReturn: Double?

    @Option(help: ArgumentHelp("Annual target volatility for efficient-risk (fraction).", valueName: "x"))
    var targetVolatility: Double?

    @OptionGroup(title: "Constraints") var limits: ConstraintOptions

    @Option(help: ArgumentHelp("L2 regularisation γ (adds γ Σ w² to the objective).", valueName: "γ"))
    var l2: Double = 0

    @Flag(help: "Add a CASH asset with zero variance earning the risk-free rate.")
    var cash = false

    @Option(
        help: ArgumentHelp(
            "Turn the weights into whole-lot quantities for this amount of money, at the window's last prices.", valueName: "amount"))
    var allocate: Double?

    @Option(help: ArgumentHelp("With --allocate: fractional quantities with this many decimals instead of whole lots.", valueName: "n"))
    var fractional: Int?

    @Option(help: ArgumentHelp("Product catalogue for lot sizes (--allocate).", valueName: "file"))
    var catalog: String = "market-data/catalog.json"

    @OptionGroup(title: "Output") var output: OutputOptions

    func validate() throws {
        if objective == .efficientReturn && targetReturn == nil { throw ValidationError("efficient-return needs --target-return") }
        if objective == .efficientRisk && targetVolatility == nil { throw ValidationError("efficient-risk needs --target-volatility") }
        if !(riskAversion > 0) { throw ValidationError("--risk-aversion must be positive, got \(riskAversion)") }
        if !(l2 >= 0) { throw ValidationError("--l2 must be at least 0, got \(l2)") }
        if output.format == .csv { throw ValidationError("optimize prints table or json; use --format table or --format json") }
        if let allocate, !(allocate > 0) { throw ValidationError("--allocate must be a positive amount, got \(allocate)") }
        if let fractional, !(0...8).contains(fractional) { throw ValidationError("--fractional takes 0 to 8 decimals, got \(fractional)") }
    }

    var portfolioObjective: PortfolioObjective {
        switch objective {
        case .minVolatility: .minimumVolatility
        case .maxSharpe: .maximumSharpe(riskFreeRate: model.riskFreeRate)
        case .maxUtility: .maximumUtility(riskAversion: riskAversion)
        case .efficientReturn: .efficientReturn(targetReturn: targetReturn!)
        case .efficientRisk: .efficientRisk(targetVolatility: targetVolatility!)
        }
    }

    func constraints() throws -> PortfolioConstraints {
        var c = try limits.constraints()
        c.l2Regularization = l2
        if cash {
            c.cashSymbol = RebalancePlanner.defaultCashSymbol
            c.cashRate = model.riskFreeRate
        }
        return c
    }

    func run() throws {
        let (result, allocation) = try reportingErrors { () throws -> (OptimizationResult, DiscreteAllocation?) in
            let distribution = try model.estimate()
            let result = try MeanVarianceProblem(
                distribution: distribution, objective: portfolioObjective, constraints: try constraints(),
                riskFreeRate: model.riskFreeRate
            ).solve()
            guard let amount = allocate else { return (result, nil) }
            return (result, try self.allocation(of: result, amount: amount))
        }
        if !output.quiet { for w in result.warnings { printError("warning: \(w)") } }
        switch output.format {
        case .json: print(try ResultJSON.string(OptimizationReport(result, allocation: allocation)))
        default:
            print(OptimizationScreen.text(result), terminator: "")
            if let allocation { print("\n" + OptimizationScreen.allocation(allocation), terminator: "") }
        }
    }

    /// Whole-lot quantities at the last prices of the window, lot sizes from the catalogue.
    func allocation(of result: OptimizationResult, amount: Double) throws -> DiscreteAllocation {
        let prices = try model.priceOptions.load().window(start: model.priceOptions.start, end: model.priceOptions.end)
        let last = prices.lastPrices(onOrBefore: prices.dates.last!)
        var lots: [String: Double] = [:]
        for p in try ProductCatalog.read(path: try bundled(catalog)).products { lots[p.symbol] = p.lotSize }
        let weights = Dictionary(uniqueKeysWithValues: zip(result.assets, result.weights).map { ($0, $1) })
        return try DiscreteAllocation.allocate(
            weights: weights, prices: last, amount: amount, lotSizes: lots,
            granularity: fractional.map { .fractional(decimals: $0) } ?? .lots, cashSymbol: cash ? RebalancePlanner.defaultCashSymbol : nil)
    }

}

// MARK: - Constraint options and files

/// Bounds and groups, shared by `optimize` and `frontier`.
struct ConstraintOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Bounds for every weight, `LO,HI`.", valueName: "lo,hi"))
    var weightBounds: WeightBounds = WeightBounds(argument: "0,1")!

    @Option(help: ArgumentHelp("Per-symbol bounds, CSV `symbol,lower,upper`.", valueName: "file"))
    var bounds: String?

    @Option(help: ArgumentHelp("Group limits, JSON array of {name, members, minimum, maximum}.", valueName: "file"))
    var groups: String?

    /// The constraints these options describe (files read and checked).
    func constraints() throws -> PortfolioConstraints {
        var c = PortfolioConstraints()
        c.defaultLower = weightBounds.lower
        c.defaultUpper = weightBounds.upper
        if let bounds {
            for r in try ConstraintFiles.bounds(try bundled(bounds)) {
                if let lo = r.lower { c.lowerBounds[r.symbol] = lo }
                if let hi = r.upper { c.upperBounds[r.symbol] = hi }
            }
        }
        if let groups { c.groups = try ConstraintFiles.groups(try bundled(groups)) }
        return c
    }
}

/// An input file that cannot be used, with where and how to fix it.
struct InputFileError: Error, CustomStringConvertible {
    let description: String
}
