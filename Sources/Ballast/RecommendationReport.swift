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
        let e = BacktestReport.escape
        var s = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Recommendation \(e(p.customerRef))</title>
            <style>\(BacktestReport.style)</style></head><body>
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
                    "<tr><td>\(t.side.rawValue)</td><td>\(e(t.symbol))</td><td>\(String(format: "%g", t.quantity))</td><td>\(String(format: "%.2f", t.price))</td><td>\(String(format: "%.2f", t.value))</td><td>\(String(format: "%.2f", t.cost))</td></tr>\n"
            }
            s += String(format: "</table><p>Cash %.2f before, %.2f after.</p>\n", r.plan.cashBefore, r.plan.cashAfter)
        }
        s += "<h2>Back-test: \(e(r.backtest.strategy))</h2>\n<p class=\"note\">Past performance does not predict future returns.</p>\n"
        s += BacktestReport.sections(r.backtest, logScale: false)
        return s + "</body></html>\n"
    }

    static func allocationChart(_ r: Recommendation, catalog: ProductCatalog) -> String {
        let target = r.portfolio.weights
        let symbols = Set(target.filter { $0.value > 1e-6 }.keys).union(r.plan.weightsBefore.filter { $0.value > 1e-6 }.keys).sorted {
            $0 == "CASH" ? false : $1 == "CASH" ? true : $0 < $1
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
            s += "<text x=\"\(left - 6)\" y=\"\(y + 13)\" text-anchor=\"end\">\(BacktestReport.escape(label))</text>"
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
                "<p class=\"note\">The frontier could not be computed under the level's constraints: \(BacktestReport.escape(error.description)).</p>\n"
        }
        guard frontier.points.count >= 2 else {
            return "<p class=\"note\">No frontier to draw: \(BacktestReport.escape(EfficientFrontier.singlePortfolioNote)).</p>\n"
        }
        let vols = frontier.points.map(\.volatility) + [r.portfolio.result.volatility]
        let rets = frontier.points.map(\.expectedReturn) + [r.portfolio.result.expectedReturn]
        let (v0, v1) = (0.0, max(vols.max()!, r.portfolio.level.volatilityCap) * 1.1)
        let (r0, r1) = (min(rets.min()!, 0), rets.max()! * 1.1 + 1e-9)
        let (w, h, left, bottom) = (900.0, 340.0, 70.0, 46.0)
        let x: (Double) -> Double = { left + (w - left - 20) * ($0 - v0) / (v1 - v0) }
        let y: (Double) -> Double = { 10 + (h - bottom - 10) * (1 - ($0 - r0) / (r1 - r0)) }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        var s =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" font-family=\"Helvetica,Arial,sans-serif\" font-size=\"11\">"
        for t in 0...4 {
            let vv = v0 + (v1 - v0) * Double(t) / 4
            let rr = r0 + (r1 - r0) * Double(t) / 4
            s += "<text x=\"\(f(x(vv)))\" y=\"\(f(h - bottom + 16))\" text-anchor=\"middle\">\(String(format: "%.0f%%", vv * 100))</text>"
            s += "<text x=\"\(f(left - 6))\" y=\"\(f(y(rr) + 4))\" text-anchor=\"end\">\(String(format: "%.1f%%", rr * 100))</text>"
            s += "<line x1=\"\(f(left))\" y1=\"\(f(y(rr)))\" x2=\"\(f(w - 20))\" y2=\"\(f(y(rr)))\" stroke=\"#eee\"/>"
        }
        let cap = r.portfolio.level.volatilityCap
        s += "<line x1=\"\(f(x(cap)))\" y1=\"10\" x2=\"\(f(x(cap)))\" y2=\"\(f(h - bottom))\" stroke=\"#d62728\" stroke-dasharray=\"4 3\"/>"
        s += "<text x=\"\(f(x(cap) + 4))\" y=\"22\" fill=\"#d62728\">volatility cap \(String(format: "%.0f%%", cap * 100))</text>"
        let points = frontier.points.map { "\(f(x($0.volatility))),\(f(y($0.expectedReturn)))" }.joined(separator: " ")
        s += "<polyline points=\"\(points)\" fill=\"none\" stroke=\"#1f5fa8\" stroke-width=\"2\"/>"
        let (cx, cy) = (x(r.portfolio.result.volatility), y(r.portfolio.result.expectedReturn))
        s += "<circle cx=\"\(f(cx))\" cy=\"\(f(cy))\" r=\"6\" fill=\"#ff7f0e\" stroke=\"#222\"/>"
        s += "<text x=\"\(f(cx + 9))\" y=\"\(f(cy - 8))\">\(BacktestReport.escape(r.portfolio.level.label)) model</text>"
        s +=
            "<text x=\"\(f(w / 2))\" y=\"\(f(h - 6))\" text-anchor=\"middle\" fill=\"#666\">annual volatility; vertical: expected annual return</text>"
        return s + "</svg>\n"
    }
}
