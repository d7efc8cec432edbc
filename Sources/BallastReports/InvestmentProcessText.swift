import BallastBacktest
import BallastMarketData
import BallastWorkflows
import Foundation

/// Text renderings of the investment process's results.
public enum InvestmentProcessText {
    static func pct(_ x: Double?, _ d: Int = 2) -> String { x.map { String(format: "%.\(d)f%%", $0 * 100) } ?? "n/a" }

    /// The assumptions per member.
    public static func assumptions(_ a: CapitalMarketAssumptions) -> String {
        var out = "\(a.name) \(a.version) (\(a.approval.status.rawValue))\n"
        out += "universe: \(a.universe); window \(a.window.start)..\(a.window.end), \(a.window.observations) monthly returns\n"
        out += "expected returns: \(a.method.expectedReturns)"
        if let d = a.method.riskAversion { out += String(format: ", delta %.3f", d) }
        if let t = a.method.tau { out += ", tau \(t)" }
        out += "; risk-free rate \(pct(a.method.riskFreeRate)) (\(a.method.riskFreeRateSource))\n"
        out += "covariance: \(a.method.covariance)" + (a.method.shrinkage.map { String(format: ", shrinkage %.3f", $0) } ?? "") + "\n\n"
        var t = TextTable(["member", "class", "expected", "equilibrium", "historical", "volatility"])
        for x in a.assets {
            t.add([x.symbol, x.assetClass, pct(x.expectedReturn), pct(x.equilibriumReturn), pct(x.historicalMean), pct(x.volatility)])
        }
        out += t.render()
        if let views = a.method.views, !views.isEmpty {
            out += "\nviews (Idzorek confidence):\n"
            for v in views {
                let what: String
                switch v.kind {
                case .absolute: what = "\(v.asset ?? "") returns \(pct(v.expectedReturn))"
                case .relative: what = "\(v.long ?? "") beats \(v.short ?? "") by \(pct(v.expectedReturn))"
                case .yield: what = "\(v.asset ?? "") earns its yield, \(pct(v.expectedReturn))"
                }
                out += "  \(what) at \(Int((v.confidence * 100).rounded()))%" + (v.rationale.map { ": \($0)" } ?? "") + "\n"
            }
        }
        out += "\ndigest \(a.digest)\n"
        return out
    }

    /// What changed.
    public static func diff(_ d: AssumptionsDiff) -> String {
        var out = "\(d.versions[0]) -> \(d.versions[1])\n\n"
        var t = TextTable(["member", "class", "expected before", "after", "change", "volatility before", "after"])
        for c in d.changes {
            let change =
                c.expectedReturn[0].flatMap { a in c.expectedReturn[1].map { b in String(format: "%+.2f pp", (b - a) * 100) } } ?? "n/a"
            t.add([
                c.symbol, c.assetClass, pct(c.expectedReturn[0]), pct(c.expectedReturn[1]), change, pct(c.volatility[0]),
                pct(c.volatility[1]),
            ])
        }
        out += t.render()
        out += d.methodChanges.isEmpty ? "\nmethod: unchanged\n" : "\nmethod:\n" + d.methodChanges.map { "  \($0)\n" }.joined()
        return out
    }

    /// The menu: one row per level, then the weights by product.
    public static func menu(_ m: ModelMenu) -> String {
        var out = "model menu from \(m.assumptionsVersion), policy \(m.policyVersion), \(m.method)\n\n"
        var t = TextTable(["level", "expected", "volatility", "cap", "equity", "bonds", "real assets", "cash", "turnover"])
        for p in m.portfolios {
            let c = p.assetClassWeights
            let equity = (c["us-equity"] ?? 0) + (c["world-equity"] ?? 0)
            let bonds = (c["government-bonds"] ?? 0) + (c["foreign-bonds"] ?? 0)
            let real = (c["real-estate"] ?? 0) + (c["gold"] ?? 0) + (c["commodities"] ?? 0)
            t.add([
                p.label, pct(p.expectedReturn), pct(p.volatility), pct(p.volatilityCap, 0), pct(equity, 1), pct(bonds, 1), pct(real, 1),
                pct(c["cash"] ?? 0, 1), pct(p.turnover, 1),
            ])
        }
        out += t.render() + "\n"
        let symbols = Array(Set(m.portfolios.flatMap { $0.weights.keys })).sorted()
        var w = TextTable(["product"] + m.portfolios.map(\.label))
        for s in symbols { w.add([s] + m.portfolios.map { $0.weights[s].map { pct($0, 1) } ?? "-" }) }
        out += w.render()
        for p in m.portfolios where !p.notes.isEmpty { out += "\n" + wrapped("\(p.label): " + p.notes.joined(separator: "; ")) + "\n" }
        return out
    }

