import BallastWorkflows
import Foundation

/// The screens of `ballast data inspect`.
public enum PriceFileScreen {
    /// One CSV row per symbol.
    public static func csv(_ summary: PriceFileSummary) -> String {
        var out = "symbol,prices,missing,first_valid_date,last_valid_date,returns,annual_return,annual_volatility\n"
        for s in summary.symbols {
            out +=
                ([
                    s.symbol, "\(s.prices)", "\(s.missing)", s.firstValidDate ?? "", s.lastValidDate ?? "", "\(s.returns)",
                    s.annualReturn.map { "\($0)" } ?? "", s.annualVolatility.map { "\($0)" } ?? "",
                ].joined(separator: ",")) + "\n"
        }
        return out
    }

    /// The table for people, with the reasons of every n/a.
    public static func text(_ summary: PriceFileSummary) -> String {
        var out = "\(summary.file): \(summary.symbols.count) symbols, \(summary.rows) rows, \(summary.start) to \(summary.end)\n\n"
        var t = TextTable(["symbol", "prices", "missing", "first valid", "last valid", "ann. return", "ann. volatility"])
        for s in summary.symbols {
            t.add([
                s.symbol, "\(s.prices)", "\(s.missing)", s.firstValidDate ?? "-", s.lastValidDate ?? "-",
                s.annualReturn.map { percent($0) } ?? "n/a", s.annualVolatility.map { percent($0) } ?? "n/a",
            ])
        }
        out += t.render()
        for reason in Set(summary.symbols.compactMap(\.undefined)).sorted() { out += "n/a: \(reason)\n" }
        return out
    }
}
