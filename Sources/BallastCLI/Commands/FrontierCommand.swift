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
            let chart = FrontierChart(frontier: frontier, distribution: distribution, minimumVolatility: minVol, maximumSharpe: maxSharpe)
            do {
                try chart.render().write(toFile: svg, atomically: true, encoding: .utf8)
            } catch {
                printError("error: cannot write \(svg): \(error.localizedDescription)")
                throw ExitCode(ExitStatus.dataError)
            }
            if !output.quiet { printError("wrote \(svg)") }
        }
        let rf = model.riskFreeRate
        switch output.format {
        case .json:
            print(try jsonString(FrontierReport(frontier, riskFreeRate: rf)))
        default:
            var t = TextTable(["#", "lambda", "exp. return", "volatility", "Sharpe", "largest weights"])
            for (k, p) in frontier.points.enumerated() {
                let top = zip(frontier.assets, p.weights).filter { $0.1 > 5e-7 }.sorted { $0.1 > $1.1 }.prefix(3)
                let holdings = top.map { "\($0.0) \(String(format: "%.0f%%", $0.1 * 100))" }.joined(separator: ", ")
                t.add([
                    "\(k + 1)", p.lambda.isFinite ? number(p.lambda) : "-", percent(p.expectedReturn), percent(p.volatility),
                    frontier.sharpeRatio(of: p, riskFreeRate: rf).map { String(format: "%.3f", $0) } ?? "n/a", holdings,
                ])
            }
            let header =
                frontier.points.count == 1
                ? "Degenerate efficient frontier: \(EfficientFrontier.singlePortfolioNote)\n\n"
                : exact
                    ? "Exact efficient frontier: \(frontier.points.count) turning points\n\n"
                    : "Efficient frontier: \(frontier.points.count) points\n\n"
            print(header + t.render(), terminator: "")
            if let s = maxSharpe {
                print(
                    "\nMaximum Sharpe (risk-free rate \(percent(rf))): return \(percent(s.expectedReturn)), volatility \(percent(s.volatility))"
                )
            }
        }
    }
}

/// The JSON shape of `ballast frontier --format json`.
struct FrontierReport: Encodable {
    struct Point: Encodable {
        /// `null` at the maximum-return end (every risk tolerance beyond the previous point's)
        /// and for sampled points.
        @ExplicitNull var lambda: Double?
        let expectedReturn: Double
        let volatility: Double
        @ExplicitNull var sharpeRatio: Double?
        let weights: [String: Double]
    }
    let exact: Bool
    let riskFreeRate: Double
    let points: [Point]
    /// Set when the frontier is a single portfolio, saying why.
    @ExplicitNull var degenerate: String?
    let engineVersion: String

    init(_ f: EfficientFrontier, riskFreeRate rf: Double) {
        exact = f.isExact
        riskFreeRate = rf
        points = f.points.map { p in
            Point(
                lambda: p.lambda.isFinite ? p.lambda : nil, expectedReturn: p.expectedReturn, volatility: p.volatility,
                sharpeRatio: f.sharpeRatio(of: p, riskFreeRate: rf),
                weights: Dictionary(uniqueKeysWithValues: zip(f.assets, p.weights).map { ($0, $1) }))
        }
        degenerate = f.points.count == 1 ? EfficientFrontier.singlePortfolioNote : nil
        engineVersion = BallastVersion.current
    }
}

/// A self-contained SVG chart: volatility on x, expected return on y, the frontier as a line,
/// each asset as a labelled dot, minimum volatility and maximum Sharpe marked.
struct FrontierChart {
    let frontier: EfficientFrontier
    let distribution: ReturnDistribution
    let minimumVolatility: FrontierPoint?
    let maximumSharpe: FrontierPoint?

