import BallastBacktest
import BallastMarketData
import BallastOptimization
import BallastProfiling
import BallastRebalancing
import BallastWorkflows
import Foundation

/// A self-contained HTML page for a recommendation: the level and why, the allocation (current
/// against target, as bars), the efficient frontier under the level's constraints with the
/// chosen portfolio marked, the trades, and the back-test's charts and tables.
public enum RecommendationReport {
    /// The page as a string (UTF-8 HTML5).
    ///
    /// - Parameters:
    ///   - r: the recommendation.
    ///   - catalog: the products' names, classes and ratings.
    public static func html(_ r: Recommendation, catalog: ProductCatalog) -> String {
        let p = r.profile
        let e = HTML.escape
        var s = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Recommendation \(e(p.customerRef))</title>
            <style>\(HTML.style)</style></head><body>
            <h1>Recommendation for \(e(p.customerRef)), as of \(p.asOf)</h1>
            <p><b>Risk level \(e(p.label)) \(e(p.parameters.name.text("en")))</b>, decided by \(e(p.decidedBy)): willingness \(Int(p.willingness.rounded()))/100, capacity \(Int(p.capacity.rounded()))/100.</p>
            <ul>
            """
        for step in p.explanation { s += "<li>\(e(step.rule)): \(e(step.effect))</li>" }
        s += "</ul>\n"
        if let g = r.glidePath {
            s += String(
                format: "<p><b>Glide path</b>: goal %@, %.1f years away: the model is %@ (profile %@)%@.</p>\n", g.goalDate.description,
                g.yearsToGoal, e(g.modelLevel), e(g.profileLevel),
                g.nextStep.map { String(format: "; at %g years it falls to C%d", $0.yearsToGoal, $0.maximumLevel) } ?? "")
        }
        if let v = r.assumptionsVersion, let review = r.menuReviewDate {
            s += "<p>Model menu of the review of \(review), on capital-market assumptions \(e(v)).</p>\n"
        }
        if !r.warnings.isEmpty {
            s += "<h2>Warnings</h2><ul>" + r.warnings.map { "<li>\(e($0))</li>" }.joined() + "</ul>\n"
        }
        s += "<h2>Allocation</h2>\n" + allocationChart(r, catalog: catalog)
        s += String(
            format: "<p>%@ model: expected return %.1f%%, volatility %.1f%% (level cap %.0f%%).</p>\n", e(r.portfolio.level.label),
            r.portfolio.result.expectedReturn * 100,
            r.portfolio.result.volatility * 100, r.portfolio.level.volatilityCap * 100)
        s += "<h2>Efficient frontier under the level's constraints</h2>\n" + frontierChart(r, catalog: catalog)
        if !r.plan.trades.isEmpty {
            s += "<h2>Trades</h2><table><tr><th>side</th><th>product</th><th>quantity</th><th>price</th><th>value</th><th>cost</th></tr>\n"
            for t in r.plan.trades {
                s +=
                    "<tr><td>\(t.side.rawValue)</td><td>\(e(t.symbol))</td><td>\(String(format: "%g", t.quantity))</td><td>\(String(format: "%.2f", t.price))</td><td>\(t.value)</td><td>\(t.cost)</td></tr>\n"
            }
            s += "</table><p>Cash \(r.plan.cashBefore) before, \(r.plan.cashAfter) after.</p>\n"
        }
        s += "<h2>Back-test: \(e(r.backtest.strategy))</h2>\n<p class=\"note\">Past performance does not predict future returns.</p>\n"
        s += BacktestReport.sections(r.backtest, logScale: false)
        return s + "</body></html>\n"
    }

    static func allocationChart(_ r: Recommendation, catalog: ProductCatalog) -> String {
        let target = r.portfolio.weights
        let symbols = Set(target.filter { $0.value > 1e-6 }.keys).union(r.plan.weightsBefore.filter { $0.value > 1e-6 }.keys).sorted {
            $0 == RebalancePlanner.defaultCashSymbol ? false : $1 == RebalancePlanner.defaultCashSymbol ? true : $0 < $1
        }
        let row = 24.0
        let width = 900.0
        let left = 230.0
        let height = Double(symbols.count) * row + 40
        let scale = (width - left - 120) / max(symbols.map { max(r.plan.weightsBefore[$0] ?? 0, target[$0] ?? 0) }.max() ?? 1, 0.01)
        var s =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"Helvetica,Arial,sans-serif\" font-size=\"11\">"
        s += "<rect x=\"\(left)\" y=\"6\" width=\"10\" height=\"8\" fill=\"#bbbbbb\"/><text x=\"\(left + 14)\" y=\"14\">current</text>"
        s += "<rect x=\"\(left + 80)\" y=\"6\" width=\"10\" height=\"8\" fill=\"#1f5fa8\"/><text x=\"\(left + 94)\" y=\"14\">target</text>"
        for (k, sym) in symbols.enumerated() {
            let y = 26 + Double(k) * row
            let label = sym + (catalog.product(sym).map { " (\($0.assetClass), \($0.riskRating))" } ?? "")
            s += "<text x=\"\(left - 6)\" y=\"\(y + 13)\" text-anchor=\"end\">\(HTML.escape(label))</text>"
            let now = r.plan.weightsBefore[sym] ?? 0
            let goal = target[sym] ?? 0
            s += "<rect x=\"\(left)\" y=\"\(y + 2)\" width=\"\(String(format: "%.1f", now * scale))\" height=\"8\" fill=\"#bbbbbb\"/>"
            s += "<rect x=\"\(left)\" y=\"\(y + 11)\" width=\"\(String(format: "%.1f", goal * scale))\" height=\"8\" fill=\"#1f5fa8\"/>"
            s +=
                "<text x=\"\(String(format: "%.1f", left + max(now, goal) * scale + 6))\" y=\"\(y + 14)\">\(String(format: "%.1f%% / %.1f%%", now * 100, goal * 100))</text>"
        }
        return s + "</svg>\n"
    }

    static func frontierChart(_ r: Recommendation, catalog: ProductCatalog) -> String {
        let problem = MeanVarianceProblem(distribution: r.distribution, objective: .minimumVolatility, constraints: r.constraints)
        let frontier: EfficientFrontier
        do { frontier = try problem.sampledFrontier(points: 30) } catch {
            return
                "<p class=\"note\">The frontier could not be computed under the level's constraints: \(HTML.escape(error.description)).</p>\n"
        }
        guard frontier.points.count >= 2 else {
            return "<p class=\"note\">No frontier to draw: \(HTML.escape(EfficientFrontier.singlePortfolioNote)).</p>\n"
        }
        let model = Chart.Point(volatility: r.portfolio.result.volatility, expectedReturn: r.portfolio.result.expectedReturn)
        return Chart.frontier(
            curve: frontier.points.map { Chart.Point(volatility: $0.volatility, expectedReturn: $0.expectedReturn) },
            marks: [Chart.Mark("\(r.portfolio.level.label) model", at: model, colour: "#ff7f0e")],
            volatilityCap: r.portfolio.level.volatilityCap, title: nil, width: 900, height: 380)
    }
}
