import ArgumentParser
import Ballast
import Foundation

/// `ballast frontier`: the efficient frontier, exact or sampled, as a table, JSON or SVG.
struct FrontierCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "frontier",
        abstract: "Trace the efficient frontier: exact turning points or a number of points.",
        discussion: """
            --exact walks the critical line: every turning point (where an asset enters or leaves)
            once, with its lambda; between turning points the weights are affine. It takes the budget
            and per-asset bounds. --points N gives N portfolios evenly spaced in expected return from
            minimum volatility to maximum return, under every constraint (groups included).

            EXAMPLES
              ballast frontier --exact --start 2018-01-01
              ballast frontier --points 50 --format json
              ballast frontier --exact --svg frontier.svg
              ballast frontier --points 20 --groups groups.json --weight-bounds 0,0.3
            """
    )

    @OptionGroup var model: RiskModelOptions

    @Flag(help: "Exact turning points (critical line algorithm).")
    var exact = false

    @Option(help: ArgumentHelp("Number of points evenly spaced in return (default 20 unless --exact).", valueName: "n"))
    var points: Int?

    @OptionGroup(title: "Constraints") var limits: ConstraintOptions

    @Option(help: ArgumentHelp("Write an SVG chart of the frontier, the assets and the marked portfolios.", valueName: "file"))
    var svg: String?

    @OptionGroup(title: "Output") var output: OutputOptions

    func validate() throws {
        if exact && points != nil { throw ValidationError("give --exact or --points, not both") }
        if let points, points < 2 { throw ValidationError("--points must be at least 2, got \(points)") }
        if output.format == .csv { throw ValidationError("frontier prints table or json") }
    }

    func run() throws {
        let (frontier, distribution, minVol, maxSharpe) = try reportingErrors {
            () throws -> (EfficientFrontier, ReturnDistribution, FrontierPoint?, FrontierPoint?) in
            let distribution = try model.estimate()
            if !output.quiet { for w in distribution.warnings { printError("warning: \(w)") } }
            let c = try limits.constraints()
            let problem = MeanVarianceProblem(distribution: distribution, objective: .minimumVolatility, constraints: c)
            let frontier = exact ? try problem.exactFrontier() : try problem.sampledFrontier(points: points ?? 20)
            let rf = model.riskFreeRate
            var sharpe: FrontierPoint?
            if exact {
                sharpe = frontier.maximumSharpe(riskFreeRate: rf)
            } else {
                do {
                    let r = try MeanVarianceProblem(distribution: distribution, objective: .maximumSharpe(riskFreeRate: rf), constraints: c)
                        .solve()
                    sharpe = FrontierPoint(lambda: .nan, weights: r.weights, expectedReturn: r.expectedReturn, volatility: r.volatility)
                } catch {
                    printError("warning: no maximum-Sharpe portfolio is marked: \(error)")
                }
            }
            return (frontier, distribution, frontier.points.first, sharpe)
        }
        if let svg {
            try reportingErrors {
                try ReportFile.write(
                    FrontierScreen.svg(frontier, distribution: distribution, minimumVolatility: minVol, maximumSharpe: maxSharpe), to: svg,
                    what: "the chart")
            }
            if !output.quiet { printError("wrote \(svg)") }
        }
        let rf = model.riskFreeRate
        switch output.format {
        case .json:
            print(try ResultJSON.string(FrontierReport(frontier, riskFreeRate: rf)))
        default:
            print(FrontierScreen.text(frontier, riskFreeRate: rf, maximumSharpe: maxSharpe), terminator: "")
        }
    }
}
