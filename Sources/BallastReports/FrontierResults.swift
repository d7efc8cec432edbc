import BallastMarketData
import BallastOptimization
import BallastRiskModels
import BallastWorkflows
import Foundation

/// The screens of `ballast frontier`: the table, the SVG chart.
public enum FrontierScreen {
    /// The frontier's table: each point's risk tolerance, return, volatility, Sharpe ratio and
    /// largest weights, and the maximum-Sharpe portfolio.
    public static func text(_ frontier: EfficientFrontier, riskFreeRate rf: Double, maximumSharpe: FrontierPoint?) -> String {
        var t = TextTable(["#", "lambda", "exp. return", "volatility", "Sharpe", "largest weights"])
        for (k, p) in frontier.points.enumerated() {
            let top = zip(frontier.assets, p.weights).filter { $0.1 > 5e-7 }.sorted { $0.1 > $1.1 }.prefix(3)
            let holdings = top.map { "\($0.0) \(String(format: "%.0f%%", $0.1 * 100))" }.joined(separator: ", ")
            t.add([
                "\(k + 1)", p.lambda.isFinite ? number(p.lambda) : "-", percent(p.expectedReturn), percent(p.volatility),
                frontier.sharpeRatio(of: p, riskFreeRate: rf).map { String(format: "%.3f", $0) } ?? "n/a", holdings,
            ])
        }
        var out =
            frontier.points.count == 1
            ? "Degenerate efficient frontier: \(EfficientFrontier.singlePortfolioNote)\n\n"
            : frontier.isExact
                ? "Exact efficient frontier: \(frontier.points.count) turning points\n\n"
                : "Efficient frontier: \(frontier.points.count) points\n\n"
        out += t.render()
        if let s = maximumSharpe {
            out +=
                "\nMaximum Sharpe (risk-free rate \(percent(rf))): return \(percent(s.expectedReturn)), volatility \(percent(s.volatility))\n"
        }
        return out
    }

    /// The chart (``Chart/frontier(curve:corners:assets:marks:volatilityCap:title:width:height:)``):
    /// an exact frontier drawn densely between its turning points, the assets, the minimum-volatility
    /// and maximum-Sharpe portfolios marked.
    public static func svg(
        _ frontier: EfficientFrontier, distribution: ReturnDistribution, minimumVolatility: FrontierPoint?, maximumSharpe: FrontierPoint?
    ) -> String {
        var dense: [FrontierPoint] = frontier.points
        if frontier.isExact, let lo = frontier.points.first?.expectedReturn, let hi = frontier.points.last?.expectedReturn, hi > lo {
            dense = (0...120).compactMap { frontier.point(atReturn: lo + (hi - lo) * Double($0) / 120) }
        }
        func point(_ p: FrontierPoint) -> Chart.Point { Chart.Point(volatility: p.volatility, expectedReturn: p.expectedReturn) }
        let vols = distribution.volatilities
        var marks: [Chart.Mark] = []
        if let p = minimumVolatility { marks.append(Chart.Mark("minimum volatility", at: point(p), colour: "#2a9d4b", labelLeft: true)) }
        if let p = maximumSharpe { marks.append(Chart.Mark("maximum Sharpe", at: point(p), colour: "#d1495b")) }
        return Chart.frontier(
            curve: dense.map(point), corners: frontier.isExact ? frontier.points.map(point) : [],
            assets: distribution.assets.enumerated().map {
                (name: $0.element, point: Chart.Point(volatility: vols[$0.offset], expectedReturn: distribution.expectedReturns[$0.offset]))
            }, marks: marks)
    }
}

/// The JSON shape of `ballast frontier --format json`.
public struct FrontierReport: Encodable {
    /// The point.
    public struct Point: Encodable {
        /// `null` at the maximum-return end (every risk tolerance beyond the previous point's)
        /// and for sampled points.
        @ExplicitNull public var lambda: Double?
        /// The expected return.
        public let expectedReturn: Double
        /// The volatility.
        public let volatility: Double
        /// The sharpe ratio.
        @ExplicitNull public var sharpeRatio: Double?
        /// The weights.
        public let weights: [String: Double]
    }
    /// The exact.
    public let exact: Bool
    /// The risk free rate.
    public let riskFreeRate: Double
    /// The points.
    public let points: [Point]
    /// Set when the frontier is a single portfolio, saying why.
    @ExplicitNull public var degenerate: String?
    /// The engine version.
    public let engineVersion: String

    /// Creates the value.
    public init(_ f: EfficientFrontier, riskFreeRate rf: Double) {
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
