import BallastMarketData
import Foundation

/// Where an account stands against its target under a policy, without planning trades: its
/// value, weights and drift, and whether the policy's trigger would rebalance it.
///
/// ``RebalancePlanner/review(_:toward:at:asOf:)`` computes it with the planner's own rules
/// (values in integer cents at the prices, the same drift and the same trigger as
/// ``RebalancePlanner/plan(for:toward:at:asOf:)``), so an account is out of band exactly when
/// its plan would be a rebalance.
public struct DriftReview: Sendable, Equatable {
    /// The account's id.
    public var accountId: String
    /// The account's value before any pending cash flow: holdings at the prices plus cash.
    public var value: Double
    /// Weight by symbol, before any cash flow, with cash under the planner's cash symbol
    /// (fractions of ``value``); held and targeted symbols are all present.
    public var weights: [String: Double]
    /// Half the sum of absolute deviations from the target, cash included: `½ Σ |w - w*|`
    /// (0 on target, 1 when nothing held is in the target).
    public var drift: Double
    /// Whether the policy's trigger fires: a plan would rebalance the account.
    public var outOfBand: Bool
    /// The trigger, in the words of a plan (`5/25 rule: USEQ off target by more than 5.00%`,
    /// or `no trigger: every asset within its band`).
    public var trigger: PlanTrigger
    /// The held or targeted symbols outside their own band, in symbol order: beyond the
    /// absolute band (absolute-band, portfolio-drift and calendar policies), the relative band
    /// (relative-band, never on a target of 0) or either (5/25, calendar-and-threshold).
    public var outsideBand: [String]

    /// A review from values.
    public init(
        accountId: String, value: Double, weights: [String: Double], drift: Double, outOfBand: Bool, trigger: PlanTrigger,
        outsideBand: [String]
    ) {
        self.accountId = accountId
        self.value = value
        self.weights = weights
        self.drift = drift
        self.outOfBand = outOfBand
        self.trigger = trigger
        self.outsideBand = outsideBand
    }
}

extension RebalancePlanner {
    /// Reviews `account` against `target` at `prices`: value, weights, drift and whether the
    /// policy's trigger fires, by the same rules as ``plan(for:toward:at:asOf:)`` but without
    /// planning trades.
    ///
    /// - Parameters:
    ///   - account: holdings, cash and last rebalance date (a pending cash flow is left out:
    ///     the review describes the account as it stands).
    ///   - target: symbol to weight, summing to one; `CASH` may appear.
    ///   - prices: symbol to price for every held or targeted symbol.
    ///   - asOf: the date of the prices (calendar triggers count from the last rebalance).
    /// - Throws: ``RebalanceError`` for a missing or non-positive price (field `prices.SYM`),
    ///   target weights that do not sum to one, negative holdings or cash, amounts beyond 10^13,
    ///   or an account with no value.
    /// - Complexity: O(n log n) in the held and targeted symbols.
    public func review(_ account: Account, toward target: [String: Double], at prices: [String: Double], asOf: MarketDate)
        throws(RebalanceError) -> DriftReview
    {
        let id = account.id
        if let p = policy.problems.first { throw RebalanceError(accountId: id, field: "policy", p) }
        try Self.checkTarget(target, accountId: id)
        let symbols = Set(account.holdings.keys).union(target.keys.filter { $0 != cashSymbol }).sorted()
        guard account.cash >= .zero else {
            throw RebalanceError(accountId: id, field: "cash", "must be a finite amount at least 0")
        }
        guard account.cash.amount < 1e13 else {
            throw RebalanceError(accountId: id, field: "cash", "is above 10^13, beyond what a plan handles")
        }
        var value = [Cents](repeating: 0, count: symbols.count)
        var targetWeight = [Double](repeating: 0, count: symbols.count)
        for (i, s) in symbols.enumerated() {
            guard let p = prices[s], p > 0, p.isFinite else {
                throw RebalanceError(accountId: id, field: "prices.\(s)", "no positive price for \(s) at \(asOf)")
            }
            let q = account.holdings[s] ?? 0
            guard q >= 0, q.isFinite else {
                throw RebalanceError(accountId: id, field: "holdings.\(s)", "quantity \(q) is negative; short positions are not allowed")
            }
            guard q * p < 1e13 else {
                throw RebalanceError(
                    accountId: id, field: "holdings.\(s)", "the position is worth \(q * p), beyond what a plan handles (10^13)")
            }
            value[i] = Self.cents(q * p)
            targetWeight[i] = target[s] ?? 0
        }
        let cash = account.cash.cents
        let total = value.reduce(0, +) + cash
        guard total > 0 else {
            throw RebalanceError(
                accountId: id, field: "cash", "the account has no value (no cash and no holdings worth a cent): there is nothing to review")
        }
        let targetCash = target[cashSymbol] ?? 0
        var weights: [String: Double] = [cashSymbol: Self.fraction(cash, of: total)]
        var drift = abs(Self.fraction(cash, of: total) - targetCash)
        var outside: [String] = []
        for i in symbols.indices {
            let w = Self.fraction(value[i], of: total)
            weights[symbols[i]] = w
            drift += abs(w - targetWeight[i])
            let b = breaches(value: value[i], total: total, target: targetWeight[i])
            let out =
                switch policy.trigger {
                case .absoluteBand, .portfolioDrift, .calendar: b.absolute
                case .relativeBand: b.relative
                case .fiveTwentyFive, .calendarAndThreshold: b.absolute || b.relative
                }
            if out { outside.append(symbols[i]) }
        }
        drift /= 2
        let fired = firedTrigger(
            value: value, total: total, targetWeight: targetWeight, drift: drift, lastRebalance: account.lastRebalance, asOf: asOf)
        let trigger = fired ?? .none
        return DriftReview(
            accountId: id, value: Self.money(total), weights: weights, drift: drift, outOfBand: fired != nil,
            trigger: trigger.typed(symbols: symbols, policy: policy), outsideBand: outside)
    }
}
