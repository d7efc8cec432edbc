import BallastMarketData
import Foundation

/// Turns an account, prices, target weights and a policy into a ``RebalancePlan``.
///
/// Order of work: value the account; decide whether a rebalance is due (the policy's trigger);
/// choose desired values (the target, the band edge, or — with no trigger — only what the
/// cash flow needs: deposits buy the most underweight assets, withdrawals sell the most
/// overweight); scale to the turnover limit; then place sells before buys, in whole lots (or
/// fractional units), never selling more than is held, skipping trades below the minimum
/// value, and never letting cash fall below the buffer. All cash arithmetic is in integer
/// cents, so `cashAfter = cashBefore + flow + sales - purchases - costs` holds exactly.
/// The same input always gives the same plan (assets are processed in a fixed order).
public struct RebalancePlanner: Sendable {
    public var policy: RebalancePolicy
    /// Lot size by symbol (default 1), used unless the policy asks for fractional quantities.
    public var lotSizes: [String: Double]
    /// The symbol that stands for cash in target weights.
    public var cashSymbol: String

    public init(policy: RebalancePolicy, lotSizes: [String: Double] = [:], cashSymbol: String = "CASH") {
        self.policy = policy
        self.lotSizes = lotSizes
        self.cashSymbol = cashSymbol
    }

    static func cents(_ x: Double) -> Cents { Cents((x * 100).rounded()) }
    static func money(_ c: Cents) -> Double { Double(c) / 100 }

