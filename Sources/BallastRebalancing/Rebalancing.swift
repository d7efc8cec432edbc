import BallastMarketData
import Foundation

/// Money in integer minor units (cents): every cash amount in a plan is exact.
public typealias Cents = Int64

/// A cash flow into or out of an account.
public struct CashFlow: Sendable, Codable, Equatable {
    /// Positive for a deposit, negative for a withdrawal (account currency, exact to the cent).
    public var amount: Money

    /// A flow of `amount` (positive: deposit; negative: withdrawal).
    public init(amount: Money) { self.amount = amount }
}

/// An account to rebalance.
public struct Account: Sendable, Codable, Equatable {
    /// The account's id (pseudonymous in everything Ballast writes).
    public var id: String
    /// The model portfolio (or risk level label such as `C3`) whose weights are the target.
    public var model: String?
    /// Cash in the account currency, exact to the cent.
    public var cash: Money
    /// Symbol to quantity.
    public var holdings: [String: Double]
    /// A pending deposit or withdrawal.
    public var cashFlow: CashFlow?
    /// The date of the last rebalance (calendar triggers).
    public var lastRebalance: MarketDate?

    /// An account from values.
    public init(
        id: String, model: String? = nil, cash: Money, holdings: [String: Double], cashFlow: CashFlow? = nil,
        lastRebalance: MarketDate? = nil
    ) {
        self.id = id
        self.model = model
        self.cash = cash
        self.holdings = holdings
        self.cashFlow = cashFlow
        self.lastRebalance = lastRebalance
    }
}

/// When a rebalance is due.
public enum RebalanceTrigger: String, Sendable, Codable, CaseIterable {
    /// Some `|w - w*|` exceeds `absoluteBand`.
    case absoluteBand = "absolute-band"
    /// Some `|w - w*| / w*` exceeds `relativeBand` (never for a target of zero).
    case relativeBand = "relative-band"
    /// Either of the two (the "5/25" rule with the default bands).
    case fiveTwentyFive = "5-25"
    /// `½ Σ |w - w*|` exceeds `driftThreshold`.
    case portfolioDrift = "portfolio-drift"
    /// A calendar period has passed since the last rebalance.
    case calendar
    /// A calendar period has passed and the 5/25 rule fires.
    case calendarAndThreshold = "calendar-and-threshold"
}

/// Calendar periods.
public enum RebalancePeriod: String, Sendable, Codable, CaseIterable {
    /// One month, three months or twelve months since the last rebalance.
    case monthly, quarterly, annual

    var months: Int {
        switch self {
        case .monthly: 1
        case .quarterly: 3
        case .annual: 12
        }
    }
}

/// How far trades go.
public enum RebalanceDestination: String, Sendable, Codable, CaseIterable {
    /// All the way back to the target weights.
    case target
    /// Only back to the edge of the band (cheaper; the optimal policy with proportional costs
    /// has such a no-trade region).
    case bandEdge = "band-edge"
}

/// A rebalancing policy (a JSON file, or flags for the common fields). Weights and bands are
/// fractions; costs in basis points and account currency.
public struct RebalancePolicy: Sendable, Codable, Equatable {
    /// What fires a rebalance (default the 5/25 rule).
    public var trigger: RebalanceTrigger = .fiveTwentyFive
    /// Absolute band around each target weight (default 0.05).
    public var absoluteBand = 0.05
    /// Relative band as a fraction of the target weight (default 0.25).
    public var relativeBand = 0.25
    /// Portfolio drift threshold `½ Σ |w - w*|` (default 0.05).
    public var driftThreshold = 0.05
    /// Calendar period for calendar triggers (default quarterly).
    public var period: RebalancePeriod = .quarterly
    /// How far trades go: back to target (default) or to the band edge.
    public var destination: RebalanceDestination = .target
    /// Trades smaller than this (account currency) are not placed.
    public var minimumTradeValue = 0.0
    /// Quantities with this many decimals instead of whole lots (`nil`: whole lots).
    public var fractionalDecimals: Int?
    /// Cash kept back, as a fraction of the account's value.
    public var cashBuffer = 0.0
    /// Proportional cost in basis points of the traded value, at least 0 and below
    /// ``maximumCostBasisPoints`` (10%).
    public var costBasisPoints = 0.0
    /// Fixed cost per trade.
    public var fixedCost = 0.0
    /// Minimum cost per trade.
    public var minimumCost = 0.0
    /// Largest turnover `Σ|trade value| / 2 / account value` (`nil`: no limit).
    public var maximumTurnover: Double?

