import ArgumentParser
import Ballast
import Foundation

/// `ballast frontier`: the efficient frontier, exact or sampled, as a table, JSON or SVG.
struct FrontierCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "frontier",
        abstract: "Trace the efficient frontier: exact turning points or a number of points.",
        discussion: help("frontier")
    )

    @OptionGroup var model: RiskModelOptions
    @Flag(help: "Exact turning points (critical line algorithm).") var exact = false
    @Option(help: ArgumentHelp("Number of points evenly spaced in return (default 20 unless --exact).", valueName: "n")) var points: Int?
    @OptionGroup(title: "Constraints") var limits: ConstraintOptions
    @Option(help: ArgumentHelp("Write an SVG chart of the frontier, the assets and the marked portfolios.", valueName: "file"))
    var svg: String?
    @OptionGroup(title: "Output") var output: OutputOptions

    func validate() throws {
        if exact && points != nil { throw ValidationError("give --exact or --points, not both") }
        if let points, points < 2 { throw ValidationError("--points must be at least 2, got \(points)") }
    }

    func run() throws {
        var request = FrontierRequest()
        (request.riskModel, request.constraints, request.exact, request.riskFreeRate) = (
            model.request, limits.specification(), exact, model.riskFreeRate
        )
        request.points = points ?? 20
        let o = try reportingErrors { try request.run { warn([$0], quiet: output.quiet) } }
        if let svg {
            try reportingErrors {
                let chart = FrontierScreen.svg(
                    o.frontier, distribution: o.distribution, minimumVolatility: o.minimumVolatility, maximumSharpe: o.maximumSharpe)
                try ReportFile.write(chart, to: svg, what: "the chart")
            }
            if !output.quiet { printError("wrote \(svg)") }
        }
        try output.emit(
            FrontierReport(o.frontier, riskFreeRate: request.riskFreeRate),
            table: FrontierScreen.text(o.frontier, riskFreeRate: request.riskFreeRate, maximumSharpe: o.maximumSharpe))
    }
}
