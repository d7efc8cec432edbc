import BallastMarketData
import Foundation

/// Walk-forward validation of the model rule: at each review date the assumptions and the
/// menu are re-built from data up to that date only (against the previous menu, so the
/// turnover limit applies), then each level's model is held until the next review,
/// rebalanced to its weights at every month end, paying the cost model on every trade and
/// each product's expense ratio. What it measures per level is what an investment committee
/// asks: did realised risk stay near the cap, how deep were the losses, how much did the
/// models move, what did trading cost.
public struct ModelValidation: Sendable {
    /// The assumptions rule (and its universe).
    public var assumptions: AssumptionsBuilder
    /// The policy.
    public var policy: InvestmentPolicy
    /// Months between reviews (default 12).
    public var reviewMonths = 12
    /// Trading costs on every rebalancing trade (default 10 bp).
    public var costModel = CostModel(basisPoints: 10)
    /// Months of the trailing window for the cap-breach count (default 36).
    public var rollingMonths = 36

    /// A validation of `policy` under the rule `assumptions`.
    public init(assumptions: AssumptionsBuilder, policy: InvestmentPolicy) {
        self.assumptions = assumptions
        self.policy = policy
    }

    /// Runs the validation from the first date with enough history to the universe's end.
    ///
    /// - Parameter progress: called after each review with (done, total).
    /// - Throws: what building the assumptions or a menu throws, naming the date.
    public func run(progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> ValidationReport {
        let levels = assumptions.universe.levels
        let symbols = levels.symbols
        let n = levels.rowCount
        let first = assumptions.specification.effectiveMinimumMonths
        guard first + 12 < n else {
            throw InvestmentProcessError(
                message: "the universe has \(n - 1) months; validation needs \(first + 12)",
                fix: "use a longer universe or a shorter minimumMonths")
        }
        // The reviews of the live rule (``InvestmentProcess``), each held until the next.
        let process = InvestmentProcess(assumptions: assumptions, policy: policy, reviewMonths: reviewMonths)
        let walked = try process.reviews(through: levels.dates[n - 2], progress: progress)
        let menus = walked.map(\.menu)
        let reviews = walked.map { levels.lastIndex(onOrBefore: $0.date)! }
        let expense = symbols.map { assumptions.universe.member($0)?.expenseRatio ?? 0 }
        var out: [LevelValidation] = []
        for (li, level) in policy.levels.enumerated() {
            var nav = [100.0]
            var gross = [100.0]
            var dates = [levels.dates[reviews[0]]]
            var monthly: [Double] = []
            var grossMonthly: [Double] = []
            var held = [Double](repeating: 0, count: symbols.count)  // weights after last month's moves
            var costPaid = 0.0
            var turnovers: [Double] = []
            var lastModel: [Double]?
            for (k, start) in reviews.enumerated() {
                let end = k + 1 < reviews.count ? reviews[k + 1] : n - 1
                let w = symbols.map { menus[k].portfolios[li].weights[$0] ?? 0 }
                if let m = lastModel { turnovers.append(0.5 * zip(w, m).reduce(0) { $0 + abs($1.0 - $1.1) }) }
                lastModel = w
                for i in start..<end {
                    // Rebalance to the model at the close of month i, then earn month i+1.
                    let value = nav.last!
                    let traded = zip(w, held).reduce(0) { $0 + abs($1.0 - $1.1) } * value
                    let cost = i == reviews[0] ? 0 : costModel.proportionalRate * traded
                    costPaid += cost
                    var r = 0.0
                    var next = [Double](repeating: 0, count: symbols.count)
                    for j in symbols.indices {
                        let rj = levels[i + 1, j] / levels[i, j] - 1
                        r += w[j] * rj
                        next[j] = w[j] * (1 + rj)
                    }
                    let fees = zip(w, expense).reduce(0) { $0 + $1.0 * $1.1 } / 12
                    let total = next.reduce(0, +)
                    held = next.map { $0 / total }
                    let net = (value - cost) * (1 + r - fees) / value - 1
                    monthly.append(net)
                    grossMonthly.append(r)
                    nav.append(value * (1 + net))
                    gross.append(gross.last! * (1 + r))
                    dates.append(levels.dates[i + 1])
                }
            }
            let years = Double(monthly.count) / 12
            func annual(_ path: [Double]) -> Double { Foundation.pow(path.last! / path.first!, 1 / years) - 1 }
            func volatility(_ r: ArraySlice<Double>) -> Double {
                let m = r.reduce(0, +) / Double(r.count)
                return (r.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(r.count - 1) * 12).squareRoot()
            }
            var peak = nav[0]
            var drawdown = 0.0
            for v in nav {
                peak = max(peak, v)
                drawdown = min(drawdown, v / peak - 1)
            }
            var rolling: [(MarketDate, Double)] = []
            if monthly.count >= rollingMonths {
                for e in rollingMonths...monthly.count {
                    rolling.append((dates[e], volatility(monthly[(e - rollingMonths)..<e])))
                }
            }
            let breaches = rolling.filter { $0.1 > level.volatilityCap }.count
            let realised = volatility(monthly[...])
            out.append(
                LevelValidation(
                    level: level.level, label: level.label, volatilityCap: level.volatilityCap, realisedVolatility: realised,
                    volatilityToCap: realised / level.volatilityCap, annualReturn: annual(nav), maximumDrawdown: drawdown,
                    annualModelTurnover: turnovers.reduce(0, +) / years, costDrag: annual(gross) - annual(nav),
                    capBreachShare: rolling.isEmpty ? nil : Double(breaches) / Double(rolling.count),
                    largestProductWeight: menus.map { $0.portfolios[li].weights.values.max() ?? 0 }.max() ?? 0,
                    dates: dates, values: nav, rollingVolatility: rolling.map(\.1), rollingDates: rolling.map(\.0)))
        }
        return ValidationReport(
            universe: "\(assumptions.universe.specification.name) \(assumptions.universe.specification.version)",
            assumptions: assumptions.specification.name, policy: "\(policy.name) \(policy.version)",
            method: menus.first?.method ?? "", reviewMonths: reviewMonths, costBasisPoints: costModel.basisPoints,
            start: levels.dates[reviews[0]], end: levels.dates[n - 1], reviews: reviews.map { levels.dates[$0] }, levels: out,
            menus: menus)
    }
}

/// One level's walk-forward record.
public struct LevelValidation: Sendable, Codable, Equatable {
    /// 1 to 5.
    public var level: Int
    /// `C1` to `C5`.
    public var label: String
    /// The level's ex-ante cap.
    public var volatilityCap: Double
    /// Realised annualised volatility of the monthly net returns over the whole period.
    public var realisedVolatility: Double
    /// Realised volatility divided by the cap.
    public var volatilityToCap: Double
    /// Compound annual net return.
    public var annualReturn: Double
    /// Maximum drawdown of the net value (a negative fraction).
    public var maximumDrawdown: Double
    /// One-way turnover of the model at its reviews, per year.
    public var annualModelTurnover: Double
    /// Annual return lost to trading costs and expense ratios.
    public var costDrag: Double
    /// Share of trailing windows whose realised volatility was above the cap; `nil` when the
    /// period is shorter than one window.
    public var capBreachShare: Double?
    /// The largest weight of any product in any of the level's models.
    public var largestProductWeight: Double
    /// Month ends of the value path.
    public var dates: [MarketDate]
    /// Net value, starting at 100.
    public var values: [Double]
    /// Trailing realised volatility.
    public var rollingVolatility: [Double]
    /// Its dates.
    public var rollingDates: [MarketDate]
}

/// The result of ``ModelValidation/run(progress:)``.
public struct ValidationReport: Sendable, Codable, Equatable {
    /// The universe.
    public var universe: String
    /// The assumptions rule's name.
    public var assumptions: String
    /// The policy and its version.
    public var policy: String
    /// `mean-variance` or `resampled (...)`.
    public var method: String
    /// Months between reviews.
    public var reviewMonths: Int
    /// Trading cost in basis points.
    public var costBasisPoints: Double
    /// First review.
    public var start: MarketDate
    /// Last month measured.
    public var end: MarketDate
    /// The review dates.
    public var reviews: [MarketDate]
    /// Per level.
    public var levels: [LevelValidation]
    /// The menu built at each review.
    public var menus: [ModelMenu]
}