    /// The validation table.
    public static func validation(_ r: ValidationReport) -> String {
        var out = "walk-forward \(r.start)..\(r.end), reviews every \(r.reviewMonths) months (\(r.reviews.count)), \(r.method),"
        out += " costs \(number(r.costBasisPoints, digits: 3)) bp\n\n"
        var t = TextTable([
            "level", "cap", "realised vol", "x cap", "return", "max drawdown", "model turnover/yr", "cost drag",
            "36m vol > cap", "largest weight",
        ])
        for l in r.levels {
            t.add([
                l.label, pct(l.volatilityCap, 0), pct(l.realisedVolatility), String(format: "%.2f", l.volatilityToCap), pct(l.annualReturn),
                pct(l.maximumDrawdown, 1), pct(l.annualModelTurnover, 1), pct(l.costDrag), pct(l.capBreachShare, 0),
                pct(l.largestProductWeight, 1),
            ])
        }
        return out + t.render()
    }

    /// The validation page: the table, the value of each level, and each level's trailing
    /// volatility against its cap (the report charts).
    public static func validationHTML(_ r: ValidationReport) -> String {
        let e = HTML.escape
        var h =
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>Model validation</title><style>\(HTML.style)</style></head><body>"
        h += "<h1>Model validation, \(r.start) to \(r.end)</h1>"
        h += "<p class=\"note\">\(e(r.universe)); assumptions: \(e(r.assumptions)); policy: \(e(r.policy)); \(e(r.method)); "
        h +=
            "re-built every \(r.reviewMonths) months from past data only, rebalanced monthly, \(number(r.costBasisPoints, digits: 3)) bp per trade and expense ratios.</p>"
        h += "<table><tr><th>level</th><th>cap</th><th>realised volatility</th><th>x cap</th><th>annual return</th><th>max drawdown</th>"
        h += "<th>model turnover / year</th><th>cost drag</th><th>36-month volatility above cap</th><th>largest weight</th></tr>"
        for l in r.levels {
            h += "<tr><td>\(l.label)</td><td>\(pct(l.volatilityCap, 0))</td><td>\(pct(l.realisedVolatility))</td>"
            h += "<td>\(String(format: "%.2f", l.volatilityToCap))</td><td>\(pct(l.annualReturn))</td><td>\(pct(l.maximumDrawdown, 1))</td>"
            h += "<td>\(pct(l.annualModelTurnover, 1))</td><td>\(pct(l.costDrag))</td><td>\(pct(l.capBreachShare, 0))</td>"
            h += "<td>\(pct(l.largestProductWeight, 1))</td></tr>"
        }
        h += "</table><h2>Net value (start 100, log scale)</h2>"
        if let dates = r.levels.first?.dates {
            let series = r.levels.enumerated().map { (k, l) in (l.label, l.values, Chart.palette[k]) }
            h += Chart.line(dates: dates, series: series, logScale: true) { String(format: "%.0f", $0) }
        }
        for (k, l) in r.levels.enumerated() where !l.rollingDates.isEmpty {
            h += "<h2>\(l.label): trailing 36-month volatility against the \(pct(l.volatilityCap, 0)) cap</h2>"
            let cap = [Double](repeating: l.volatilityCap, count: l.rollingDates.count)
            h += Chart.line(
                dates: l.rollingDates, series: [("realised", l.rollingVolatility, Chart.palette[k]), ("cap", cap, "#999")]
            ) { pct($0, 1) }
        }
        return h + "</body></html>\n"
    }
}
