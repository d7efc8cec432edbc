import BallastMarketData
import BallastOptimization
import BallastProfiling
import BallastRebalancing
import BallastWorkflows
import Foundation
import Synchronization

/// The screens of `ballast models levels`.
public enum ModelScreen {
    /// The level models' table: per level the rating limit, cap, return, volatility, cash and
    /// largest weights.
    public static func levels(_ models: [ModelPortfolio], asOf day: MarketDate, years: Int, cashRate: Double) -> String {
        let out = "Level models as of \(day) (Ledoit-Wolf on \(years) years of daily prices; cash at \(percent(cashRate)))\n\n"
        var t = TextTable(["level", "max rating", "vol cap", "exp. return", "volatility", "cash", "largest weights"])
        for m in models {
            let cashSymbol = m.cashSymbol
            let cash = m.result.weight(of: cashSymbol)
            let top = zip(m.result.assets, m.result.weights).filter { $0.1 > 0 && $0.0 != cashSymbol }.sorted { $0.1 > $1.1 }.prefix(3)
            t.add([
                m.level.label, m.level.maxProductRating.description, percent(m.level.volatilityCap, digits: 0),
                percent(m.result.expectedReturn), percent(m.result.volatility), percent(cash, digits: 0),
                top.map { "\($0.0) \(String(format: "%.0f%%", $0.1 * 100))" }.joined(separator: ", "),
            ])
        }
        return out + t.render()
    }
}

/// The JSON of one model portfolio.
public struct ModelReport: Encodable {
    /// The level.
    public let level: Int
    /// The label.
    public let label: String
    /// The max product rating.
    public let maxProductRating: String
    /// The volatility cap.
    public let volatilityCap: Double
    /// The expected return.
    public let expectedReturn: Double
    /// The volatility.
    public let volatility: Double
    /// The weights.
    public let weights: [String: Double]
    /// The suitability.
    public let suitability: SuitabilityResult
    /// The as of.
    public let asOf: MarketDate

    /// Creates the value.
    public init(_ m: ModelPortfolio, asOf: MarketDate) {
        self.asOf = asOf
        level = m.level.level
        label = m.level.label
        maxProductRating = m.level.maxProductRating.description
        volatilityCap = m.level.volatilityCap
        expectedReturn = m.result.expectedReturn
        volatility = m.result.volatility
        weights = m.weights
        suitability = m.suitability
    }
}

/// The screens of `ballast rebalance`.
public enum PlanScreen {
    /// The one-line summary of a batch run: accounts by status, errors, turnover and costs.
    public static func batchSummary(_ counts: BatchSummary) -> String {
        // Held and suspended accounts are named only when there are some.
        let controls =
            (counts.held > 0 ? ", \(counts.held) held by the pre-trade controls" : "")
            + (counts.suspended > 0 ? ", \(counts.suspended) suspended" : "")
        return String(
            format: "%d accounts: %d rebalanced, %d within band, %d cash flow only, %d below the minimum trade, %d errors%@; "
                + "total turnover %.2f, estimated costs %.2f",
            counts.lines, counts.rebalanced, counts.withinBand, counts.cashFlowOnly, counts.belowMinimumTrade, counts.errors,
            controls, counts.turnover, counts.cost)
    }

    /// One account's plan: weights now, at target and after, drift and turnover, the trades,
    /// the cash and the notes.
    public static func text(_ p: RebalancePlan, target: [String: Double]) -> String {
        var out = "Account \(p.accountId): \(p.status.rawValue) — \(p.trigger)\n\n"
        var t = TextTable(["asset", "current", "target", "after"])
        let symbols = Set(p.weightsBefore.keys).union(target.keys).union(p.weightsAfter.keys).sorted { a, b in
            a == RebalancePlanner.defaultCashSymbol ? false : b == RebalancePlanner.defaultCashSymbol ? true : a < b
        }
        for s in symbols {
            let before = p.weightsBefore[s] ?? 0
            let after = p.weightsAfter[s] ?? 0
            let goal = target[s] ?? 0
            if before < 1e-9 && after < 1e-9 && goal < 1e-9 { continue }
            t.add([s, percent(before), percent(goal), percent(after)])
        }
        out += t.render()
        out += String(format: "\ndrift %.2f%% -> %.2f%%, turnover %.2f%%\n", p.driftBefore * 100, p.driftAfter * 100, p.turnover * 100)
        if !p.trades.isEmpty {
            var trades = TextTable(["side", "asset", "quantity", "price", "value", "cost"])
            for tr in p.trades {
                trades.add([
                    tr.side.rawValue, tr.symbol, String(format: "%g", tr.quantity), String(format: "%.2f", tr.price),
                    "\(tr.value)", "\(tr.cost)",
                ])
            }
            out += "\nTrades (sells first):\n" + trades.render()
        }
        out += "\ncash \(p.cashBefore) -> \(p.cashAfter) (left over), estimated costs \(p.estimatedCost)\n"
        for n in p.notes { out += wrapped("note: \(n)") + "\n" }
        return out
    }
}

/// The JSON of `rebalance --account ... --format json`: the plan's fields and the target
/// weights it traded toward.
public struct PlanWithTarget: Encodable {
    /// The plan.
    public let plan: RebalancePlan
    /// The weights it traded toward.
    public let targetWeights: [String: Double]

    /// The plan and its target.
    public init(plan: RebalancePlan, targetWeights: [String: Double]) {
        self.plan = plan
        self.targetWeights = targetWeights
    }

    enum Keys: String, CodingKey { case targetWeights }

    /// The plan's keys, then `targetWeights`.
    public func encode(to encoder: any Encoder) throws {
        try plan.encode(to: encoder)
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(targetWeights, forKey: .targetWeights)
    }
}

/// The progress line of a batch run on a terminal: `\r1234567 accounts, 250000/s, 3 errors,
/// ETA 0:04` (no ETA when reading a pipe), at most four times a second, and a line end when
/// the run is done. One instance per run; it may be called from any thread.
public final class BatchProgressLine: Sendable {
    private let started: Date
    private let last = Mutex(Date.distantPast)

    /// A line for a run that starts now.
    public init(started: Date = Date()) { self.started = started }

    /// The text to write for `p` at `now`, or `nil` when the last line was written less than a
    /// quarter of a second ago (the final report is always written).
    public func text(_ p: BatchProgress, now: Date = Date()) -> String? {
        let due = last.withLock { last in
            guard p.finished || now.timeIntervalSince(last) >= 0.25 else { return false }
            last = now
            return true
        }
        guard due else { return nil }
        let elapsed = max(now.timeIntervalSince(started), 1e-3)
        let rate = Int((Double(p.lines) / elapsed).rounded())
        var text = "\r\(p.lines) accounts, \(rate)/s, \(p.errors) error\(p.errors == 1 ? "" : "s")"
        if let size = p.inputSize, size > 0, p.bytesRead > 0 {
            let seconds = Int((elapsed * Double(size - min(size, p.bytesRead)) / Double(p.bytesRead)).rounded())
            text += ", ETA \(seconds / 60):" + (seconds % 60 < 10 ? "0" : "") + "\(seconds % 60)"
        }
        return text + "   " + (p.finished ? "\n" : "")
    }
}