    /// Plans the rebalance of `account` at `prices` toward `target` as of a date.
    ///
    /// - Throws: ``RebalanceError`` for a missing or non-positive price, target weights that
    ///   do not sum to one, negative holdings or cash, or a withdrawal larger than the account.
    public func plan(for account: Account, toward target: [String: Double], at prices: [String: Double], asOf: MarketDate)
        throws(RebalanceError) -> RebalancePlan
    {
        let id = account.id
        if let p = policy.problems.first { throw RebalanceError(accountId: id, field: "policy", p) }
        guard account.cash >= 0, account.cash.isFinite else {
            throw RebalanceError(accountId: id, field: "cash", "must be a finite amount at least 0")
        }
        let weightSum = target.values.reduce(0, +)
        guard abs(weightSum - 1) <= 1e-6, target.values.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
            throw RebalanceError(accountId: id, field: "target", "weights must be non-negative and sum to 1 (they sum to \(weightSum))")
        }
        // Assets: held or targeted, cash excluded, in a fixed order.
        let symbols = Set(account.holdings.keys).union(target.keys.filter { $0 != cashSymbol }).sorted()
        var price: [Double] = []
        var unit: [Double] = []
        var held: [Double] = []
        for s in symbols {
            guard let p = prices[s], p > 0, p.isFinite else {
                throw RebalanceError(accountId: id, field: "prices.\(s)", "no positive price for \(s) at \(asOf)")
            }
            let h = account.holdings[s] ?? 0
            guard h >= 0, h.isFinite else {
                throw RebalanceError(accountId: id, field: "holdings.\(s)", "quantity \(h) is negative; short positions are not allowed")
            }
            price.append(p)
            held.append(h)
            unit.append(policy.fractionalDecimals.map { pow(10, -Double($0)) } ?? (lotSizes[s] ?? 1))
        }
        let n = symbols.count
        let flow = Self.cents(account.cashFlow?.amount ?? 0)
        let cashBefore = Self.cents(account.cash)
        var value = (0..<n).map { Self.cents(held[$0] * price[$0]) }
        let investedBefore = value.reduce(0, +)
        let totalBefore = investedBefore + cashBefore
        let total = totalBefore + flow
        guard total > 0 else {
            throw RebalanceError(
                accountId: id, field: "cashFlow",
                "the withdrawal of \(Self.money(-flow)) exceeds the account's value \(Self.money(totalBefore))")
        }
        let targetWeight = symbols.map { target[$0] ?? 0 }
        let targetCash = target[cashSymbol] ?? 0
        func weights(_ v: [Cents], _ cash: Cents, _ tot: Cents) -> [String: Double] {
            var w: [String: Double] = [:]
            for i in 0..<n { w[symbols[i]] = tot > 0 ? Double(v[i]) / Double(tot) : 0 }
            w[cashSymbol] = tot > 0 ? Double(cash) / Double(tot) : 0
            return w
        }
        func drift(_ v: [Cents], _ cash: Cents, _ tot: Cents) -> Double {
            guard tot > 0 else { return 0 }
            var d = abs(Double(cash) / Double(tot) - targetCash)
            for i in 0..<n { d += abs(Double(v[i]) / Double(tot) - targetWeight[i]) }
            return d / 2
        }
        let weightsBefore = weights(value, cashBefore, totalBefore)
        let driftBefore = drift(value, cashBefore, totalBefore)
        // Trigger.
        let current = (0..<n).map { totalBefore > 0 ? Double(value[$0]) / Double(totalBefore) : 0 }
        let absoluteBreach = (0..<n).filter { abs(current[$0] - targetWeight[$0]) > policy.absoluteBand + 1e-12 }
        let relativeBreach = (0..<n).filter {
            targetWeight[$0] > 0
                ? abs(current[$0] - targetWeight[$0]) / targetWeight[$0] > policy.relativeBand + 1e-12 : current[$0] > 1e-12
        }
        let calendarDue = account.lastRebalance.map { asOf >= $0.adding(months: policy.period.months) } ?? true
        var fired: String?
        switch policy.trigger {
        case .absoluteBand:
            if let i = absoluteBreach.first {
                fired = "absolute band: \(symbols[i]) off target by more than \(percentString(policy.absoluteBand))"
            }
        case .relativeBand:
            if let i = relativeBreach.first {
                fired = "relative band: \(symbols[i]) off target by more than \(percentString(policy.relativeBand)) of its target"
            }
        case .fiveTwentyFive:
            if let i = absoluteBreach.first {
                fired = "5/25 rule: \(symbols[i]) off target by more than \(percentString(policy.absoluteBand))"
            } else if let i = relativeBreach.first {
                fired = "5/25 rule: \(symbols[i]) off target by more than \(percentString(policy.relativeBand)) of its target"
            }
        case .portfolioDrift:
            if driftBefore > policy.driftThreshold + 1e-12 {
                fired = "portfolio drift \(percentString(driftBefore)) above \(percentString(policy.driftThreshold))"
            }
        case .calendar: if calendarDue { fired = "calendar: \(policy.period.rawValue) rebalance due" }
        case .calendarAndThreshold:
            if calendarDue && (!absoluteBreach.isEmpty || !relativeBreach.isEmpty) {
                fired = "calendar and threshold: \(policy.period.rawValue) review with assets outside their bands"
            }
        }
        // Desired values.
        var desired: [Double] = (0..<n).map { Double(value[$0]) }
        var status: PlanStatus
        var reason: String
        if let fired {
            status = .rebalanced
            reason = fired
            for i in 0..<n {
                let goal = targetWeight[i] * Double(total)
                if policy.destination == .target || policy.trigger == .calendar {
                    desired[i] = goal
                } else {
                    // Back to the nearest edge of the band, only for assets outside it.
                    let w = Double(value[i]) / Double(total)
                    let band = policy.trigger == .relativeBand ? policy.relativeBand * targetWeight[i] : policy.absoluteBand
                    if w > targetWeight[i] + band { desired[i] = (targetWeight[i] + band) * Double(total) }
                    if w < targetWeight[i] - band { desired[i] = (targetWeight[i] - band) * Double(total) }
                }
            }
        } else if flow != 0 {
            status = .cashFlowOnly
            reason =
                flow > 0
                ? "deposit of \(Self.money(flow)): buys the most underweight assets"
                : "withdrawal of \(Self.money(-flow)): sells the most overweight assets"
            let gap = (0..<n).map { targetWeight[$0] * Double(total) - Double(value[$0]) }
            if flow > 0 {
                let room = Double(flow) - Swift.max(0, targetCash * Double(total) - Double(cashBefore))
                let under = (0..<n).filter { gap[$0] > 0 }
                let need = under.reduce(0) { $0 + gap[$1] }
                if need > 0 && room > 0 { for i in under { desired[i] += gap[i] * Swift.min(1, room / need) } }
            } else {
                let shortfall = Double(-flow) - Double(cashBefore) + policy.cashBuffer * Double(total)
                let over = (0..<n).filter { gap[$0] < 0 }
                let excess = over.reduce(0) { $0 - gap[$1] }
                if shortfall > 0 {
                    if excess > 0 { for i in over { desired[i] += gap[i] * Swift.min(1, shortfall / excess) } }
                    // Still short: sell the rest in proportion to value.
                    let remaining = shortfall - Swift.min(shortfall, excess)
                    let invested = Double(investedBefore)
                    if remaining > 0 && invested > 0 { for i in 0..<n { desired[i] -= remaining * Double(value[i]) / invested } }
                }
            }
        } else {
            return RebalancePlan(
                accountId: id, status: .withinBand, trigger: "no trigger: every asset within its band", trades: [],
                cashBefore: Self.money(cashBefore),
                cashAfter: Self.money(cashBefore), weightsBefore: weightsBefore, weightsAfter: weightsBefore, driftBefore: driftBefore,
                driftAfter: driftBefore,
                turnover: 0, estimatedCost: 0, notes: [])
        }
        var notes: [String] = []
        // Turnover limit: scale every change by the same factor.
        if let limit = policy.maximumTurnover {
            let turnover = (0..<n).reduce(0.0) { $0 + abs(desired[$1] - Double(value[$1])) } / 2 / Double(total)
            if turnover > limit {
                let f = limit / turnover
                for i in 0..<n { desired[i] = Double(value[i]) + f * (desired[i] - Double(value[i])) }
                notes.append("turnover limited to \(percentString(limit)) (would have been \(percentString(turnover)))")
            }
        }
        func cost(_ v: Cents) -> Cents {
            let proportional = Double(v) * policy.costBasisPoints / 10_000
            return Swift.max(Self.cents(policy.minimumCost), Cents(proportional.rounded()) + Self.cents(policy.fixedCost))
        }
        let minimumTrade = Self.cents(policy.minimumTradeValue)
        let buffer = Self.cents(policy.cashBuffer * Self.money(total))
        var cash = cashBefore
        var trades: [PlannedTrade] = []
        var quantity = held
        var sales: Cents = 0
        var purchases: Cents = 0
        var costs: Cents = 0
        var skippedSmall = false
        var limitedByLots = false
        // An asset sold in this plan is never bought back in it.
        var sold = Set<Int>()
        // Sells first, largest excess first.
        for i in (0..<n).sorted(by: { (Double(value[$0]) - desired[$0]) > (Double(value[$1]) - desired[$1]) }) {
            let excess = Double(value[i]) - desired[i]
            guard excess > 0 else { continue }
            let step = unit[i] * price[i] * 100  // cents per unit
            let maxUnits = (quantity[i] / unit[i] + 1e-9).rounded(.down)
            var units = Swift.min((excess / step + 1e-9).rounded(.down), maxUnits)
            if units < (excess / step) - 1e-9 { limitedByLots = true }
            if units <= 0 { continue }
            let proceeds = Self.cents(units * unit[i] * price[i])
            if proceeds < minimumTrade {
                skippedSmall = true
                continue
            }
            let fee = cost(proceeds)
            if fee >= proceeds {
                skippedSmall = true
                continue
            }
            quantity[i] -= units * unit[i]
            if quantity[i] < 1e-9 * Swift.max(1, held[i]) { quantity[i] = 0 }
            sales += proceeds
            costs += fee
            cash += proceeds - fee
            value[i] = Self.cents(quantity[i] * price[i])
            sold.insert(i)
            trades.append(
                PlannedTrade(
                    symbol: symbols[i], side: .sell, quantity: roundQuantity(units * unit[i]), price: price[i], value: Self.money(proceeds),
                    cost: Self.money(fee), reason: reasonText(status, sell: true, symbols[i], reason)))
        }
        // The cash flow moves after the sells.
        cash += flow
        if cash < buffer {
            // Rounding left the withdrawal short: sell one more unit of the largest holdings.
            for i in (0..<n).sorted(by: { value[$0] > value[$1] }) where cash < buffer && quantity[i] >= unit[i] - 1e-12 {
                let need = Double(buffer - cash)
                let step = unit[i] * price[i] * 100
                let units = Swift.min(((need / step) + 1).rounded(.down) + 1, (quantity[i] / unit[i] + 1e-9).rounded(.down))
                let proceeds = Self.cents(units * unit[i] * price[i])
                let fee = cost(proceeds)
                guard proceeds > fee else { continue }
                quantity[i] -= units * unit[i]
                sales += proceeds
                costs += fee
                cash += proceeds - fee
                value[i] = Self.cents(quantity[i] * price[i])
                sold.insert(i)
                trades.append(
                    PlannedTrade(
                        symbol: symbols[i], side: .sell, quantity: roundQuantity(units * unit[i]), price: price[i],
                        value: Self.money(proceeds),
                        cost: Self.money(fee), reason: "raises cash for the withdrawal"))
            }
            if cash < buffer {
                throw RebalanceError(
                    accountId: id, field: "cashFlow", "the withdrawal cannot be met while keeping the cash buffer of \(Self.money(buffer))")
            }
        }
        // Buys, largest shortfall first, within the cash above the buffer.
        for i in (0..<n).sorted(by: { (desired[$0] - Double(value[$0])) > (desired[$1] - Double(value[$1])) }) {
            let shortfall = desired[i] - Double(value[i])
            guard shortfall > 0, !sold.contains(i) else { continue }
            let step = unit[i] * price[i] * 100
            var units = (shortfall / step + 1e-9).rounded(.down)
            if units < shortfall / step - 1e-9 { limitedByLots = true }
            while units > 0 {
                let spend = Self.cents(units * unit[i] * price[i])
                if cash - spend - cost(spend) >= buffer { break }
                // Not enough cash: the most that fits.
                let affordable = (Double(cash - buffer - cost(spend)) / step).rounded(.down)
                units = Swift.min(units - 1, Swift.max(affordable, 0))
                limitedByLots = true
            }
            guard units > 0 else { continue }
            let spend = Self.cents(units * unit[i] * price[i])
            if spend < minimumTrade {
                skippedSmall = true
                continue
            }
            let fee = cost(spend)
            quantity[i] += units * unit[i]
            purchases += spend
            costs += fee
            cash -= spend + fee
            value[i] = Self.cents(quantity[i] * price[i])
            trades.append(
                PlannedTrade(
                    symbol: symbols[i], side: .buy, quantity: roundQuantity(units * unit[i]), price: price[i], value: Self.money(spend),
                    cost: Self.money(fee),
                    reason: reasonText(status, sell: false, symbols[i], reason)))
        }
        precondition(cash == cashBefore + flow + sales - purchases - costs, "money not conserved for account \(id)")
        let totalAfter = value.reduce(0, +) + cash
        let driftAfter = drift(value, cash, totalAfter)
        if status == .rebalanced {
            let after = (0..<n).map { totalAfter > 0 ? Double(value[$0]) / Double(totalAfter) : 0 }
            let outside = (0..<n).filter { abs(after[$0] - targetWeight[$0]) > policy.absoluteBand + 1e-9 }
            if !outside.isEmpty {
                var why: [String] = []
                if limitedByLots { why.append("whole lots and available cash") }
                if skippedSmall { why.append("the minimum trade value and costs") }
                if policy.maximumTurnover != nil { why.append("the turnover limit") }
                notes.append(
                    "still outside the band after trading: \(outside.map { symbols[$0] }.joined(separator: ", "))"
                        + (why.isEmpty ? "" : " (limited by \(why.joined(separator: ", ")))"))
            }
        }
        let traded = trades.reduce(0.0) { $0 + $1.value }
        return RebalancePlan(
            accountId: id, status: status, trigger: reason, trades: trades, cashBefore: Self.money(cashBefore), cashAfter: Self.money(cash),
            weightsBefore: weightsBefore, weightsAfter: weights(value, cash, totalAfter), driftBefore: driftBefore, driftAfter: driftAfter,
            turnover: Self.money(total) > 0 ? traded / 2 / Self.money(total) : 0, estimatedCost: Self.money(costs), notes: notes)
    }

    func roundQuantity(_ q: Double) -> Double { (q * 1e8).rounded() / 1e8 }

    func reasonText(_ status: PlanStatus, sell: Bool, _ symbol: String, _ why: String) -> String {
        switch status {
        case .cashFlowOnly: return sell ? "overweight: sold to fund the withdrawal" : "underweight: bought with the deposit"
        default: return (sell ? "overweight" : "underweight") + " (\(why))"
        }
    }
}

func percentString(_ x: Double) -> String { String(format: "%.2f%%", x * 100) }
