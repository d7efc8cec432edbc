import BallastBacktest
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
            <html lang="en"><head><meta charset="utf-8"><title>\(HTML.escape(heading))</title>
            <style>\(HTML.style)</style></head><body>
            <h1>\(HTML.escape(heading))</h1>
            <p>\(r.dates.first.map { "\($0)" } ?? "") to \(r.dates.last.map { "\($0)" } ?? ""), rebalancing: \(HTML.escape(r.schedule)), \(r.events.count) decisions, \(r.trades.count) trades.</p>

            """
        s += sections(r, logScale: logScale)
        return s + "</body></html>\n"
    }

    /// The report's sections (metrics, charts, tables) as an HTML fragment, to place in
    /// another page; `HTML.style` holds the CSS they use.
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
            + Chart.line(dates: r.dates, series: series, logScale: logScale, format: money)
        s +=
            "<h2>Drawdown</h2>\n"
            + Chart.line(dates: r.dates, series: [("drawdown", drawdown(r.values, flows: r.flows), "#b22222")], fill: true, format: percent)
        s += "<h2>Weights</h2>\n" + Chart.stackedWeights(dates: r.dates, names: r.symbols + ["cash"], weights: r.weights, cashName: "cash")
        let floor = 0.005 / Swift.max(r.values.filter { $0 > 0 }.min() ?? 1, 1e-300)
        let (vol, sharpe) = rolling(r.returns, window: Int(r.conventions.periodsPerYear), floor: floor)
        let rollingDates = Array(r.dates.dropFirst())
        if !vol.isEmpty {
            s +=
                "<h2>Rolling one-year volatility</h2>\n"
                + Chart.line(dates: Array(rollingDates.suffix(vol.count)), series: [("volatility", vol, "#6a3d9a")], format: percent)
            s += "<h2>Rolling one-year Sharpe ratio</h2>\n"
            s +=
                sharpe.contains(where: \.isFinite)
                ? Chart.line(
                    dates: Array(rollingDates.suffix(sharpe.count)), series: [("Sharpe", sharpe, "#33a02c")],
                    format: { String(format: "%.1f", $0) })
                : "<p class=\"note\">Undefined over every one-year window: the returns have no dispersion beyond the rounding of money to the cent (a riskless portfolio has no Sharpe ratio).</p>\n"
        }
        s += "<h2>Monthly returns</h2>\n" + monthlyTable(r.metrics)
        s += "<h2>Trades and costs</h2>\n" + tradesSummary(r)
        s +=
            "<p class=\"note\">Conventions: \(HTML.escape(r.conventions.source)); \(HTML.escape(r.conventions.returns)); Sharpe \(HTML.escape(r.conventions.sharpeRatio)); risk-free \(HTML.escape(r.conventions.riskFreeRate)); VaR \(HTML.escape(r.conventions.valueAtRisk)).</p>\n"
        return s
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
            "<table><tr><th>metric</th><th>\(HTML.escape(r.strategy))</th>"
            + (b != nil ? "<th>\(HTML.escape(r.benchmark?.name ?? "benchmark"))</th>" : "") + "</tr>\n"
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
            s += "<p class=\"note\">n/a: \(HTML.escape(reason)).</p>\n"
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
                "<tr><td>\(HTML.escape(sym))</td><td>\(e.buys)</td><td>\(e.sells)</td><td>\(String(format: "%.0f", e.value))</td><td>\(String(format: "%.2f", e.cost))</td></tr>\n"
        }
        s += "</table>\n"
        let failed = r.failures
        if !failed.isEmpty {
            s += "<h2>Decisions that failed</h2>\n<table><tr><th>date</th><th>reason</th><th>fallback</th></tr>\n"
            for e in failed.prefix(200) {
                s += "<tr><td>\(e.decided)</td><td>\(HTML.escape(e.failure ?? ""))</td><td>\(HTML.escape(e.fallback ?? ""))</td></tr>\n"
            }
            if failed.count > 200 { s += "<tr><td colspan=\"3\">and \(failed.count - 200) more</td></tr>\n" }
            s += "</table>\n"
        }
        return s
    }
}
