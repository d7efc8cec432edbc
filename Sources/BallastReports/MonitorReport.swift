import BallastMarketData
import BallastWorkflows
import Foundation

// MARK: - Text

/// The monitor's screen: figures, groups, products, histogram, exceptions, problems, alerts.
public enum MonitorScreen {
    static func pct(_ x: Double?, _ digits: Int = 1) -> String { x.map { percent($0, digits: digits) } ?? "n/a" }
    static func money(_ x: Double) -> String { String(format: "%.2f", x) }

    /// Rows shown of each list on the screen (JSON and the page have the whole list).
    public static let shownRows = 20

    /// The screen as text (fits 100 columns).
    public static func text(_ report: MonitorReport) -> String {
        let r = report.result
        var s = "Book monitor: \(report.book), as of \(r.asOf)\n"
        s += "\(r.lines) lines: \(r.accounts) accounts measured, value \(money(r.value)); \(r.problems) problems\n\n"
        let q = r.drift.quantiles
        s +=
            "Drift: mean \(pct(r.drift.mean, 2)), median \(pct(q["p50"], 2)), p75 \(pct(q["p75"], 2)), p90 \(pct(q["p90"], 2)), "
            + "p95 \(pct(q["p95"], 2)), p99 \(pct(q["p99"], 2)), max \(pct(r.drift.max, 2))\n"
        s += "Out of band: \(r.outOfBand) of \(r.accounts) accounts (\(pct(r.outOfBandShare))); policy \(r.trigger)\n"
        s +=
            "Suitability exceptions: \(r.suitabilityExceptions) of \(r.accounts) accounts hold products above their level"
            + (r.withoutLevel > 0 ? "; \(r.withoutLevel) accounts have no level (not checked)" : "") + "\n"
        func groups(_ title: String, _ list: [MonitorGroup]) -> String {
            var t = TextTable([title, "accounts", "value", "out of band", "share", "mean", "median", "p90", "max", "exceptions"])
            for g in list {
                t.add([
                    g.name, String(g.accounts), money(g.value), String(g.outOfBand), pct(g.outOfBandShare), pct(g.meanDrift, 2),
                    pct(g.medianDrift, 2), pct(g.p90Drift, 2), pct(g.maxDrift, 2), String(g.suitabilityExceptions),
                ])
            }
            return t.render()
        }
        s += "\nBy level (drift)\n" + groups("level", r.byLevel)
        if r.byModel.map(\.name) != r.byLevel.map(\.name) { s += "\nBy model (drift)\n" + groups("model", r.byModel) }
        if r.trackingError != nil {
            var t = TextTable(["level", "accounts", "tracking error", "return dispersion"])
            for g in r.byLevel { t.add([g.name, String(g.accounts), pct(g.trackingError, 2), pct(g.returnDispersion, 2)]) }
            t.add(["book", String(r.accounts), pct(r.trackingError, 2), pct(r.returnDispersion, 2)])
            s += "\nTracking error against the models and dispersion of returns, over the last year\n" + t.render()
        }
        var p = TextTable(["product", "rating", "accounts", "holders", "outside band", "share", "mean |w - w*|", "above level"])
        for x in r.byProduct {
            p.add([
                x.symbol, x.rating ?? "-", String(x.accounts), String(x.holders), String(x.outsideBand), pct(x.outsideBandShare),
                pct(x.meanAbsoluteDeviation, 2), String(x.aboveLevel),
            ])
        }
        s += "\nBy product\n" + p.render()
        s += "\nDrift histogram (accounts)\n"
        let most = max(r.drift.histogram.map(\.count).max() ?? 1, 1)
        for b in r.drift.histogram {
            let label =
                b.upper.map { String(format: "%2.0f-%2.0f%%", b.lower * 100, $0 * 100) } ?? String(format: "%2.0f%%+  ", b.lower * 100)
            let bar = String(repeating: "#", count: Int((Double(b.count) / Double(most) * 60).rounded(.up)))
            s += "\(label)  \(bar) \(b.count)\n"
        }
        if !r.suitabilityList.isEmpty {
            s += "\nSuitability exceptions (\(r.suitabilityExceptions))\n"
            var t = TextTable(["line", "account", "level", "limit", "products above it"])
            for e in r.suitabilityList.prefix(shownRows) {
                t.add([String(e.line), e.accountId, e.level, e.limit, Self.shortList(e.products, width: 40)])
            }
            s += t.render() + more(r.suitabilityExceptions, shown: min(shownRows, r.suitabilityList.count))
        }
        if let c = r.customers {
            s += "\nCustomers: \(c.profiled) profiled; accounts without a customer file: \(c.withoutFile)"
            s += c.undated > 0 ? ", \(c.undated) without profiledOn\n" : "\n"
            s +=
                "Re-assessments: \(c.reassessmentsOverdue) overdue, \(c.reassessmentsDue) due within \(c.horizonDays) days; "
                + "accounts on a model above the customer's level: \(c.levelAboveProfile)\n"
            if !c.flags.isEmpty {
                s += "Profile flags: " + c.flags.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + "\n"
            }
            if !c.reassessments.isEmpty {
                var t = TextTable(["line", "account", "customer", "level", "re-assess by", "status"])
                for x in c.reassessments.prefix(shownRows) {
                    t.add([String(x.line), x.accountId, x.customerRef, x.level, x.reassessBy.description, x.status])
                }
                s += t.render() + more(c.reassessmentsDue + c.reassessmentsOverdue, shown: min(shownRows, c.reassessments.count))
            }
        }
        if r.problems > 0 {
            s +=
                "\nLines not measured: \(r.problems) ("
                + r.problemsByKind.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")\n"
            for x in r.problemList.prefix(shownRows) {
                s +=
                    "  "
                    + wrapped(
                        "line \(x.line)" + (x.accountId.map { " (\($0))" } ?? "") + ", \(x.kind.rawValue): \(x.message)", width: 98,
                        indent: 4)
                    + "\n"
            }
            s += more(r.problems, shown: min(shownRows, r.problemList.count))
        }
        if !report.alerts.isEmpty {
            s += "\nAlerts: \(report.fired.count) of \(report.alerts.count) fired\n"
            for a in report.alerts {
                s += "  " + wrapped((a.fired ? "FIRED " : "ok    ") + "\(a.name): \(a.evidence)", width: 98, indent: 8) + "\n"
            }
        }
        if !report.performance.isEmpty {
            let name = report.performance.first?.benchmark ?? "benchmark"
            s += "\nModels against \(name) (back-tests ending \(r.asOf))\n"
            var t = TextTable([
                "model", "years", "return", "volatility", "max dd", "turnover", "cost drag", "bench return", "bench vol", "bench dd",
            ])
            for p in report.performance {
                t.add([
                    p.model, String(p.years), pct(p.totalReturn), pct(p.volatility), pct(p.maxDrawdown), pct(p.turnover),
                    pct(p.costDrag, 2), pct(p.benchmarkTotalReturn), pct(p.benchmarkVolatility), pct(p.benchmarkMaxDrawdown),
                ])
            }
            s += t.render() + "Past performance does not predict future returns.\n"
        }
        if let c = report.comparison {
            s += "\nSince the run of \(c.previousTime.prefix(19)) (audit record \(c.previousRecordId), as of \(c.previousAsOf))\n"
            var t = TextTable(["scope", "figure", "then", "now", "change"])
            for x in c.changes where x.previous != x.current {
                let metric = MonitorMetric(rawValue: x.metric)
                func show(_ v: Double?) -> String {
                    guard let v else { return "n/a" }
                    return metric?.isFraction == true ? percent(v, digits: 2) : String(format: "%.0f", v)
                }
                let change: String
                if let a = x.previous, let b = x.current {
                    change =
                        metric?.isFraction == true
                        ? String(format: "%+.2f pt", (b - a) * 100) : String(format: "%+.0f", b - a)
                } else {
                    change = "n/a"
                }
                t.add([x.scope, x.metric, show(x.previous), show(x.current), change])
            }
            s += t.rows.isEmpty ? "no figure changed\n" : t.render()
        }
        if let h = report.health {
            s += "\nAlgorithm health\n"
            if let last = h.halts.last {
                s +=
                    wrapped(
                        "\(h.halts.count) batch run\(h.halts.count == 1 ? "" : "s") halted by a circuit breaker in the last \(h.lookbackDays) days; "
                            + "the latest (audit record \(last.recordId), \(last.time.prefix(19))): \(last.what)") + "\n"
            } else {
                s += "no batch run halted by a circuit breaker in the last \(h.lookbackDays) days\n"
            }
            s += h.dataWarnings.isEmpty ? "no stale or implausible data\n" : h.dataWarnings.map { wrapped("data: \($0)") + "\n" }.joined()
            s += h.modelNotes.map { wrapped("model build: \($0)") + "\n" }.joined()
        }
        if report.history.count >= 2, let first = report.history.first, let last = report.history.last {
            func move(_ metric: String) -> String {
                "\(pct(first.figures[metric], 2)) -> \(pct(last.figures[metric], 2))"
            }
            s += "\nTrend over \(report.history.count) runs since \(first.time.prefix(10)): out of band \(move("outOfBandShare")), "
            s += "mean drift \(move("meanDrift"))\n"
        }
        return s
    }

