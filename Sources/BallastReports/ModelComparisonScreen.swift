import BallastMarketData
import BallastWorkflows
import Foundation

/// The screen of `ballast models compare`: what switching to the candidate models would do to
/// the book, then each model's risk and return, current against candidate.
public enum ModelComparisonScreen {
    /// The comparison as text tables (100 columns).
    public static func text(_ c: ModelComparison) -> String {
        func pct(_ x: Double?, _ d: Int = 1) -> String { x.map { percent($0, digits: d) } ?? "n/a" }
        func money(_ x: Double) -> String { String(format: "%.2f", x) }
        var s = wrapped("Switching \(c.book) from \(c.current) to \(c.candidate), as of \(c.asOf)") + "\n"
        s += "\(c.lines) lines: \(c.total.accounts) accounts compared, \(c.problems) not compared\n\n"
        var t = TextTable(["model", "accounts", "out of band now", "after switch", "trading", "mean turnover", "traded", "costs"])
        for m in c.models + [c.total] {
            t.add([
                m.model, String(m.accounts), String(m.outOfBandNow), String(m.outOfBandAgainstCandidate), String(m.trading),
                m.accounts > 0 ? pct(m.turnover / Double(m.accounts), 2) : "n/a", money(m.tradedValue), money(m.estimatedCost),
            ])
        }
        s += "Trades to the candidate under the policy\n" + t.render()
        var r = TextTable(["model", "weights moved", "volatility", "last year", "back-test return", "back-test max dd"])
        for m in c.models {
            func pair(_ a: String, _ b: String) -> String { "\(a) -> \(b)" }
            r.add([
                m.model, pct(m.weightChange), pair(pct(m.volatilityCurrent), pct(m.volatilityCandidate)),
                pair(pct(m.trailingReturnCurrent), pct(m.trailingReturnCandidate)),
                pair(pct(m.backtestCurrent?.totalReturn), pct(m.backtestCandidate?.totalReturn)),
                pair(pct(m.backtestCurrent?.maxDrawdown), pct(m.backtestCandidate?.maxDrawdown)),
            ])
        }
        let start = c.models.compactMap { $0.backtestCurrent?.start }.min()
        s +=
            "\n"
            + wrapped(
                "Risk and return, current -> candidate (volatility and return over the last year"
                    + (start.map { "; back-tests from \($0)" } ?? "") + ")") + "\n"
        s += r.render() + "Past performance does not predict future returns.\n"
        if c.problems > 0 {
            s += "\nLines not compared: \(c.problems)\n"
            for p in c.problemList.prefix(20) {
                s += wrapped("  line \(p.line)\(p.accountId.map { " (\($0))" } ?? ""): \(p.message)") + "\n"
            }
            if c.problems > 20 { s += "  and \(c.problems - 20) more (all in --format json up to the list limit)\n" }
        }
        return s
    }
}
