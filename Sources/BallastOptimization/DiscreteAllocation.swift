import Foundation

/// Turns target weights and an amount of money into whole-lot (or fractional) quantities.
///
/// The objective is the money misallocated, `Σ |w_i V - x_i p_i|` over the assets plus the
/// cash left over (what is not invested is misallocated too, unless a cash weight asks for
/// it). A greedy pass (round every position down to whole lots, then buy the lot that closes
/// the largest shortfall while cash lasts) is followed by an integer local search that
/// applies the best improving move among "buy one lot", "sell one lot" and "sell one lot of
/// j to buy one lot of i" until none improves. No external MILP solver is used; the result
/// is never worse than the greedy one and is locally optimal for those moves.
public struct DiscreteAllocation: Sendable, Equatable {
    /// How quantities may be divided.
    public enum Granularity: Sendable, Equatable {
        /// Multiples of each asset's lot size (1 = whole shares).
        case lots
        /// Fractional quantities with this many decimals.
        case fractional(decimals: Int)
    }

    /// Quantities per asset (only assets with a non-zero quantity).
    public var quantities: [String: Double]
    /// Money not invested.
    public var leftover: Double
    /// Money invested, `Σ x_i p_i`.
    public var invested: Double
    /// `Σ |w_i V - x_i p_i| + leftover not asked for`: the money misallocated.
    public var misallocation: Double
    /// Weights actually reached, `x_i p_i / V`.
    public var achievedWeights: [String: Double]
    /// Local-search moves applied after the greedy pass.
    public var improvements: Int