    /// The items joined by commas, as many as fit in `width` characters, then `+N more`.
    static func shortList(_ items: [String], width: Int) -> String {
        var out = ""
        for (k, item) in items.enumerated() {
            let next = out.isEmpty ? item : out + ", " + item
            if next.count > width && !out.isEmpty { return out + ", +\(items.count - k) more" }
            out = next
        }
        return out
    }

    static func more(_ total: Int, shown: Int) -> String {
        total > shown ? "  ... and \(total - shown) more (all in --format json, up to the list limit)\n" : ""
    }
}

// MARK: - HTML

/// The monitor's dashboard: one self-contained HTML page (inline SVG, no scripts).
public enum MonitorDashboard {
    /// The page as a string (UTF-8 HTML5).
    public static func html(_ report: MonitorReport) -> String {
        let r = report.result
        let e = HTML.escape
        func pct(_ x: Double?, _ d: Int = 1) -> String { MonitorScreen.pct(x, d) }
        var s = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Book monitor \(e(report.book)), \(r.asOf)</title>
            <style>\(HTML.style).fired{background:#f6d5d5}.ok{background:#d8f0dc}.cards td{font-size:15px}td.l,th.l{text-align:left}</style></head><body>
            <h1>Book monitor: \(e(report.book)), as of \(r.asOf)</h1>
            <p class="note">Out of band means a rebalance is due under the policy: \(e(r.trigger)). Drift is ½Σ|w - w*| over the
            products and cash. Engine \(e(report.engineVersion)); book SHA-256 \(e(String(r.inputDigest.prefix(16))))…</p>

            """
        if !report.alerts.isEmpty {
            s +=
                "<h2>Alerts: \(report.fired.count) of \(report.alerts.count) fired</h2>\n<table><tr><th>alert</th><th class=\"l\">evidence</th></tr>\n"
            for a in report.alerts {
                s +=
                    "<tr class=\"\(a.fired ? "fired" : "ok")\"><td>\(a.fired ? "FIRED" : "ok"): \(e(a.name))</td><td class=\"l\">\(e(a.evidence))</td></tr>\n"
            }
            s += "</table>\n"
        }
        let q = r.drift.quantiles
        s += "<h2>The book</h2>\n<table class=\"cards\">\n"
        for (k, v) in [
            ("lines read", String(r.lines)), ("accounts measured", String(r.accounts)), ("value", MonitorScreen.money(r.value)),
            ("out of band", "\(r.outOfBand) (\(pct(r.outOfBandShare)))"),
            (
                "drift: mean / median / p90 / max",
                "\(pct(r.drift.mean, 2)) / \(pct(q["p50"], 2)) / \(pct(q["p90"], 2)) / \(pct(r.drift.max, 2))"
            ),
            ("suitability exceptions", String(r.suitabilityExceptions)), ("lines not measured", String(r.problems)),
        ] {
            s += "<tr><td>\(e(k))</td><td>\(e(v))</td></tr>\n"
        }
        s += "</table>\n"
        s += "<h2>Drift across accounts</h2>\n"
        let labels = r.drift.histogram.map { b in
            b.upper == nil ? String(format: "%.0f%%+", b.lower * 100) : String(format: "%.0f%%", b.lower * 100)
        }
        s += Chart.bars(
            labels: labels, values: r.drift.histogram.map { Double($0.count) }, format: { String(format: "%.0f", $0) }, counts: true)
        s += "<p class=\"note\">Accounts by drift, in bins of one percentage point (the label is the bin's lower edge).</p>\n"
        s += "<h2>Out of band by level</h2>\n"
        s += Chart.bars(
            labels: r.byLevel.map(\.name), values: r.byLevel.map { $0.outOfBandShare ?? 0 },
            colours: r.byLevel.indices.map { Chart.palette[$0 % Chart.palette.count] }, format: { percent($0, digits: 1) }, height: 200)
        func groupTable(_ title: String, _ list: [MonitorGroup]) -> String {
            var t =
                "<table><tr><th>\(title)</th><th>accounts</th><th>value</th><th>out of band</th><th>share</th><th>mean drift</th><th>median</th><th>p90</th><th>max</th><th>exceptions</th><th>tracking error</th><th>return dispersion</th></tr>\n"
            for g in list {
                t +=
                    "<tr><td>\(e(g.name))</td><td>\(g.accounts)</td><td>\(MonitorScreen.money(g.value))</td><td>\(g.outOfBand)</td><td>\(pct(g.outOfBandShare))</td>"
                    + "<td>\(pct(g.meanDrift, 2))</td><td>\(pct(g.medianDrift, 2))</td><td>\(pct(g.p90Drift, 2))</td><td>\(pct(g.maxDrift, 2))</td><td>\(g.suitabilityExceptions)</td>"
                    + "<td>\(pct(g.trackingError, 2))</td><td>\(pct(g.returnDispersion, 2))</td></tr>\n"
            }
            return t + "</table>\n"
        }
        s += groupTable("level", r.byLevel)
        if r.byModel.map(\.name) != r.byLevel.map(\.name) { s += "<h2>By model</h2>\n" + groupTable("model", r.byModel) }
        s += "<h2>By product</h2>\n"
        s += Chart.bars(
            labels: r.byProduct.map(\.symbol), values: r.byProduct.map { $0.outsideBandShare ?? 0 }, colours: ["#ff7f0e"],
            format: { percent($0, digits: 0) }, height: 200)
        s += "<p class=\"note\">Share of the accounts holding or targeting each product in which it is outside its band.</p>\n"
        s +=
            "<table><tr><th>product</th><th>rating</th><th>accounts</th><th>holders</th><th>outside band</th><th>share</th><th>mean |w - w*|</th><th>above level</th></tr>\n"
        for x in r.byProduct {
            s +=
                "<tr><td>\(e(x.symbol))</td><td>\(e(x.rating ?? "-"))</td><td>\(x.accounts)</td><td>\(x.holders)</td><td>\(x.outsideBand)</td>"
                + "<td>\(pct(x.outsideBandShare))</td><td>\(pct(x.meanAbsoluteDeviation, 2))</td><td>\(x.aboveLevel)</td></tr>\n"
        }
        s += "</table>\n"
        s += "<h2>Suitability exceptions: \(r.suitabilityExceptions)</h2>\n"
        if !r.suitabilityList.isEmpty {
            s +=
                "<table><tr><th>line</th><th class=\"l\">account</th><th>level</th><th>limit</th><th class=\"l\">products above it</th></tr>\n"
            for x in r.suitabilityList.prefix(50) {
                s +=
                    "<tr><td>\(x.line)</td><td class=\"l\">\(e(x.accountId))</td><td>\(e(x.level))</td><td>\(e(x.limit))</td><td class=\"l\">\(e(x.products.joined(separator: ", ")))</td></tr>\n"
            }
            s += "</table>\n"
            if r.suitabilityExceptions > min(50, r.suitabilityList.count) {
                s +=
                    "<p class=\"note\">\(r.suitabilityExceptions - min(50, r.suitabilityList.count)) more: the JSON output lists them (up to the list limit).</p>\n"
            }
        } else {
            s += "<p>No account holds a product above its level.</p>\n"
        }
        if let c = r.customers {
            s +=
                "<h2>Customers</h2>\n<p>\(c.profiled) profiled, \(c.withoutFile) accounts without a customer file; re-assessments \(c.reassessmentsOverdue) overdue, \(c.reassessmentsDue) due within \(c.horizonDays) days; \(c.levelAboveProfile) accounts on a model above the customer's level.</p>\n"
            if !c.flags.isEmpty {
                s +=
                    "<p>Profile flags: " + e(c.flags.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
                    + "</p>\n"
            }
            if !c.reassessments.isEmpty {
                s += "<table><tr><th>line</th><th>account</th><th>customer</th><th>level</th><th>re-assess by</th><th>status</th></tr>\n"
                for x in c.reassessments.prefix(200) {
                    s +=
                        "<tr class=\"\(x.status == "overdue" ? "fired" : "")\"><td>\(x.line)</td><td>\(e(x.accountId))</td><td>\(e(x.customerRef))</td><td>\(e(x.level))</td><td>\(x.reassessBy)</td><td>\(e(x.status))</td></tr>\n"
                }
                s += "</table>\n"
            }
        }
        if r.problems > 0 {
            s +=
                "<h2>Lines not measured: \(r.problems)</h2>\n<table><tr><th>line</th><th class=\"l\">account</th><th class=\"l\">kind</th><th class=\"l\">problem</th></tr>\n"
            for x in r.problemList.prefix(200) {
                s +=
                    "<tr><td>\(x.line)</td><td class=\"l\">\(e(x.accountId ?? ""))</td><td class=\"l\">\(e(x.kind.rawValue))</td><td class=\"l\">\(e(x.message))</td></tr>\n"
            }
            s += "</table>\n"
        }
        if !report.performance.isEmpty {
            s += "<h2>Models against \(e(report.performance.first?.benchmark ?? "the benchmark"))</h2>\n"
            s +=
                "<table><tr><th>model</th><th>years</th><th>from</th><th>return</th><th>volatility</th><th>max drawdown</th><th>turnover</th><th>cost drag</th><th>benchmark return</th><th>benchmark volatility</th><th>benchmark max drawdown</th></tr>\n"
            for p in report.performance {
                s +=
                    "<tr><td>\(e(p.model))</td><td>\(p.years)</td><td>\(p.start)</td><td>\(pct(p.totalReturn))</td><td>\(pct(p.volatility))</td><td>\(pct(p.maxDrawdown))</td>"
                    + "<td>\(pct(p.turnover))</td><td>\(pct(p.costDrag, 2))</td><td>\(pct(p.benchmarkTotalReturn))</td><td>\(pct(p.benchmarkVolatility))</td><td>\(pct(p.benchmarkMaxDrawdown))</td></tr>\n"
            }
            s +=
                "</table>\n<p class=\"note\">Back-tests of each level's model ending on the monitor's date. Past performance does not predict future returns.</p>\n"
        }
        if let c = report.comparison {
            s +=
                "<h2>Since the run of \(e(String(c.previousTime.prefix(19))))</h2>\n<p class=\"note\">Audit record \(c.previousRecordId), as of \(c.previousAsOf).</p>\n"
            s += "<table><tr><th>scope</th><th>figure</th><th>then</th><th>now</th></tr>\n"
            for x in c.changes where x.previous != x.current {
                let fraction = MonitorMetric(rawValue: x.metric)?.isFraction == true
                func show(_ v: Double?) -> String { v.map { fraction ? percent($0, digits: 2) : String(format: "%.0f", $0) } ?? "n/a" }
                s += "<tr><td>\(e(x.scope))</td><td>\(e(x.metric))</td><td>\(show(x.previous))</td><td>\(show(x.current))</td></tr>\n"
            }
            s += "</table>\n"
        }
        if report.history.count >= 2 {
            s += "<h2>Trend over \(report.history.count) runs</h2>\n"
            let dates = report.history.map { MarketDate(iso: String($0.time.prefix(10))) ?? $0.asOf }
            let series = [
                ("outOfBandShare", "out of band (share of accounts)"), ("meanDrift", "mean drift"), ("p90Drift", "drift, 90th percentile"),
            ]
            .enumerated().map { k, m in (m.1, report.history.map { $0.figures[m.0] ?? .nan }, Chart.palette[k]) }
            s += Chart.line(dates: dates, series: series) { percent($0, digits: 1) }
            s += "<table><tr><th>run</th><th>recorded</th><th>as of</th><th>out of band</th><th>mean drift</th><th>p90 drift</th></tr>\n"
            for p in report.history {
                s +=
                    "<tr><td>\(p.recordId.map(String.init) ?? "this run")</td><td>\(e(String(p.time.prefix(19))))</td><td>\(p.asOf)</td>"
                    + "<td>\(pct(p.figures["outOfBandShare"]))</td><td>\(pct(p.figures["meanDrift"], 2))</td><td>\(pct(p.figures["p90Drift"], 2))</td></tr>\n"
            }
            s += "</table>\n"
        }
        if let h = report.health {
            s += "<h2>Algorithm health</h2>\n<table><tr><th class=\"l\">check</th><th class=\"l\">finding</th></tr>\n"
            s +=
                "<tr class=\"\(h.halts.isEmpty ? "ok" : "fired")\"><td class=\"l\">batch runs halted by a circuit breaker, last \(h.lookbackDays) days</td><td class=\"l\">\(h.halts.count)</td></tr>\n"
            for x in h.halts.suffix(10) {
                s +=
                    "<tr><td class=\"l\">record \(x.recordId), \(e(String(x.time.prefix(19))))</td><td class=\"l\">\(e(x.what))</td></tr>\n"
            }
            s +=
                "<tr class=\"\(h.dataWarnings.isEmpty ? "ok" : "fired")\"><td class=\"l\">stale or implausible data</td><td class=\"l\">\(h.dataWarnings.isEmpty ? "none" : h.dataWarnings.map(e).joined(separator: "<br>"))</td></tr>\n"
            s +=
                "<tr class=\"\(h.modelNotes.isEmpty ? "ok" : "fired")\"><td class=\"l\">model build: limits relaxed, fallbacks</td><td class=\"l\">\(h.modelNotes.isEmpty ? "none" : h.modelNotes.map(e).joined(separator: "<br>"))</td></tr>\n"
            s += "</table>\n"
        }
        return s + "</body></html>\n"
    }
}
