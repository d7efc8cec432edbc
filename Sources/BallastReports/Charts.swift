import BallastMarketData
import Foundation

/// The HTML of Ballast's report pages: one escape function and one style sheet.
public enum HTML {
    /// The CSS of every report page (tables, headings, notes, the colours of signed cells).
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

}

/// The charts of Ballast's report pages, as inline SVG (no scripts, no external files): a line
/// chart over dates, stacked weights over dates, and the efficient frontier.
public enum Chart {
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

    /// A line chart (SVG, 900 x 260) of named series over dates: the one line chart of Ballast's
    /// reports. Each series is (name, values, colour); `logScale` for growth paths, `fill` for
    /// areas down to zero (drawdowns); `format` labels the value axis.
    public static func line(
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
            s += "<text x=\"\(f(left - 6))\" y=\"\(f(py + 4))\" text-anchor=\"end\">\(HTML.escape(format(value)))</text>"
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
            s += "<text x=\"\(f(left + 28 + Double(k) * step))\" y=\"20\">\(HTML.escape(String(name.prefix(38))))</text>"
        }
        return s + "</svg>\n"
    }

    /// The colours of chart series, in order.
    public static let palette = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#aec7e8", "#ffbb78",
        "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
    ]

    /// A stacked area chart (SVG) of weights over dates: `weights[k][j]` is the weight of
    /// `names[j]` on `dates[k]`; the column named `cashName` is drawn in grey.
    public static func stackedWeights(dates: [MarketDate], names: [String], weights: [[Double]], cashName: String) -> String {
        guard dates.count >= 2 else { return "" }
        let used = names.indices.filter { j in weights.contains { $0[j] > 1e-6 } }
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
            let top = idx.enumerated().map { base[$0.offset] + max(weights[$0.element][j], 0) }
            let upper = idx.enumerated().map { "\(f(x($0.element))),\(f(y(min(top[$0.offset], 1))))" }
            let lower = idx.enumerated().reversed().map { "\(f(x($0.element))),\(f(y(min(base[$0.offset], 1))))" }
            let colour = names[j] == cashName ? "#dddddd" : palette[c % palette.count]
            s += "<polygon points=\"\((upper + lower).joined(separator: " "))\" fill=\"\(colour)\" stroke=\"none\"/>"
            let lx = left + Double(c % 6) * 140
            let ly = height + 8 + 14 * Double(c / 6)
            s +=
                "<rect x=\"\(f(lx))\" y=\"\(f(ly))\" width=\"10\" height=\"10\" fill=\"\(colour)\"/><text x=\"\(f(lx + 14))\" y=\"\(f(ly + 9))\">\(HTML.escape(names[j]))</text>"
            base = top
        }
        return s + "</svg>\n"
    }

    /// A point drawn on the frontier chart: a portfolio's volatility and expected return.
    public struct Point: Sendable {
        /// Annualised volatility.
        public var volatility: Double
        /// Annualised expected return.
        public var expectedReturn: Double
        /// A point at these coordinates.
        public init(volatility: Double, expectedReturn: Double) {
            self.volatility = volatility
            self.expectedReturn = expectedReturn
        }
    }

    /// A marked portfolio: a large dot with a bold label.
    public struct Mark: Sendable {
        /// The label beside the dot.
        public var label: String
        /// Where it is.
        public var point: Point
        /// Its colour (CSS).
        public var colour: String
        /// Whether the label goes left of the dot (else above it).
        public var labelLeft: Bool
        /// A mark.
        public init(_ label: String, at point: Point, colour: String, labelLeft: Bool = false) {
            self.label = label
            self.point = point
            self.colour = colour
            self.labelLeft = labelLeft
        }
    }

    /// A bar chart (SVG, 900 wide): one bar per label with its value written above it, the
    /// value axis from 0 to the largest value; `colours` per bar (default: the first colour of
    /// the palette), `format` labels the values; `counts` steps the axis by whole numbers. The
    /// histogram and group charts of the monitor page.
    public static func bars(
        labels: [String], values: [Double], colours: [String]? = nil, format: (Double) -> String, height: Double = 240,
        counts: Bool = false
    ) -> String {
        guard !labels.isEmpty, labels.count == values.count else { return "<p class=\"note\">Nothing to chart.</p>\n" }
        let top = 22.0
        let bottom = 34.0
        // A round axis: steps of 1, 2, 2.5 or 5 times a power of ten, about four of them.
        let largest = Swift.max(values.filter(\.isFinite).max() ?? 0, 1e-12)
        let raw = largest / 4
        let power = pow(10, log10(raw).rounded(.down))
        let round = [1, 2, 2.5, 5, 10].map { $0 * power }.first { $0 >= raw * (1 - 1e-12) } ?? raw
        // Counts step by whole numbers, so that no two ticks carry the same label.
        let step = counts ? Swift.max(1, round.rounded(.up)) : round
        let ticks = Swift.max(1, Int((largest / step * (1 - 1e-12)).rounded(.up)))
        let hi = step * Double(ticks)
        let slot = (width - left - 10) / Double(labels.count)
        let barWidth = Swift.max(2, slot * 0.78)
        func y(_ v: Double) -> Double { height - bottom - (height - bottom - top) * Swift.max(0, v) / hi }
        var s =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"Helvetica,Arial,sans-serif\" font-size=\"11\">"
        for t in 0...ticks {
            let v = step * Double(t)
            s += "<line x1=\"\(f(left))\" y1=\"\(f(y(v)))\" x2=\"\(f(width - 10))\" y2=\"\(f(y(v)))\" stroke=\"#eee\"/>"
            s += "<text x=\"\(f(left - 6))\" y=\"\(f(y(v) + 4))\" text-anchor=\"end\">\(HTML.escape(format(v)))</text>"
        }
        // Labels are thinned so that they do not overlap (about 7 px per character).
        let longest = Double(labels.map(\.count).max() ?? 1)
        let every = Swift.max(1, Int((longest * 7 / slot).rounded(.up)))
        for (k, v) in values.enumerated() {
            let x = left + slot * Double(k) + (slot - barWidth) / 2
            let colour = colours?[k % Swift.max(colours?.count ?? 1, 1)] ?? palette[0]
            let value = v.isFinite ? Swift.max(v, 0) : 0
            s +=
                "<rect x=\"\(f(x))\" y=\"\(f(y(value)))\" width=\"\(f(barWidth))\" height=\"\(f(height - bottom - y(value)))\" fill=\"\(colour)\"><title>\(HTML.escape(labels[k])): \(HTML.escape(format(v)))</title></rect>"
            if barWidth >= 24 && v.isFinite {
                s +=
                    "<text x=\"\(f(x + barWidth / 2))\" y=\"\(f(y(value) - 4))\" text-anchor=\"middle\">\(HTML.escape(format(v)))</text>"
            }
            if k % every == 0 {
                s +=
                    "<text x=\"\(f(x + barWidth / 2))\" y=\"\(f(height - bottom + 16))\" text-anchor=\"middle\">\(HTML.escape(labels[k]))</text>"
            }
        }
        s +=
            "<line x1=\"\(f(left))\" y1=\"\(f(height - bottom))\" x2=\"\(f(width - 10))\" y2=\"\(f(height - bottom))\" stroke=\"#333\"/>"
        return s + "</svg>\n"
    }

    /// The efficient frontier (SVG): volatility on x, expected return on y, the frontier as a
    /// line (`curve`, dense enough to look smooth) with its `corners` as small dots, each asset
    /// as a labelled grey dot, the marked portfolios, and an optional dashed volatility cap.
    /// The one frontier chart of the frontier page and the recommendation page.
    public static func frontier(
        curve: [Point], corners: [Point] = [], assets: [(name: String, point: Point)] = [], marks: [Mark] = [],
        volatilityCap: Double? = nil, title: String? = "Efficient frontier", width: Double = 760, height: Double = 520
    ) -> String {
        let left = 70.0
        let right = 30.0
        let top = title == nil ? 14.0 : 40.0
        let bottom = 60.0
        let xs =
            curve.map(\.volatility) + assets.map(\.point.volatility) + marks.map(\.point.volatility) + (volatilityCap.map { [$0] } ?? [])
        let ys = curve.map(\.expectedReturn) + assets.map(\.point.expectedReturn) + marks.map(\.point.expectedReturn)
        // Round axis steps (1, 2, 2.5 or 5 times a power of ten) so ticks read as plain percents.
        func step(_ span: Double) -> Double {
            let raw = Swift.max(span, 1e-9) / 5
            let power = pow(10, (log10(raw)).rounded(.down))
            return [1, 2, 2.5, 5, 10].map { $0 * power }.first { $0 >= raw } ?? raw
        }
        let xStep = step((xs.max() ?? 1) * 1.05)
        let xMin = 0.0
        let xMax = Swift.max(((xs.max() ?? 1) * 1.05 / xStep).rounded(.up) * xStep, xStep)
        let yLow = Swift.min(0, ys.min() ?? 0)
        let yStep = step(((ys.max() ?? 1) - yLow) * 1.05)
        let yMin = (yLow / yStep).rounded(.down) * yStep
        let yMax = Swift.max(((ys.max() ?? 1) * 1.05 / yStep).rounded(.up) * yStep, yMin + yStep)
        func px(_ v: Double) -> Double { left + (v - xMin) / (xMax - xMin) * (width - left - right) }
        func py(_ v: Double) -> Double { height - bottom - (v - yMin) / (yMax - yMin) * (height - top - bottom) }
        func tick(_ v: Double) -> String {
            let pct = (v * 100 * 10).rounded() / 10
            return (pct == pct.rounded() ? String(format: "%.0f", pct == 0 ? 0 : pct) : String(format: "%.1f", pct)) + "%"
        }
        var s =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        if let title {
            s += "<text x=\"\(f(width / 2))\" y=\"24\" text-anchor=\"middle\" font-size=\"16\">\(HTML.escape(title))</text>\n"
        }
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
        if let cap = volatilityCap {
            s +=
                "<line x1=\"\(f(px(cap)))\" y1=\"\(f(top))\" x2=\"\(f(px(cap)))\" y2=\"\(f(height - bottom))\" stroke=\"#d62728\" stroke-dasharray=\"4 3\"/>\n"
            s += "<text x=\"\(f(px(cap) + 4))\" y=\"\(f(top + 12))\" fill=\"#d62728\">volatility cap \(tick(cap))</text>\n"
        }
        // Frontier.
        let path = curve.map { "\(f(px($0.volatility))),\(f(py($0.expectedReturn)))" }.joined(separator: " ")
        s += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"#1f5fbf\" stroke-width=\"2.5\"/>\n"
        for p in corners {
            s +=
                "<circle cx=\"\(f(px(p.volatility)))\" cy=\"\(f(py(p.expectedReturn)))\" r=\"2.5\" fill=\"#1f5fbf\"><title>turning point: return \(String(format: "%.2f%%", p.expectedReturn * 100)), volatility \(String(format: "%.2f%%", p.volatility * 100))</title></circle>\n"
        }
        for a in assets {
            s += "<circle cx=\"\(f(px(a.point.volatility)))\" cy=\"\(f(py(a.point.expectedReturn)))\" r=\"3.5\" fill=\"#888\"/>\n"
            s +=
                "<text x=\"\(f(px(a.point.volatility) + 6))\" y=\"\(f(py(a.point.expectedReturn) + 4))\" fill=\"#555\" font-size=\"11\">\(HTML.escape(a.name))</text>\n"
        }
        for m in marks {
            let x = px(m.point.volatility)
            let y = py(m.point.expectedReturn)
            s += "<circle cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"7\" fill=\"\(m.colour)\" stroke=\"white\" stroke-width=\"2\"/>\n"
            s +=
                m.labelLeft
                ? "<text x=\"\(f(x - 12))\" y=\"\(f(y + 4))\" text-anchor=\"end\" fill=\"\(m.colour)\" font-weight=\"bold\">\(HTML.escape(m.label))</text>\n"
                : "<text x=\"\(f(x - 12))\" y=\"\(f(y - 10))\" text-anchor=\"end\" fill=\"\(m.colour)\" font-weight=\"bold\">\(HTML.escape(m.label))</text>\n"
        }
        return s + "</svg>\n"
    }
}