    /// The policy's costs as the one `CostModel` every component charges by.
    public var costModel: CostModel {
        get { CostModel(basisPoints: costBasisPoints, fixed: fixedCost, minimum: minimumCost) }
        set {
            costBasisPoints = newValue.basisPoints
            fixedCost = newValue.fixed
            minimumCost = newValue.minimum
        }
    }

    /// The defaults documented on each property.
    public init() {}

    /// Decodes a policy; absent fields keep their defaults.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = RebalancePolicy()
        trigger = try c.decodeIfPresent(RebalanceTrigger.self, forKey: .trigger) ?? d.trigger
        absoluteBand = try c.decodeIfPresent(Double.self, forKey: .absoluteBand) ?? d.absoluteBand
        relativeBand = try c.decodeIfPresent(Double.self, forKey: .relativeBand) ?? d.relativeBand
        driftThreshold = try c.decodeIfPresent(Double.self, forKey: .driftThreshold) ?? d.driftThreshold
        period = try c.decodeIfPresent(RebalancePeriod.self, forKey: .period) ?? d.period
        destination = try c.decodeIfPresent(RebalanceDestination.self, forKey: .destination) ?? d.destination
        minimumTradeValue = try c.decodeIfPresent(Double.self, forKey: .minimumTradeValue) ?? d.minimumTradeValue
        fractionalDecimals = try c.decodeIfPresent(Int.self, forKey: .fractionalDecimals)
        cashBuffer = try c.decodeIfPresent(Double.self, forKey: .cashBuffer) ?? d.cashBuffer
        costBasisPoints = try c.decodeIfPresent(Double.self, forKey: .costBasisPoints) ?? d.costBasisPoints
        fixedCost = try c.decodeIfPresent(Double.self, forKey: .fixedCost) ?? d.fixedCost
        minimumCost = try c.decodeIfPresent(Double.self, forKey: .minimumCost) ?? d.minimumCost
        maximumTurnover = try c.decodeIfPresent(Double.self, forKey: .maximumTurnover)
    }

    /// The largest proportional cost accepted, exclusive: 1,000 basis points (10% of every
    /// trade). A cost at or above it is almost certainly a unit mistake (percent or a fraction
    /// typed as basis points), and at 10,000 a trade would cost all it is worth.
    public static let maximumCostBasisPoints = 1_000.0

    /// A value of the policy that cannot be used: the field (camelCase, as in a policy file),
    /// the value as given and what is allowed.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        /// The policy field, as in a policy file (`costBasisPoints`).
        public var field: String
        /// The value, as text.
        public var value: String
        /// What the value must be ("a number from 0 to below 1000").
        public var requirement: String

        /// `field: must be ... (got value)`.
        public var description: String { "\(field): must be \(requirement) (got \(value))" }
    }

    /// Every problem with the values, in field order; empty when the policy can be used.
    ///
    /// Limits: bands, the drift threshold, the minimum trade value and the costs are finite
    /// numbers at least 0, amounts below 10^13; `costBasisPoints` is below ``maximumCostBasisPoints``; `cashBuffer`
    /// is below 1 (a fraction of the account); `fractionalDecimals` is 0 to 8; `maximumTurnover`
    /// is positive. A minimum trade value above an account's value is not a problem of the
    /// policy: that plan's status is ``PlanStatus/belowMinimumTrade``, with a note.
    public var validationProblems: [Problem] {
        var out: [Problem] = []
        for (name, v) in [
            ("absoluteBand", absoluteBand), ("relativeBand", relativeBand), ("driftThreshold", driftThreshold),
            ("minimumTradeValue", minimumTradeValue),
            ("cashBuffer", cashBuffer), ("costBasisPoints", costBasisPoints), ("fixedCost", fixedCost), ("minimumCost", minimumCost),
        ] {
            if !(v >= 0) || !v.isFinite {
                out.append(Problem(field: name, value: plain(v), requirement: "a finite number at least 0"))
            } else if ["minimumTradeValue", "fixedCost", "minimumCost"].contains(name) && v >= 1e13 {
                out.append(Problem(field: name, value: plain(v), requirement: "below 10^13, the largest amount a plan handles"))
            } else if name == "costBasisPoints" && v >= Self.maximumCostBasisPoints {
                out.append(
                    Problem(
                        field: name, value: plain(v),
                        requirement: "below 1000 basis points (10% of each trade); 10 is 0.1%, check the units"))
            } else if name == "cashBuffer" && v >= 1 {
                out.append(Problem(field: name, value: plain(v), requirement: "below 1 (a fraction of the account, 0.02 is 2%)"))
            }
        }
        if let d = fractionalDecimals, !(0...8).contains(d) {
            out.append(Problem(field: "fractionalDecimals", value: "\(d)", requirement: "0 to 8"))
        }
        if let t = maximumTurnover, !(t > 0) || !t.isFinite {
            out.append(Problem(field: "maximumTurnover", value: plain(t), requirement: "a positive fraction such as 0.2"))
        }
        return out
    }

    /// Problems with the values, as `field: message` (``validationProblems`` as text).
    public var problems: [String] { validationProblems.map(\.description) }

    /// Checks the values; a service embedding Ballast and the command line refuse the same ones.
    ///
    /// - Throws: the first ``Problem``.
    public func validate() throws(Problem) {
        if let p = validationProblems.first { throw p }
    }
}