    func render() -> String {
        let width = 760.0
        let height = 520.0
        let left = 70.0
        let right = 30.0
        let top = 40.0
        let bottom = 60.0
        let vols = distribution.volatilities
        let rets = distribution.expectedReturns
        var dense: [FrontierPoint] = frontier.points
        if frontier.isExact, let lo = frontier.points.first?.expectedReturn, let hi = frontier.points.last?.expectedReturn, hi > lo {
            dense = (0...120).compactMap { frontier.point(atReturn: lo + (hi - lo) * Double($0) / 120) }
        }
        let xs = vols + dense.map(\.volatility)
        let ys = rets + dense.map(\.expectedReturn)
        // Round axis steps (1, 2, 2.5 or 5 times a power of ten) so ticks read as plain percents.
        func step(_ span: Double) -> Double {
            let raw = span / 5
            let power = pow(10, (log10(raw)).rounded(.down))
            return [1, 2, 2.5, 5, 10].map { $0 * power }.first { $0 >= raw } ?? raw
        }
        let xStep = step((xs.max() ?? 1) * 1.05)
        let xMin = 0.0
        let xMax = ((xs.max() ?? 1) * 1.05 / xStep).rounded(.up) * xStep
        let yLow = Swift.min(0, ys.min() ?? 0)
        let yStep = step(((ys.max() ?? 1) - yLow) * 1.05)
        let yMin = (yLow / yStep).rounded(.down) * yStep
        let yMax = ((ys.max() ?? 1) * 1.05 / yStep).rounded(.up) * yStep
        func px(_ v: Double) -> Double { left + (v - xMin) / (xMax - xMin) * (width - left - right) }
        func py(_ v: Double) -> Double { height - bottom - (v - yMin) / (yMax - yMin) * (height - top - bottom) }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        func tick(_ v: Double) -> String {
            let pct = (v * 100 * 10).rounded() / 10
            return (pct == pct.rounded() ? String(format: "%.0f", pct == 0 ? 0 : pct) : String(format: "%.1f", pct)) + "%"
        }
        var s =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(f(width / 2))\" y=\"24\" text-anchor=\"middle\" font-size=\"16\">Efficient frontier</text>\n"
        // Axes and grid.
        let xTicks = Int(((xMax - xMin) / xStep).rounded())
        let yTicks = Int(((yMax - yMin) / yStep).rounded())
        for k in 0...Swift.max(xTicks, yTicks) {
            let xv = xMin + xStep * Double(k)
            let yv = yMin + yStep * Double(k)
            if k <= xTicks {
                s += "<line x1=\"\(f(px(xv)))\" y1=\"\(f(top))\" x2=\"\(f(px(xv)))\" y2=\"\(f(height - bottom))\" stroke=\"#eee\"/>\n"
                s += "<text x=\"\(f(px(xv)))\" y=\"\(f(height - bottom + 18))\" text-anchor=\"middle\">\(tick(xv))</text>\n"
            }
            if k <= yTicks {
                s += "<line x1=\"\(f(left))\" y1=\"\(f(py(yv)))\" x2=\"\(f(width - right))\" y2=\"\(f(py(yv)))\" stroke=\"#eee\"/>\n"
                s += "<text x=\"\(f(left - 8))\" y=\"\(f(py(yv) + 4))\" text-anchor=\"end\">\(tick(yv))</text>\n"
            }
        }
        s +=
            "<line x1=\"\(f(left))\" y1=\"\(f(height - bottom))\" x2=\"\(f(width - right))\" y2=\"\(f(height - bottom))\" stroke=\"#333\"/>\n"
        s += "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(height - bottom))\" stroke=\"#333\"/>\n"
        s += "<text x=\"\(f((left + width - right) / 2))\" y=\"\(f(height - 18))\" text-anchor=\"middle\">annualised volatility</text>\n"
        s +=
            "<text x=\"18\" y=\"\(f((top + height - bottom) / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 18 \(f((top + height - bottom) / 2)))\">annualised expected return</text>\n"
        // Frontier.
        let path = dense.map { "\(f(px($0.volatility))),\(f(py($0.expectedReturn)))" }.joined(separator: " ")
        s += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"#1f5fbf\" stroke-width=\"2.5\"/>\n"
        if frontier.isExact {
            for p in frontier.points {
                s +=
                    "<circle cx=\"\(f(px(p.volatility)))\" cy=\"\(f(py(p.expectedReturn)))\" r=\"2.5\" fill=\"#1f5fbf\"><title>turning point: return \(String(format: "%.2f%%", p.expectedReturn * 100)), volatility \(String(format: "%.2f%%", p.volatility * 100))</title></circle>\n"
            }
        }
        // Assets.
        for (i, a) in distribution.assets.enumerated() {
            s += "<circle cx=\"\(f(px(vols[i])))\" cy=\"\(f(py(rets[i])))\" r=\"3.5\" fill=\"#888\"/>\n"
            s +=
                "<text x=\"\(f(px(vols[i]) + 6))\" y=\"\(f(py(rets[i]) + 4))\" fill=\"#555\" font-size=\"11\">\(BacktestReport.escape(a))</text>\n"
        }
        func mark(_ p: FrontierPoint?, _ label: String, _ color: String, leftOfPoint: Bool) {
            guard let p else { return }
            let x = px(p.volatility)
            let y = py(p.expectedReturn)
            s += "<circle cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"7\" fill=\"\(color)\" stroke=\"white\" stroke-width=\"2\"/>\n"
            s +=
                leftOfPoint
                ? "<text x=\"\(f(x - 12))\" y=\"\(f(y + 4))\" text-anchor=\"end\" fill=\"\(color)\" font-weight=\"bold\">\(label)</text>\n"
                : "<text x=\"\(f(x - 12))\" y=\"\(f(y - 10))\" text-anchor=\"end\" fill=\"\(color)\" font-weight=\"bold\">\(label)</text>\n"
        }
        mark(minimumVolatility, "minimum volatility", "#2a9d4b", leftOfPoint: true)
        mark(maximumSharpe, "maximum Sharpe", "#d1495b", leftOfPoint: false)
        s += "</svg>\n"
        return s
    }
}