    /// Allocates `amount` to `weights` at `prices`.
    ///
    /// - Parameters:
    ///   - weights: target weights by symbol (a symbol named by `cashSymbol` is cash, kept as
    ///     leftover on purpose).
    ///   - prices: price per unit by symbol; every weighted non-cash symbol needs one.
    ///   - amount: money to invest.
    ///   - lotSizes: lot size by symbol (default 1).
    ///   - granularity: whole lots (default) or fractional quantities.
    ///   - cashSymbol: the symbol of the cash asset, if any.
    /// - Throws: ``OptimizationError`` for a missing or non-positive price, a non-positive
    ///   amount or lot size.
    public static func allocate(
        weights: [String: Double], prices: [String: Double], amount: Double, lotSizes: [String: Double] = [:],
        granularity: Granularity = .lots, cashSymbol: String? = "CASH"
    ) throws(OptimizationError) -> DiscreteAllocation {
        guard amount > 0, amount.isFinite else {
            throw OptimizationError(
                .invalidParameter, message: "the amount \(amount) is not positive", fix: "give a positive amount of money")
        }
        let symbols = weights.keys.filter { $0 != cashSymbol && (weights[$0] ?? 0) > 0 }.sorted()
        var units: [Double] = []
        var price: [Double] = []
        for s in symbols {
            guard let p = prices[s], p > 0, p.isFinite else {
                throw OptimizationError(
                    .invalidParameter, message: "no positive price for \(s)", fix: "give a price for every asset with a weight")
            }
            let lot: Double
            switch granularity {
            case .lots: lot = lotSizes[s] ?? 1
            case .fractional(let d): lot = pow(10, -Double(Swift.max(0, d)))
            }
            guard lot > 0, lot.isFinite else {
                throw OptimizationError(
                    .invalidParameter, message: "lot size \(lot) of \(s) is not positive", fix: "use a positive lot size")
            }
            units.append(lot)
            price.append(p)
        }
        let n = symbols.count
        let target = symbols.map { weights[$0]! * amount }
        let cashTarget = cashSymbol.flatMap { weights[$0] }.map { $0 * amount } ?? 0
        let lotCost = (0..<n).map { units[$0] * price[$0] }
        // Greedy: whole lots below target, then close the largest shortfalls.
        var lots = (0..<n).map { Int((target[$0] / lotCost[$0]).rounded(.down)) }
        var cash = amount - (0..<n).reduce(0) { $0 + Double(lots[$1]) * lotCost[$1] }
        while true {
            var best = -1
            var bestGap = 0.0
            for i in 0..<n where lotCost[i] <= cash + 1e-9 {
                let gap = target[i] - Double(lots[i]) * lotCost[i]
                if gap > bestGap {
                    bestGap = gap
                    best = i
                }
            }
            guard best >= 0, bestGap > 0 else { break }
            lots[best] += 1
            cash -= lotCost[best]
        }
        func objectiveChange(buy: Int?, sell: Int?, count k: Int = 1) -> Double {
            var delta = 0.0
            var cashDelta = 0.0
            if let i = buy {
                let before = abs(target[i] - Double(lots[i]) * lotCost[i])
                let after = abs(target[i] - Double(lots[i] + k) * lotCost[i])
                delta += after - before
                cashDelta -= Double(k) * lotCost[i]
            }
            if let j = sell {
                let before = abs(target[j] - Double(lots[j]) * lotCost[j])
                let after = abs(target[j] - Double(lots[j] - 1) * lotCost[j])
                delta += after - before
                cashDelta += lotCost[j]
            }
            delta += abs(cash + cashDelta - cashTarget) - abs(cash - cashTarget)
            return delta
        }
        // Local search: the best improving move until none. Moves: buy k lots of i; sell one
        // lot of j; sell one lot of j and buy k lots of i (k up to what the cash allows, so
        // that one expensive lot can be traded for several cheap ones).
        var improvements = 0
        for _ in 0..<(100 * Swift.max(n, 1)) {
            var bestDelta = -1e-9 * amount
            var move: (buy: Int?, sell: Int?, count: Int)?
            for j in [-1] + Array(0..<n) where j < 0 || lots[j] > 0 {
                let sell = j < 0 ? nil : j
                if let sell {
                    let d = objectiveChange(buy: nil, sell: sell)
                    if d < bestDelta {
                        bestDelta = d
                        move = (nil, sell, 0)
                    }
                }
                let budget = cash + (sell.map { lotCost[$0] } ?? 0)
                for i in 0..<n where i != sell {
                    let affordable = Int((budget / lotCost[i] + 1e-9).rounded(.down))
                    guard affordable >= 1 else { continue }
                    let ideal = Int(((target[i] - Double(lots[i]) * lotCost[i]) / lotCost[i]).rounded())
                    for k in Set([1, affordable, ideal, ideal + 1, ideal - 1]) where k >= 1 && k <= affordable {
                        let d = objectiveChange(buy: i, sell: sell, count: k)
                        if d < bestDelta {
                            bestDelta = d
                            move = (i, sell, k)
                        }
                    }
                }
            }
            guard let m = move else { break }
            if let i = m.buy {
                lots[i] += m.count
                cash -= Double(m.count) * lotCost[i]
            }
            if let j = m.sell {
                lots[j] -= 1
                cash += lotCost[j]
            }
            improvements += 1
        }
        // Exact finish when the search space is small: depth-first over lot counts with a
        // bound (the error already committed can only grow), starting from the local optimum.
        let ranges = (0..<n).map { Int((amount / lotCost[$0] + 1e-9).rounded(.down)) + 1 }
        let space = ranges.reduce(1.0) { $0 * Double($1) }
        if n > 0 && space <= 200_000 {
            var bestValue = (0..<n).reduce(abs(cash - cashTarget)) { $0 + abs(target[$1] - Double(lots[$1]) * lotCost[$1]) }
            var bestLots = lots
            var current = [Int](repeating: 0, count: n)
            func search(_ i: Int, _ spent: Double, _ error: Double) {
                if error >= bestValue - 1e-9 { return }
                if i == n {
                    let total = error + abs(amount - spent - cashTarget)
                    if total < bestValue - 1e-9 {
                        bestValue = total
                        bestLots = current
                    }
                    return
                }
                var k = 0
                while spent + Double(k) * lotCost[i] <= amount + 1e-9 {
                    current[i] = k
                    search(i + 1, spent + Double(k) * lotCost[i], error + abs(target[i] - Double(k) * lotCost[i]))
                    k += 1
                }
                current[i] = 0
            }
            search(0, 0, 0)
            if bestLots != lots {
                lots = bestLots
                cash = amount - (0..<n).reduce(0) { $0 + Double(lots[$1]) * lotCost[$1] }
                improvements += 1
            }
        }
        var quantities: [String: Double] = [:]
        var achieved: [String: Double] = [:]
        var invested = 0.0
        var misallocation = abs(cash - cashTarget)
        for i in 0..<n {
            let q = Double(lots[i]) * units[i]
            let value = Double(lots[i]) * lotCost[i]
            invested += value
            misallocation += abs(target[i] - value)
            if lots[i] > 0 {
                quantities[symbols[i]] = (q * 1e9).rounded() / 1e9
                achieved[symbols[i]] = value / amount
            }
        }
        return DiscreteAllocation(
            quantities: quantities, leftover: amount - invested, invested: invested, misallocation: misallocation,
            achievedWeights: achieved,
            improvements: improvements)
    }
}