/// Values that replace a policy's own (a service's settings, the command line's flags): each
/// field left `nil` keeps the policy's value. Field names are the policy file's.
public struct RebalancePolicyOverrides: Sendable, Codable, Equatable {
    /// ``RebalancePolicy/trigger``.
    public var trigger: RebalanceTrigger?
    /// ``RebalancePolicy/absoluteBand``.
    public var absoluteBand: Double?
    /// ``RebalancePolicy/relativeBand``.
    public var relativeBand: Double?
    /// ``RebalancePolicy/driftThreshold``.
    public var driftThreshold: Double?
    /// ``RebalancePolicy/period``.
    public var period: RebalancePeriod?
    /// ``RebalancePolicy/destination``.
    public var destination: RebalanceDestination?
    /// ``RebalancePolicy/minimumTradeValue``.
    public var minimumTradeValue: Double?
    /// ``RebalancePolicy/costBasisPoints``.
    public var costBasisPoints: Double?
    /// ``RebalancePolicy/fixedCost``.
    public var fixedCost: Double?
    /// ``RebalancePolicy/cashBuffer``.
    public var cashBuffer: Double?
    /// ``RebalancePolicy/fractionalDecimals``.
    public var fractionalDecimals: Int?
    /// ``RebalancePolicy/maximumTurnover``.
    public var maximumTurnover: Double?

    /// No overrides.
    public init() {}

    /// The policy fields these set, by their policy-file names.
    public var fields: Set<String> {
        let given: [(String, Bool)] = [
            ("trigger", trigger != nil), ("absoluteBand", absoluteBand != nil), ("relativeBand", relativeBand != nil),
            ("driftThreshold", driftThreshold != nil), ("period", period != nil), ("destination", destination != nil),
            ("minimumTradeValue", minimumTradeValue != nil), ("costBasisPoints", costBasisPoints != nil),
            ("fixedCost", fixedCost != nil), ("cashBuffer", cashBuffer != nil), ("fractionalDecimals", fractionalDecimals != nil),
            ("maximumTurnover", maximumTurnover != nil),
        ]
        return Set(given.filter(\.1).map(\.0))
    }

    /// `policy` with these values in place of its own, checked.
    ///
    /// - Throws: the first ``RebalancePolicy/Problem`` of the result; its field tells whether
    ///   an override (``fields``) or the policy's own value is out of range.
    public func applied(to policy: RebalancePolicy) throws(RebalancePolicy.Problem) -> RebalancePolicy {
        var p = policy
        if let trigger { p.trigger = trigger }
        if let absoluteBand { p.absoluteBand = absoluteBand }
        if let relativeBand { p.relativeBand = relativeBand }
        if let driftThreshold { p.driftThreshold = driftThreshold }
        if let period { p.period = period }
        if let destination { p.destination = destination }
        if let minimumTradeValue { p.minimumTradeValue = minimumTradeValue }
        if let costBasisPoints { p.costBasisPoints = costBasisPoints }
        if let fixedCost { p.fixedCost = fixedCost }
        if let cashBuffer { p.cashBuffer = cashBuffer }
        if let fractionalDecimals { p.fractionalDecimals = fractionalDecimals }
        if let maximumTurnover { p.maximumTurnover = maximumTurnover }
        try p.validate()
        return p
    }
}

