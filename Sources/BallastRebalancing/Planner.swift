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
    /// Triggers, bands, destination, costs, lots and limits.
    public var policy: RebalancePolicy
    /// Lot size by symbol (default 1), used unless the policy asks for fractional quantities.
    public var lotSizes: [String: Double]
    /// The symbol that stands for cash in target weights.
    public var cashSymbol: String
    /// The pre-trade controls every plan is checked against (`nil`: none): a plan that breaks
    /// one is `held`, every plan is `suspended` while a suspension is set.
    public var controls: PlanControls?

    /// The key that stands for the account's cash in target weights and in a plan's weights
    /// unless a planner is given another (`CASH`).
    public static let defaultCashSymbol = "CASH"

    /// A planner; lot sizes by symbol default to 1, and ``defaultCashSymbol`` stands for cash
    /// in targets.
    public init(policy: RebalancePolicy, lotSizes: [String: Double] = [:], cashSymbol: String = RebalancePlanner.defaultCashSymbol) {
        self.policy = policy
        self.lotSizes = lotSizes
        self.cashSymbol = cashSymbol
    }

    static func cents(_ x: Double) -> Cents { Cents(roundedHalfAway(x * 100)) }
    static func money(_ c: Cents) -> Double { Double(c) / 100 }

    /// Plans the rebalance of `account` at `prices` toward `target` as of a date.
    ///
    /// - Parameters:
    ///   - account: holdings, cash, cash flow and last rebalance date.
    ///   - target: symbol to weight, summing to one; `CASH` may appear.
    ///   - prices: symbol to price for every held or targeted symbol.
    ///   - asOf: the date of the prices (calendar triggers count from the last rebalance).
    /// - Throws: ``RebalanceError`` for a missing or non-positive price, target weights that
    ///   do not sum to one, negative holdings or cash, or a withdrawal larger than the account.
    public func plan(for account: Account, toward target: [String: Double], at prices: [String: Double], asOf: MarketDate)
        throws(RebalanceError) -> RebalancePlan
    {
        let id = account.id
        if let p = policy.problems.first { throw RebalanceError(accountId: id, field: "policy", p) }
        try Self.checkTarget(target, accountId: id)
        // Assets: held or targeted, cash excluded, in a fixed order.
        let symbols = Set(account.holdings.keys).union(target.keys.filter { $0 != cashSymbol }).sorted()
        var price: [Double] = []
        var unit: [Double] = []
        var held: [Double] = []
        for s in symbols {
            guard let p = prices[s], p > 0, p.isFinite else {
                throw RebalanceError(accountId: id, field: "prices.\(s)", "no positive price for \(s) at \(asOf)")
            }
            price.append(p)
            held.append(account.holdings[s] ?? 0)
            unit.append(self.unit(for: s))
        }
        let core = try planCore(
            id: id, symbols: symbols, price: price, unit: unit, held: held, targetWeight: symbols.map { target[$0] ?? 0 },
            targetCash: target[cashSymbol] ?? 0, cash: account.cash.amount, flow: account.cashFlow?.amount.amount ?? 0,
            lastRebalance: account.lastRebalance, asOf: asOf, level: PlanControls.level(ofModel: account.model))
        func weights(_ v: [Cents], _ cash: Cents, _ tot: Cents) -> [String: Double] {
            var w: [String: Double] = [:]
            for i in symbols.indices { w[symbols[i]] = Self.fraction(v[i], of: tot) }
            w[cashSymbol] = Self.fraction(cash, of: tot)
            return w
        }
        return RebalancePlan(
            accountId: id, status: core.status,
            trigger: core.trigger.typed(symbols: symbols, policy: policy),
            trades: core.trades.map {
                PlannedTrade(
                    symbol: symbols[$0.asset], side: $0.side, quantity: $0.quantity, price: price[$0.asset], value: Money(cents: $0.value),
                    cost: Money(cents: $0.cost), reason: $0.reason)
            },
            cashBefore: Money(cents: core.cashBefore), cashAfter: Money(cents: core.cashAfter),
            weightsBefore: weights(core.valueBefore, core.cashBefore, core.totalBefore),
            weightsAfter: weights(core.valueAfter, core.cashAfter, core.totalAfter), driftBefore: core.driftBefore,
            driftAfter: core.driftAfter, turnover: core.turnover, estimatedCost: Money(cents: core.costs), notes: core.notes)
    }

    /// The quantity step of a symbol: a whole lot, or 10^-decimals with fractional quantities.
    func unit(for symbol: String) -> Double {
        policy.fractionalDecimals.map { pow(10, -Double($0)) } ?? (lotSizes[symbol] ?? 1)
    }

    /// A plan's mark on an asset whose destination is the edge of its band.
    static let edgeMark: UInt8 = 64
    /// A plan's mark on an asset it sells (never bought back in the same plan).
    static let soldMark: UInt8 = 128

    /// The half-width of an asset's band under the policy's trigger: `|w - w*|` may be at most
    /// this. The absolute band (absolute-band and portfolio-drift triggers, and calendar, whose
    /// trades go to target), the relative band times the target weight (relative-band), or the
    /// narrower of the two (5/25 and calendar-and-threshold, which fire on either).
    func bandHalfWidth(target w: Double) -> Double {
        switch policy.trigger {
        case .absoluteBand, .portfolioDrift, .calendar: policy.absoluteBand
        case .relativeBand: policy.relativeBand * w
        case .fiveTwentyFive, .calendarAndThreshold: Swift.min(policy.absoluteBand, policy.relativeBand * w)
        }
    }

    /// The constraints that kept an asset from the value a plan wanted for it.
    struct Binding: OptionSet {
        let rawValue: UInt8
        /// Whole lots: the rounded trade leaves the asset outside its band, and one more lot would
        /// carry it across the band (the band is narrower than a lot).
        static let lots = Binding(rawValue: 1)
        /// The cash above the buffer could not pay for more.
        static let cash = Binding(rawValue: 2)
        /// The trade was below the minimum trade value.
        static let minimumTrade = Binding(rawValue: 4)
        /// The trade would have cost as much as it was worth, or the costs paid shrank the account.
        static let costs = Binding(rawValue: 8)
        /// Every change was scaled down to the turnover limit.
        static let turnover = Binding(rawValue: 16)
        /// Sold to fund the withdrawal.
        static let withdrawal = Binding(rawValue: 32)
        /// The bits of every binding above (the two higher bits are the plan's own marks).
        static let all: UInt8 = 63

        var text: String {
            var parts: [String] = []
            if contains(.lots) { parts.append("whole lots") }
            if contains(.cash) { parts.append("available cash") }
            if contains(.minimumTrade) { parts.append("the minimum trade value") }
            if contains(.costs) { parts.append("trade costs") }
            if contains(.turnover) { parts.append("the turnover limit") }
            if contains(.withdrawal) { parts.append("the withdrawal") }
            return parts.joined(separator: ", ")
        }
    }

    static func checkTarget(_ target: [String: Double], accountId id: String?) throws(RebalanceError) {
        let weightSum = target.values.reduce(0, +)
        guard abs(weightSum - 1) <= 1e-6, target.values.allSatisfy({ $0 >= 0 && $0.isFinite }) else {
            throw RebalanceError(accountId: id, field: "target", "weights must be non-negative and sum to 1 (they sum to \(weightSum))")
        }
    }

    static func fraction(_ part: Cents, of total: Cents) -> Double { total > 0 ? Double(part) / Double(total) : 0 }

    /// One trade of the core, by asset index; money in cents.
    struct CoreTrade {
        var asset: Int
        var side: PlannedTrade.Side
        var quantity: Double
        var value: Cents
        var cost: Cents
        var reason: PlannedTrade.Reason
    }

    /// The plan by asset index, before names are attached. Single plans and the batch writer
    /// both come from this, so they cannot disagree.
    /// Why a plan trades (or does not): the rule that fired with the asset it fired on.
    enum Trigger: Hashable {
        case absoluteBand(Int), relativeBand(Int), fiveTwentyFiveAbsolute(Int), fiveTwentyFiveRelative(Int)
        case portfolioDrift(Double), calendar, calendarAndThreshold
        case deposit(Cents), withdrawal(Cents)
        case none

        /// The asset a band trigger fired on.
        var asset: Int? {
            switch self {
            case .absoluteBand(let i), .relativeBand(let i), .fiveTwentyFiveAbsolute(let i), .fiveTwentyFiveRelative(let i): i
            default: nil
            }
        }

        /// The public trigger: the rule, the asset's symbol and the words.
        func typed(symbols: [String], policy: RebalancePolicy) -> PlanTrigger {
            let symbol = asset.map { symbols[$0] }
            let cause: PlanTrigger.Cause =
                switch self {
                case .absoluteBand: .rule(.absoluteBand)
                case .relativeBand: .rule(.relativeBand)
                case .fiveTwentyFiveAbsolute, .fiveTwentyFiveRelative: .rule(.fiveTwentyFive)
                case .portfolioDrift: .rule(.portfolioDrift)
                case .calendar: .rule(.calendar)
                case .calendarAndThreshold: .rule(.calendarAndThreshold)
                case .deposit: .deposit
                case .withdrawal: .withdrawal
                case .none: .none
                }
            return PlanTrigger(cause: cause, asset: symbol, text: text(symbol: symbol ?? "", policy: policy))
        }

        func text(symbol: String, policy: RebalancePolicy) -> String {
            switch self {
            case .absoluteBand: "absolute band: \(symbol) off target by more than \(percentString(policy.absoluteBand))"
            case .relativeBand: "relative band: \(symbol) off target by more than \(percentString(policy.relativeBand)) of its target"
            case .fiveTwentyFiveAbsolute: "5/25 rule: \(symbol) off target by more than \(percentString(policy.absoluteBand))"
            case .fiveTwentyFiveRelative:
                "5/25 rule: \(symbol) off target by more than \(percentString(policy.relativeBand)) of its target"
            case .portfolioDrift(let d): "portfolio drift \(percentString(d)) above \(percentString(policy.driftThreshold))"
            case .calendar: "calendar: \(policy.period.rawValue) rebalance due"
            case .calendarAndThreshold: "calendar and threshold: \(policy.period.rawValue) review with assets outside their bands"
            case .deposit(let c): "deposit of \(RebalancePlanner.money(c)): buys the most underweight assets"
            case .withdrawal(let c): "withdrawal of \(RebalancePlanner.money(c)): sells the most overweight assets"
            case .none: "no trigger: every asset within its band"
            }
        }
    }

    struct PlanCore {
        var status: PlanStatus
        var trigger: Trigger
        var trades: [CoreTrade] = []
        var cashBefore: Cents
        var cashAfter: Cents
        var valueBefore: [Cents]
        var valueAfter: [Cents]
        var totalBefore: Cents
        var totalAfter: Cents
        var driftBefore: Double
        var driftAfter: Double
        var turnover = 0.0
        var costs: Cents = 0
        var notes: [String] = []

        /// The account left as it is, under `status`, with `note` added.
        func withheld(_ status: PlanStatus, note: String) -> PlanCore {
            var c = PlanCore(
                status: status, trigger: trigger, cashBefore: cashBefore, cashAfter: cashBefore, valueBefore: valueBefore,
                valueAfter: valueBefore, totalBefore: totalBefore, totalAfter: totalBefore, driftBefore: driftBefore,
                driftAfter: driftBefore)
            c.notes = notes + [note]
            return c
        }
    }

    /// Whether asset `i`, worth `value` of `total`, is outside its band around `target` under
    /// the absolute and the relative rule (the tests the trigger uses).
    @inline(__always)
    func breaches(value: Cents, total: Cents, target: Double) -> (absolute: Bool, relative: Bool) {
        let w = Self.fraction(value, of: total)
        return (
            abs(w - target) > policy.absoluteBand + 1e-12,
            target > 0 && abs(w - target) / target > policy.relativeBand + 1e-12
        )
    }

    /// The policy's trigger on the values before any cash flow: the one rule that decides
    /// whether a rebalance is due, for plans and for ``review(_:toward:at:asOf:)``.
    func firedTrigger(
        value: [Cents], total: Cents, targetWeight: [Double], drift: Double, lastRebalance: MarketDate?, asOf: MarketDate
    ) -> Trigger? {
        // The first asset (in symbol order) outside each band. The relative band is a fraction
        // of the target: it never fires on a target of zero (the absolute band does).
        var absoluteBreach: Int?
        var relativeBreach: Int?
        for i in value.indices {
            let b = breaches(value: value[i], total: total, target: targetWeight[i])
            if absoluteBreach == nil && b.absolute { absoluteBreach = i }
            if relativeBreach == nil && b.relative { relativeBreach = i }
        }
        let calendarDue = lastRebalance.map { asOf >= $0.adding(months: policy.period.months) } ?? true
        switch policy.trigger {
        case .absoluteBand: return absoluteBreach.map { .absoluteBand($0) }
        case .relativeBand: return relativeBreach.map { .relativeBand($0) }
        case .fiveTwentyFive:
            if let i = absoluteBreach { return .fiveTwentyFiveAbsolute(i) }
            return relativeBreach.map { .fiveTwentyFiveRelative($0) }
        case .portfolioDrift: return drift > policy.driftThreshold + 1e-12 ? .portfolioDrift(drift) : nil
        case .calendar: return calendarDue ? .calendar : nil
        case .calendarAndThreshold: return calendarDue && (absoluteBreach != nil || relativeBreach != nil) ? .calendarAndThreshold : nil
        }
    }

    /// The planning rules on arrays indexed by asset (sorted by symbol). Prices are positive
    /// and the policy and target already checked.
    /// The plan, then the pre-trade controls: a suspension, or a limit the plan breaks, leaves
    /// the account as it is (no trade, no cash flow) with a note that says why.
    func planCore(
        id: String, symbols: [String], price: [Double], unit: [Double], held: [Double], targetWeight: [Double], targetCash: Double,
        cash accountCash: Double, flow flowAmount: Double, lastRebalance: MarketDate?, asOf: MarketDate, level: Int?
    ) throws(RebalanceError) -> PlanCore {
        let core = try planTrades(
            id: id, symbols: symbols, price: price, unit: unit, held: held, targetWeight: targetWeight, targetCash: targetCash,
            cash: accountCash, flow: flowAmount, lastRebalance: lastRebalance, asOf: asOf)
        guard let controls else { return core }
        if let reason = controls.suspension { return core.withheld(.suspended, note: "suspended: \(reason); no trade is released") }
        guard !core.trades.isEmpty else { return core }
        var breaches: [String] = []
        let limits = controls.limits
        if let m = limits.maximumTurnover, core.turnover > m + 1e-12 {
            breaches.append("turnover \(percentString(core.turnover)) above the limit \(percentString(m)) (account.maximumTurnover)")
        }
        var named = Set<String>()
        for t in core.trades {
            let s = symbols[t.asset]
            if let why = controls.stopped[s], named.insert(s).inserted { breaches.append("no trade in \(why)") }
            let value = Self.money(t.value)
            if let m = limits.maximumTradeValue, value > m {
                breaches.append(
                    "\(s): a trade of \(moneyString(t.value)) above the limit \(moneyString(Self.cents(m))) (account.maximumTradeValue)")
            }
            if let m = limits.maximumTradeShare, core.totalBefore > 0, Double(t.value) / Double(core.totalBefore) > m + 1e-12 {
                breaches.append(
                    "\(s): a trade of \(percentString(Double(t.value) / Double(core.totalBefore))) of the account, above the limit \(percentString(m)) (account.maximumTradeShare)"
                )
            }
            guard t.side == .buy else { continue }
            if limits.levelProductsOnly, let level, let rating = controls.ratings[s], rating > level {
                breaches.append("\(s) is rated R\(rating), above the account's level C\(level) (account.levelProductsOnly)")
            }
            if let m = limits.maximumPositionWeight, Self.fraction(core.valueAfter[t.asset], of: core.totalAfter) > m + 1e-12 {
                breaches.append(
                    "\(s) would weigh \(percentString(Self.fraction(core.valueAfter[t.asset], of: core.totalAfter))) after the plan, above the limit \(percentString(m)) (account.maximumPositionWeight)"
                )
            }
        }
        guard !breaches.isEmpty else { return core }
        return core.withheld(.held, note: "held by the pre-trade controls: " + breaches.joined(separator: "; "))
    }

    /// The plan's trades before the pre-trade controls.
    func planTrades(
        id: String, symbols: [String], price: [Double], unit: [Double], held: [Double], targetWeight: [Double], targetCash: Double,
        cash accountCash: Double, flow flowAmount: Double, lastRebalance: MarketDate?, asOf: MarketDate
    ) throws(RebalanceError) -> PlanCore {
        guard accountCash >= 0, accountCash.isFinite else {
            throw RebalanceError(accountId: id, field: "cash", "must be a finite amount at least 0")
        }
        guard flowAmount.isFinite else { throw RebalanceError(accountId: id, field: "cashFlow.amount", "must be a finite amount") }
        let n = symbols.count
        for i in 0..<n where !(held[i] >= 0) || !held[i].isFinite {
            throw RebalanceError(
                accountId: id, field: "holdings.\(symbols[i])", "quantity \(held[i]) is negative; short positions are not allowed")
        }
        // Money is kept in Int64 cents; refuse amounts that would not fit, with room for sums.
        let largest = 1e13
        guard accountCash < largest, abs(flowAmount) < largest else {
            throw RebalanceError(
                accountId: id, field: accountCash < largest ? "cashFlow.amount" : "cash", "is above 10^13, beyond what a plan handles")
        }
        for i in 0..<n where held[i] * price[i] >= largest {
            throw RebalanceError(
                accountId: id, field: "holdings.\(symbols[i])",
                "the position is worth \(held[i] * price[i]), beyond what a plan handles (10^13)")
        }
        let flow = Self.cents(flowAmount)
        let cashBefore = Self.cents(accountCash)
        var value = [Cents](repeating: 0, count: n)
        for i in 0..<n { value[i] = Self.cents(held[i] * price[i]) }
        let valueBefore = value
        let investedBefore = value.reduce(0, +)
        let totalBefore = investedBefore + cashBefore
        let total = totalBefore + flow
        guard total > 0 else {
            if flow < 0 {
                throw RebalanceError(
                    accountId: id, field: "cashFlow",
                    "the withdrawal of \(Self.money(-flow)) exceeds the account's value \(Self.money(totalBefore))")
            }
            throw RebalanceError(
                accountId: id, field: "cash", "the account has no value (no cash and no holdings worth a cent): there is nothing to plan")
        }
        func drift(_ v: [Cents], _ cash: Cents, _ tot: Cents) -> Double {
            guard tot > 0 else { return 0 }
            var d = abs(Double(cash) / Double(tot) - targetCash)
            for i in 0..<n { d += abs(Double(v[i]) / Double(tot) - targetWeight[i]) }
            return d / 2
        }
        let driftBefore = drift(value, cashBefore, totalBefore)
        let fired = firedTrigger(
            value: value, total: totalBefore, targetWeight: targetWeight, drift: driftBefore, lastRebalance: lastRebalance, asOf: asOf)
        if fired == nil && flow == 0 {
            // Nothing to do: return before allocating what planning trades needs.
            return PlanCore(
                status: .withinBand, trigger: .none, cashBefore: cashBefore, cashAfter: cashBefore,
                valueBefore: valueBefore, valueAfter: valueBefore, totalBefore: totalBefore, totalAfter: totalBefore,
                driftBefore: driftBefore, driftAfter: driftBefore)
        }
        // Desired values.
        var desired = [Double](repeating: 0, count: n)
        for i in 0..<n { desired[i] = Double(value[i]) }
        var status: PlanStatus
        var reason: Trigger
        // What kept each asset from its desired value (see `Binding`), and two marks of the
        // plan's own (`edgeMark`, `soldMark`): one byte per asset, one array for all of them.
        // Raw bits: an array of a standard-library element type needs no metadata look-up per plan.
        var bound = [UInt8](repeating: 0, count: n)
        // Band edges in cents of the account's value after the flow (rebalances only; 0 otherwise).
        let banded = fired != nil
        func low(_ i: Int) -> Double {
            banded ? (targetWeight[i] - bandHalfWidth(target: targetWeight[i])) * Double(total) : 0
        }
        func high(_ i: Int) -> Double {
            banded ? (targetWeight[i] + bandHalfWidth(target: targetWeight[i])) * Double(total) : 0
        }
        if let fired {
            status = .rebalanced
            reason = fired
            for i in 0..<n {
                let goal = targetWeight[i] * Double(total)
                let half = bandHalfWidth(target: targetWeight[i])
                if policy.destination == .target || policy.trigger == .calendar {
                    desired[i] = goal
                } else {
                    // Back to just inside the nearest edge of the asset's band (1% of the band's
                    // half-width inside, so that costs do not push it back out), only for assets
                    // outside it.
                    let w = Double(value[i]) / Double(total)
                    let margin = 0.01 * half
                    if w > targetWeight[i] + half + 1e-12 {
                        desired[i] = (targetWeight[i] + half - margin) * Double(total)
                        bound[i] |= Self.edgeMark
                    }
                    if w < targetWeight[i] - half - 1e-12 {
                        desired[i] = (targetWeight[i] - half + margin) * Double(total)
                        bound[i] |= Self.edgeMark
                    }
                }
            }
        } else if flow != 0 {
            status = .cashFlowOnly
            reason = flow > 0 ? .deposit(flow) : .withdrawal(-flow)
            // The gap to each target, computed where it is used (no array per plan).
            func gap(_ i: Int) -> Double { targetWeight[i] * Double(total) - Double(value[i]) }
            if flow > 0 {
                let room = Double(flow) - Swift.max(0, targetCash * Double(total) - Double(cashBefore))
                var need = 0.0
                for i in 0..<n where gap(i) > 0 { need += gap(i) }
                if need > 0 && room > 0 { for i in 0..<n where gap(i) > 0 { desired[i] += gap(i) * Swift.min(1, room / need) } }
            } else {
                let shortfall = Double(-flow) - Double(cashBefore) + policy.cashBuffer * Double(total)
                var excess = 0.0
                for i in 0..<n where gap(i) < 0 { excess -= gap(i) }
                if shortfall > 0 {
                    if excess > 0 { for i in 0..<n where gap(i) < 0 { desired[i] += gap(i) * Swift.min(1, shortfall / excess) } }
                    // Still short: sell the rest in proportion to value.
                    let remaining = shortfall - Swift.min(shortfall, excess)
                    let invested = Double(investedBefore)
                    if remaining > 0 && invested > 0 { for i in 0..<n { desired[i] -= remaining * Double(value[i]) / invested } }
                }
            }
        } else {
            return PlanCore(
                status: .withinBand, trigger: .none, cashBefore: cashBefore, cashAfter: cashBefore,
                valueBefore: valueBefore, valueAfter: valueBefore, totalBefore: totalBefore, totalAfter: totalBefore,
                driftBefore: driftBefore, driftAfter: driftBefore)
        }
        var notes: [String] = []
        // Turnover limit: scale every change by the same factor.
        if let limit = policy.maximumTurnover {
            let turnover = (0..<n).reduce(0.0) { $0 + abs(desired[$1] - Double(value[$1])) } / 2 / Double(total)
            if turnover > limit {
                // Lots, cash and the minimum trade may keep the unlimited plan within the limit
                // anyway; then it is the plan, and the limit does not bind.
                var unlimited = self
                unlimited.policy.maximumTurnover = nil
                let free = try unlimited.planTrades(
                    id: id, symbols: symbols, price: price, unit: unit, held: held, targetWeight: targetWeight, targetCash: targetCash,
                    cash: accountCash, flow: flowAmount, lastRebalance: lastRebalance, asOf: asOf)
                if free.turnover <= limit + 1e-12 { return free }
                let f = limit / turnover
                for i in 0..<n where desired[i] != Double(value[i]) {
                    desired[i] = Double(value[i]) + f * (desired[i] - Double(value[i]))
                    bound[i] |= Binding.turnover.rawValue
                }
                notes.append("turnover limited to \(percentString(limit)) (would have been \(percentString(turnover)))")
            }
        }
        let costModel = policy.costModel
        func cost(_ v: Cents) -> Cents { costModel.cost(ofTradeCents: v) }
        let minimumTrade = Self.cents(policy.minimumTradeValue)
        let buffer = Self.cents(policy.cashBuffer * Self.money(total))
        var cash = cashBefore
        var trades: [CoreTrade] = []
        trades.reserveCapacity(n)
        var quantity = held
        var sales: Cents = 0
        var purchases: Cents = 0
        var costs: Cents = 0
        var skippedSmall = false
        // An asset sold in this plan (`soldMark`) is never bought back in it.
        let sellReason: PlannedTrade.Reason = status == .cashFlowOnly ? .overweightForWithdrawal : .overweight
        let buyReason: PlannedTrade.Reason = status == .cashFlowOnly ? .underweightWithDeposit : .underweight
        // Sells first, largest excess first.
        var order = [Int](repeating: 0, count: n)
        Self.order(&order) { (Double(value[$0]) - desired[$0]) > (Double(value[$1]) - desired[$1]) }
        for i in order {
            let excess = Double(value[i]) - desired[i]
            guard excess > 0 else { continue }
            let step = unit[i] * price[i] * 100  // cents per unit
            let maxUnits = (quantity[i] / unit[i] + 1e-9).rounded(.down)
            var units = Swift.min((excess / step + 1e-9).rounded(.down), maxUnits)
            if units < (excess / step) - 1e-9 && Double(value[i]) - units * step > high(i) + 1e-6 {
                // Whole lots leave the asset above its band.
                if bound[i] & Self.edgeMark != 0 && units < maxUnits && Double(value[i]) - (units + 1) * step >= low(i) - 1e-6 {
                    units += 1  // band edge: one more lot lands inside it
                } else {
                    bound[i] |= Binding.lots.rawValue  // the band is narrower than a lot
                }
            }
            if units <= 0 { continue }
            let proceeds = Self.cents(units * unit[i] * price[i])
            if proceeds < minimumTrade {
                skippedSmall = true
                bound[i] |= Binding.minimumTrade.rawValue
                continue
            }
            let fee = cost(proceeds)
            if fee >= proceeds {
                bound[i] |= Binding.costs.rawValue
                continue
            }
            quantity[i] -= units * unit[i]
            if quantity[i] < 1e-9 * Swift.max(1, held[i]) { quantity[i] = 0 }
            sales += proceeds
            costs += fee
            cash += proceeds - fee
            value[i] = Self.cents(quantity[i] * price[i])
            bound[i] |= Self.soldMark
            trades.append(
                CoreTrade(asset: i, side: .sell, quantity: roundQuantity(units * unit[i]), value: proceeds, cost: fee, reason: sellReason))
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
                bound[i] |= Self.soldMark
                bound[i] |= Binding.withdrawal.rawValue
                trades.append(
                    CoreTrade(
                        asset: i, side: .sell, quantity: roundQuantity(units * unit[i]), value: proceeds, cost: fee,
                        reason: .raisesCashForWithdrawal))
            }
            if cash < buffer {
                throw RebalanceError(
                    accountId: id, field: "cashFlow", "the withdrawal cannot be met while keeping the cash buffer of \(Self.money(buffer))")
            }
        }
        // Buys, largest shortfall first, within the cash above the buffer.
        Self.order(&order) { (desired[$0] - Double(value[$0])) > (desired[$1] - Double(value[$1])) }
        for i in order {
            let shortfall = desired[i] - Double(value[i])
            guard shortfall > 0, bound[i] & Self.soldMark == 0 else { continue }
            let step = unit[i] * price[i] * 100
            var units = (shortfall / step + 1e-9).rounded(.down)
            if units < shortfall / step - 1e-9 && Double(value[i]) + units * step < low(i) - 1e-6 {
                // Whole lots leave the asset below its band.
                if bound[i] & Self.edgeMark != 0 && Double(value[i]) + (units + 1) * step <= high(i) + 1e-6 {
                    units += 1  // band edge: one more lot lands inside it
                } else {
                    bound[i] |= Binding.lots.rawValue  // the band is narrower than a lot
                }
            }
            while units > 0 {
                let spend = Self.cents(units * unit[i] * price[i])
                if cash - spend - cost(spend) >= buffer { break }
                // Not enough cash: the most that fits.
                let affordable = (Double(cash - buffer - cost(spend)) / step).rounded(.down)
                units = Swift.min(units - 1, Swift.max(affordable, 0))
                bound[i] |= Binding.cash.rawValue
            }
            guard units > 0 else { continue }
            let spend = Self.cents(units * unit[i] * price[i])
            if spend < minimumTrade {
                skippedSmall = true
                bound[i] |= Binding.minimumTrade.rawValue
                continue
            }
            let fee = cost(spend)
            quantity[i] += units * unit[i]
            purchases += spend
            costs += fee
            cash -= spend + fee
            value[i] = Self.cents(quantity[i] * price[i])
            trades.append(
                CoreTrade(asset: i, side: .buy, quantity: roundQuantity(units * unit[i]), value: spend, cost: fee, reason: buyReason))
        }
        precondition(cash == cashBefore + flow + sales - purchases - costs, "money not conserved for account \(id)")
        let totalAfter = value.reduce(0, +) + cash
        let driftAfter = drift(value, cash, totalAfter)
        if status == .rebalanced {
            // Every asset outside its band after trading is named with what kept it there.
            var outside: [String] = []
            for i in 0..<n {
                let half = bandHalfWidth(target: targetWeight[i])
                guard abs(Self.fraction(value[i], of: totalAfter) - targetWeight[i]) > half + 1e-9 else { continue }
                var why = Binding(rawValue: bound[i] & Binding.all)
                // The costs paid shrink the account, which can carry an asset over its edge.
                if costs > 0 && abs(Double(value[i]) / Double(totalAfter + costs) - targetWeight[i]) <= half + 1e-9 {
                    why.insert(.costs)
                }
                outside.append(symbols[i] + (why.isEmpty ? "" : " (\(why.text))"))
            }
            if !outside.isEmpty { notes.append("still outside its band after trading: \(outside.joined(separator: ", "))") }
            if trades.isEmpty && !skippedSmall && outside.isEmpty && status == .rebalanced {
                // Due (by the calendar, say) but already on target to the nearest lot.
                status = .withinBand
                notes.append("a rebalance was due, but no trade is needed: the holdings already match the target to the nearest lot")
            }
        }
        if trades.isEmpty && skippedSmall && (status == .rebalanced || status == .cashFlowOnly) {
            // Something was due, but every trade it needs is below the minimum trade value.
            status = .belowMinimumTrade
            notes.append(
                minimumTrade > total
                    ? "no trade is possible: the minimum trade value \(moneyString(minimumTrade)) is above the account's value "
                        + "\(moneyString(total)); lower the minimum trade value"
                    : "no trade placed: every trade needed is below the minimum trade value \(moneyString(minimumTrade))")
        }
        let traded = trades.reduce(0.0) { $0 + Self.money($1.value) }
        let totalMoney = Self.money(total)
        return PlanCore(
            status: status, trigger: reason, trades: trades, cashBefore: cashBefore, cashAfter: cash, valueBefore: valueBefore,
            valueAfter: value, totalBefore: totalBefore, totalAfter: totalAfter, driftBefore: driftBefore, driftAfter: driftAfter,
            turnover: totalMoney > 0 ? traded / 2 / totalMoney : 0, costs: costs, notes: notes)
    }

    /// Fills `order` with 0..<n sorted by `before` (stable: ties keep index order). Insertion
    /// sort: the lists are an account's assets, a dozen or so.
    @inline(__always)
    static func order(_ order: inout [Int], by before: (Int, Int) -> Bool) {
        for k in order.indices {
            var j = k
            while j > 0 && before(k, order[j - 1]) {
                order[j] = order[j - 1]
                j -= 1
            }
            order[j] = k
        }
    }

    func roundQuantity(_ q: Double) -> Double { (q * 1e8).rounded() / 1e8 }
}

/// Cents as money with two decimals ("1250.40"), without `String(format:)`.
func moneyString(_ c: Cents) -> String {
    let fraction = abs(c % 100)
    return (c < 0 ? "-" : "") + "\(abs(c / 100)).\(fraction < 10 ? "0" : "")\(fraction)"
}

/// `x` as a percentage with two decimals ("5.00%"), without `String(format:)`.
func percentString(_ x: Double) -> String {
    guard x.isFinite else { return "\(x * 100)%" }
    let hundredths = Int64((abs(x) * 10_000).rounded())
    let fraction = hundredths % 100
    return (x < 0 && hundredths > 0 ? "-" : "") + "\(hundredths / 100)." + (fraction < 10 ? "0" : "") + "\(fraction)%"
}
