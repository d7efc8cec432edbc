import BallastMarketData
import Foundation

/// A self-contained HTML page (inline SVG charts, no scripts, no external files) describing a
/// back-test: equity curve against the benchmark, drawdown, weights over time, rolling one-year
/// volatility and Sharpe ratio, monthly returns coloured by sign, the metrics, and the trades
/// and costs.
public enum BacktestReport {
    /// The page.
    ///
    /// - Parameters:
    ///   - r: the back-test.
    ///   - logScale: draw the equity curve on a logarithmic axis.
    ///   - title: the heading (default: the strategy's name).
    public static func html(_ r: BacktestResult, logScale: Bool = false, title: String? = nil) -> String {
        let heading = title ?? "Back-test: \(r.strategy)"
        var s = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(escape(heading))</title>
            <style>\(style)</style></head><body>
            <h1>\(escape(heading))</h1>
            <p>\(r.dates.first.map { "\($0)" } ?? "") to \(r.dates.last.map { "\($0)" } ?? ""), rebalancing: \(escape(r.schedule)), \(r.events.count) decisions, \(r.trades.count) trades.</p>

            """
        s += sections(r, logScale: logScale)
        return s + "</body></html>\n"
    }

    /// The report's sections (metrics, charts, tables) as an HTML fragment, to place in
    /// another page; ``style`` holds the CSS they use.
    ///
    /// - Parameters:
    ///   - r: the back-test.
    ///   - logScale: draw the equity curve on a logarithmic axis.
    public static func sections(_ r: BacktestResult, logScale: Bool = false) -> String {
        var s = ""
        s += "<h2>Metrics</h2>\n" + metricsTable(r)
        var series = [(r.strategy, r.values, "#1f5fa8")]
        if let b = r.benchmark { series.append((b.name, b.values, "#999999")) }
        s +=
            "<h2>Value\(logScale ? " (log scale)" : "")</h2>\n"
            + lineChart(dates: r.dates, series: series, logScale: logScale, format: money)
        s +=
            "<h2>Drawdown</h2>\n"
            + lineChart(dates: r.dates, series: [("drawdown", drawdown(r.values, flows: r.flows), "#b22222")], fill: true, format: percent)
        s += "<h2>Weights</h2>\n" + stackedWeights(r)
        let floor = 0.005 / Swift.max(r.values.filter { $0 > 0 }.min() ?? 1, 1e-300)
        let (vol, sharpe) = rolling(r.returns, window: Int(r.conventions.periodsPerYear), floor: floor)
        let rollingDates = Array(r.dates.dropFirst())
        if !vol.isEmpty {
            s +=
                "<h2>Rolling one-year volatility</h2>\n"
                + lineChart(dates: Array(rollingDates.suffix(vol.count)), series: [("volatility", vol, "#6a3d9a")], format: percent)
            s += "<h2>Rolling one-year Sharpe ratio</h2>\n"
            s +=
                sharpe.contains(where: \.isFinite)
                ? lineChart(
                    dates: Array(rollingDates.suffix(sharpe.count)), series: [("Sharpe", sharpe, "#33a02c")],
                    format: { String(format: "%.1f", $0) })
                : "<p class=\"note\">Undefined over every one-year window: the returns have no dispersion beyond the rounding of money to the cent (a riskless portfolio has no Sharpe ratio).</p>\n"
        }
        s += "<h2>Monthly returns</h2>\n" + monthlyTable(r.metrics)
        s += "<h2>Trades and costs</h2>\n" + tradesSummary(r)
        s +=
            "<p class=\"note\">Conventions: \(escape(r.conventions.source)); \(escape(r.conventions.returns)); Sharpe \(escape(r.conventions.sharpeRatio)); risk-free \(escape(r.conventions.riskFreeRate)); VaR \(escape(r.conventions.valueAtRisk)).</p>\n"
        return s
    }

    /// The CSS of the report's tables.
    public static let style =
        "body{font-family:Helvetica,Arial,sans-serif;margin:24px;color:#222;max-width:1000px}h1{font-size:22px}h2{font-size:17px;margin-top:28px}"
        + "table{border-collapse:collapse;font-size:13px}td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}"
        + "th:first-child,td:first-child{text-align:left}.pos{background:#d8f0dc}.neg{background:#f6d5d5}.note{color:#666;font-size:12px}"

    /// `t` with `&`, `<`, `>` and `"` escaped for HTML.
    public static func escape(_ t: String) -> String {
        t.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(
            of: ">", with: "&gt;"
        )
        .replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func percent(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }
    static func money(_ x: Double) -> String {
        x >= 1e6 ? String(format: "%.1fM", x / 1e6) : x >= 1e3 ? String(format: "%.0fk", x / 1e3) : String(format: "%.0f", x)
    }

    static func drawdown(_ v: [Double], flows: [Double]) -> [Double] {
        // On the time-weighted wealth path, so that contributions are not counted as gains.
        var wealth = 1.0
        var peak = 1.0
        var out: [Double] = [0]
        for k in 1..<max(v.count, 1) {
            wealth *= v[k - 1] > 0 ? (v[k] - flows[k]) / v[k - 1] : 1
            peak = max(peak, wealth)
            out.append(wealth / peak - 1)
        }
        return Array(out.prefix(v.count))
    }

    /// Rolling volatility and Sharpe ratio; the Sharpe ratio is undefined (NaN, not drawn)
    /// where the window's dispersion is at or below `floor` (the rounding of money).
    static func rolling(_ r: [Double], window: Int, floor: Double = 0) -> ([Double], [Double]) {
        guard r.count >= window else { return ([], []) }
        var vol: [Double] = []
        var sharpe: [Double] = []
        var sum = 0.0
        var sumSq = 0.0
        for k in 0..<r.count {
            sum += r[k]
            sumSq += r[k] * r[k]
            if k >= window {
                sum -= r[k - window]
                sumSq -= r[k - window] * r[k - window]
            }
            if k >= window - 1 {
                let n = Double(window)
                let mean = sum / n
                let variance = max((sumSq - n * mean * mean) / (n - 1), 0)
                let sd = variance.squareRoot()
                // The window is one year of periods, so sqrt(window) annualises.
                vol.append(sd <= floor ? 0 : sd * n.squareRoot())
                let zero = Swift.max(floor, DefinedRatio.dispersionThreshold(scale: abs(mean)))
                sharpe.append(DefinedRatio.value(mean, over: sd, zeroBelow: zero).map { $0 * n.squareRoot() } ?? .nan)
            }
        }
        return (vol, sharpe)
    }

    /// Keeps about `target` points (every k-th, and the last).
    static func thin(_ count: Int, target: Int = 700) -> [Int] {
        guard count > target else { return Array(0..<count) }
        let step = Int((Double(count) / Double(target)).rounded(.up))
        var idx = Array(stride(from: 0, to: count, by: step))
        if idx.last != count - 1 { idx.append(count - 1) }
        return idx
    }

    static let width = 900.0
    static let height = 260.0
    static let left = 70.0
    static let bottom = 28.0

    static func axisYears(_ dates: [MarketDate], x: (Int) -> Double) -> String {
        var s = ""
        var lastYear = -1
        let years = Set(dates.map { $0.components.year }).count
        let every = max(1, years / 10)
        for (k, d) in dates.enumerated() {
            let y = d.components.year
            if y != lastYear {
                lastYear = y
                if y % every == 0 {
                    let px = x(k)
                    s += "<line x1=\"\(f(px))\" y1=\"10\" x2=\"\(f(px))\" y2=\"\(f(height - bottom))\" stroke=\"#eee\"/>"
                    s += "<text x=\"\(f(px))\" y=\"\(f(height - 10))\" text-anchor=\"middle\" font-size=\"11\">\(y)</text>"
                }
            }
        }
        return s
    }

    static func f(_ x: Double) -> String { String(format: "%.1f", x) }

    /// A line chart (SVG, 900 x 260) of named series over dates: the one chart of Ballast's
    /// reports. Each series is (name, values, colour); `logScale` for growth paths, `fill` for
    /// areas down to zero (drawdowns); `format` labels the value axis.
    public static func lineChart(
        dates: [MarketDate], series: [(String, [Double], String)], logScale: Bool = false, fill: Bool = false,
        format: (Double) -> String
    ) -> String {
        guard dates.count >= 2 else { return "<p class=\"note\">Not enough dates for a chart.</p>\n" }
        let transform: (Double) -> Double = logScale ? { Foundation.log(max($0, 1e-12)) } : { $0 }
        let all = series.flatMap { $0.1.map(transform) }.filter(\.isFinite)
        var lo = all.min() ?? 0
        var hi = all.max() ?? 1
        if fill { hi = max(hi, 0) }
        if hi - lo < 1e-12 { (lo, hi) = (lo - 1, hi + 1) }
        let x: (Int) -> Double = { left + (width - left - 10) * Double($0) / Double(dates.count - 1) }
        let y: (Double) -> Double = { 10 + (height - bottom - 10) * (1 - (transform($0) - lo) / (hi - lo)) }
        var s =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"Helvetica,Arial,sans-serif\" font-size=\"11\">"
        s += axisYears(dates, x: x)
        for t in 0...4 {
            let v = lo + (hi - lo) * Double(t) / 4
            let value = logScale ? Foundation.exp(v) : v
            let py = y(value)
            s += "<line x1=\"\(f(left))\" y1=\"\(f(py))\" x2=\"\(f(width - 10))\" y2=\"\(f(py))\" stroke=\"#eee\"/>"
            s += "<text x=\"\(f(left - 6))\" y=\"\(f(py + 4))\" text-anchor=\"end\">\(escape(format(value)))</text>"
        }
        let idx = thin(dates.count)
        for (k, (name, values, colour)) in series.enumerated() {
            let points = idx.filter { values[$0].isFinite }.map { "\(f(x($0))),\(f(y(values[$0])))" }.joined(separator: " ")
            if fill {
                s +=
                    "<polygon points=\"\(f(x(0))),\(f(y(0))) \(points) \(f(x(dates.count - 1))),\(f(y(0)))\" fill=\"\(colour)\" fill-opacity=\"0.35\" stroke=\"\(colour)\"/>"
            } else {
                s += "<polyline points=\"\(points)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\"/>"
            }
            let step = min(260, (width - left - 20) / Double(max(series.count, 1)))
            s += "<rect x=\"\(f(left + 10 + Double(k) * step))\" y=\"14\" width=\"12\" height=\"4\" fill=\"\(colour)\"/>"
            s += "<text x=\"\(f(left + 28 + Double(k) * step))\" y=\"20\">\(escape(String(name.prefix(38))))</text>"
        }
        return s + "</svg>\n"
    }

    /// The colours of chart series, in order.
    public static let palette = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#aec7e8", "#ffbb78",
        "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
    ]

    static func stackedWeights(_ r: BacktestResult) -> String {
        let dates = r.dates
        guard dates.count >= 2 else { return "" }
        let names = r.symbols + ["CASH"]
        let used = names.indices.filter { j in r.weights.contains { $0[j] > 1e-6 } }
        let idx = thin(dates.count, target: 500)
        let x: (Int) -> Double = { left + (width - left - 10) * Double($0) / Double(dates.count - 1) }
        let y: (Double) -> Double = { 10 + (height - bottom - 10) * (1 - $0) }
        var s =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height + 20 + 14 * Double((used.count + 5) / 6)))\" font-family=\"Helvetica,Arial,sans-serif\" font-size=\"11\">"
        s += axisYears(dates, x: x)
        for t in 0...4 {
            let v = Double(t) / 4
            s += "<text x=\"\(f(left - 6))\" y=\"\(f(y(v) + 4))\" text-anchor=\"end\">\(Int(v * 100))%</text>"
        }
        var base = [Double](repeating: 0, count: idx.count)
        for (c, j) in used.enumerated() {
            let top = idx.enumerated().map { base[$0.offset] + max(r.weights[$0.element][j], 0) }
            let upper = idx.enumerated().map { "\(f(x($0.element))),\(f(y(min(top[$0.offset], 1))))" }
            let lower = idx.enumerated().reversed().map { "\(f(x($0.element))),\(f(y(min(base[$0.offset], 1))))" }
            let colour = names[j] == "CASH" ? "#dddddd" : palette[c % palette.count]
            s += "<polygon points=\"\((upper + lower).joined(separator: " "))\" fill=\"\(colour)\" stroke=\"none\"/>"
            let lx = left + Double(c % 6) * 140
            let ly = height + 8 + 14 * Double(c / 6)
            s +=
                "<rect x=\"\(f(lx))\" y=\"\(f(ly))\" width=\"10\" height=\"10\" fill=\"\(colour)\"/><text x=\"\(f(lx + 14))\" y=\"\(f(ly + 9))\">\(escape(names[j]))</text>"
            base = top
        }
        return s + "</svg>\n"
    }

    static func metricsTable(_ r: BacktestResult) -> String {
        let m = r.metrics
        let b = r.benchmarkMetrics
        func cell(_ x: Double?, _ pct: Bool) -> String { x.map { pct ? percent($0) : String(format: "%.2f", $0) } ?? "n/a" }
        // The period of the data (VaR is per period, drawdowns last periods).
        let (period, periods) =
            switch r.conventions.periodsPerYear {
            case 12: ("monthly", "months")
            case 52: ("weekly", "weeks")
            default: ("daily", "trading days")
            }
        let rows: [(String, (PerformanceMetrics) -> Double?, Bool)] = [
            ("Total return", { $0.totalReturn }, true), ("CAGR", { $0.cagr }, true), ("Annual volatility", { $0.annualVolatility }, true),
            ("Sharpe ratio", { $0.sharpeRatio }, false), ("Sortino ratio", { $0.sortinoRatio }, false),
            ("Maximum drawdown", { $0.maxDrawdown }, true), ("Calmar ratio", { $0.calmarRatio }, false),
            ("VaR 95% (\(period))", { $0.valueAtRisk95 }, true), ("CVaR 95% (\(period))", { $0.conditionalValueAtRisk95 }, true),
            ("Tracking error", { $0.trackingError }, true), ("Information ratio", { $0.informationRatio }, false),
            ("Beta", { $0.beta }, false), ("Alpha", { $0.alpha }, true),
        ]
        var s =
            "<table><tr><th>metric</th><th>\(escape(r.strategy))</th>"
            + (b != nil ? "<th>\(escape(r.benchmark?.name ?? "benchmark"))</th>" : "") + "</tr>\n"
        for (name, get, pct) in rows {
            s += "<tr><td>\(name)</td><td>\(cell(get(m), pct))</td>" + (b.map { "<td>\(cell(get($0), pct))</td>" } ?? "") + "</tr>\n"
        }
        if let d = m.maxDrawdownPeriod {
            s +=
                "<tr><td>Drawdown dates</td><td colspan=\"2\">peak \(d.peak), trough \(d.trough), \(d.recovery.map { "recovered \($0)" } ?? "not recovered"), \(d.length) \(periods)</td></tr>\n"
        }
        s += "<tr><td>Turnover (a year)</td><td>\(percent(r.turnover))</td></tr>\n"
        s += "<tr><td>Costs</td><td>\(String(format: "%.2f", r.totalCosts))</td></tr>\n"
        if let mwr = r.moneyWeightedReturn {
            s += "<tr><td>Money-weighted return (a year)</td><td>\(percent(mwr))</td></tr>\n"
        }
        s += "</table>\n"
        s +=
            "<p class=\"note\">Risk-free rate \(percent(r.conventions.annualRiskFreeRate)) a year (Sharpe ratio and alpha; Sortino uses a required return of 0).</p>\n"
        for reason in Set(m.undefined.values).union(b.map { Array($0.undefined.values) } ?? []).sorted() {
            s += "<p class=\"note\">n/a: \(escape(reason)).</p>\n"
        }
        return s
    }

    static func monthlyTable(_ m: PerformanceMetrics) -> String {
        var byYear: [String: [String: Double]] = [:]
        for p in m.monthlyReturns {
            let parts = p.period.split(separator: "-")
            byYear[String(parts[0]), default: [:]][String(parts[1])] = p.value
        }
        let yearly = Dictionary(uniqueKeysWithValues: m.yearlyReturns.map { ($0.period, $0.value) })
        var s =
            "<table><tr><th>year</th>"
            + ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"].map { "<th>\($0)</th>" }.joined()
            + "<th>year</th></tr>\n"
        for year in byYear.keys.sorted() {
            s += "<tr><td>\(year)</td>"
            for month in 1...12 {
                let key = (month < 10 ? "0" : "") + "\(month)"
                if let v = byYear[year]?[key] {
                    s += "<td class=\"\(v >= 0 ? "pos" : "neg")\">\(String(format: "%.1f", v * 100))</td>"
                } else {
                    s += "<td></td>"
                }
            }
            let y = yearly[year] ?? 0
            s += "<td class=\"\(y >= 0 ? "pos" : "neg")\"><b>\(String(format: "%.1f", y * 100))</b></td></tr>\n"
        }
        return s + "</table><p class=\"note\">Per cent, compounded within each month and year.</p>\n"
    }

    static func tradesSummary(_ r: BacktestResult) -> String {
        var bySymbol: [String: (buys: Int, sells: Int, value: Double, cost: Double)] = [:]
        for t in r.trades {
            var e = bySymbol[t.symbol] ?? (0, 0, 0, 0)
            if t.side == .buy { e.buys += 1 } else { e.sells += 1 }
            e.value += t.value
            e.cost += t.cost
            bySymbol[t.symbol] = e
        }
        var s = "<table><tr><th>symbol</th><th>buys</th><th>sells</th><th>traded value</th><th>costs</th></tr>\n"
        for (sym, e) in bySymbol.sorted(by: { $0.key < $1.key }) {
            s +=
                "<tr><td>\(escape(sym))</td><td>\(e.buys)</td><td>\(e.sells)</td><td>\(String(format: "%.0f", e.value))</td><td>\(String(format: "%.2f", e.cost))</td></tr>\n"
        }
        s += "</table>\n"
        let failed = r.failures
        if !failed.isEmpty {
            s += "<h2>Decisions that failed</h2>\n<table><tr><th>date</th><th>reason</th><th>fallback</th></tr>\n"
            for e in failed.prefix(200) {
                s += "<tr><td>\(e.decided)</td><td>\(escape(e.failure ?? ""))</td><td>\(escape(e.fallback ?? ""))</td></tr>\n"
            }
            if failed.count > 200 { s += "<tr><td colspan=\"3\">and \(failed.count - 200) more</td></tr>\n" }
            s += "</table>\n"
        }
        return s
    }
}