/// One order.
public struct PlannedTrade: Sendable, Codable, Equatable {
    /// Buy or sell.
    public enum Side: String, Sendable, Codable { case buy, sell }
    /// The product.
    public var symbol: String
    /// Buy or sell.
    public var side: Side
    /// Quantity (whole lots, or the policy's fractional decimals).
    public var quantity: Double
    /// The price used.
    public var price: Double
    /// `quantity x price` rounded to the cent.
    public var value: Money
    /// The cost from the policy's cost model.
    public var cost: Money
    /// Why a trade is in a plan.
    public enum Reason: String, Sendable, Codable, CaseIterable {
        /// Sold back toward the target.
        case overweight
        /// Bought up toward the target.
        case underweight
        /// Overweight, sold to fund a withdrawal (a cash-flow-only plan).
        case overweightForWithdrawal = "overweight: sold to fund the withdrawal"
        /// Underweight, bought with a deposit (a cash-flow-only plan).
        case underweightWithDeposit = "underweight: bought with the deposit"
        /// Sold to raise the cash a withdrawal needs.
        case raisesCashForWithdrawal = "raises cash for the withdrawal"
    }
    /// Why the trade is in the plan.
    public var reason: Reason
}

/// The outcome of planning.
public enum PlanStatus: String, Sendable, Codable {
    /// A trigger fired and the plan trades toward the target.
    case rebalanced
    /// Nothing fired and there is no cash flow: no trades.
    case withinBand = "within-band"
    /// Nothing fired; the trades only invest a deposit or fund a withdrawal.
    case cashFlowOnly = "cash-flow-only"
    /// A rebalance or a cash flow was due, but every trade it needs is below the policy's
    /// minimum trade value (for example a minimum above the account's value): no trades. A
    /// note says which.
    case belowMinimumTrade = "below-minimum-trade"
    /// The account could not be planned (batch error records).
    case error
    /// A pre-trade control stopped the plan (an account limit, or a product whose price
    /// stops trading): no trade and no cash flow is released; a note names the control.
    case held
    /// Rebalancing is suspended (the controls' suspension switch): no trade is released; a
    /// note gives the reason.
    case suspended
}

/// A rebalancing plan for one account.
public struct RebalancePlan: Sendable, Codable, Equatable {
    /// The account (pseudonymous reference).
    public var accountId: String
    /// Rebalanced, within band, cash flow only, or error.
    public var status: PlanStatus
    /// What fired (or why nothing did).
    public var trigger: PlanTrigger
    /// The orders, sells first.
    public var trades: [PlannedTrade]
    /// Cash before the plan.
    public var cashBefore: Money
    /// Cash after the trades, the flow and the costs (exact to the cent).
    public var cashAfter: Money
    /// Weights before the plan, cash included.
    public var weightsBefore: [String: Double]
    /// Weights after the plan, cash included.
    public var weightsAfter: [String: Double]
    /// `½ Σ |w - w*|` before.
    public var driftBefore: Double
    /// `½ Σ |w - w*|` after.
    public var driftAfter: Double
    /// Traded value / 2 / account value.
    public var turnover: Double
    /// Sum of the trades' costs.
    public var estimatedCost: Money
    /// Why the plan stops short of the band, if it does: each asset still outside its band with
    /// the constraint that kept it there (whole lots, available cash, the minimum trade value,
    /// trade costs, the turnover limit, the withdrawal), and why nothing was traded.
    public var notes: [String]
}

/// A problem that prevents a plan, with what to fix.
public struct RebalanceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The account concerned, when known.
    public var accountId: String?
    /// The field at fault (`holdings.KO`, `cashFlow`, `policy`), when there is one.
    public var field: String?
    /// What is wrong and how to fix it.
    public var message: String

    /// An error about an account's field.
    public init(accountId: String? = nil, field: String? = nil, _ message: String) {
        self.accountId = accountId
        self.field = field
        self.message = message
    }

    /// `account A: field: message`.
    public var description: String {
        (accountId.map { "account \($0): " } ?? "") + (field.map { "\($0): " } ?? "") + message
    }
}

extension RebalancePolicy {
    /// Reads a policy file: JSON with the policy's fields in camelCase, every field optional
    /// (the defaults fill in); the values are checked by ``validate()`` when the caller has
    /// applied its overrides.
    ///
    /// - Throws: ``RebalanceError`` naming the file and the field.
    public static func read(path: String) throws(RebalanceError) -> RebalancePolicy {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RebalanceError("\(path): no such file; give a JSON policy such as {\"trigger\": \"5-25\", \"costBasisPoints\": 10}")
        }
        do { return try JSONDecoder().decode(RebalancePolicy.self, from: data) } catch let e as DecodingError {
            let (field, message) = describe(e)
            throw RebalanceError("\(path): \(field): \(message)")
        } catch {
            throw RebalanceError("\(path): not valid JSON (\(error.localizedDescription))")
        }
    }
}
