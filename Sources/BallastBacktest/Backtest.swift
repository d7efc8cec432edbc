import BallastMarketData
import BallastRebalancing
import Foundation

/// When a back-test rebalances.
public enum RebalanceSchedule: Sendable, Equatable, CustomStringConvertible {
    /// Buy on the first date, never trade again.
    case never
    /// On the first trading day of each month, quarter or year.
    case calendar(RebalancePeriod)
    /// On any day when some weight is more than this far (absolute) from its target.
    case threshold(Double)
    /// On calendar dates and on threshold breaches between them.
    case calendarAndThreshold(RebalancePeriod, Double)

    /// `monthly`, `threshold 0.05`, `quarterly and threshold 0.05` or `never`.
    public var description: String {
        switch self {
        case .never: "never"
        case .calendar(let p): p.rawValue
        case .threshold(let x): "threshold \(x)"
        case .calendarAndThreshold(let p, let x): "\(p.rawValue) and threshold \(x)"
        }
    }
}

/// When decided trades execute.
public enum Execution: String, Sendable, Codable, CaseIterable {
    /// At the close of the decision date (as bt does).
    case close
    /// At the close of the next trading day.
    case nextClose = "next-close"
}

/// How quantities and cash are sized.
public enum PositionSizing: Sendable, Equatable {
    /// Exact fractional quantities, no rounding of cash (bt's `integer_positions=False`). Costs
    /// use the policy's cost model.
    case fractional
    /// The live rebalancing planner (`RebalancePlanner`): whole lots from `lotSizes` (or the
    /// policy's fractional decimals), integer cents, minimum trade value, cash buffer, costs.
    case planner(lotSizes: [String: Double])
}

/// A periodic contribution (positive) or withdrawal (negative), on the first trading day of
/// each period after the start.
public struct CashFlowSchedule: Sendable, Equatable {
    /// Positive for a contribution, negative for a withdrawal (account currency).
    public var amount: Double
    /// How often the flow happens.
    public var period: RebalancePeriod
    /// A flow of `amount` each `period`.
    public init(amount: Double, period: RebalancePeriod) {
        self.amount = amount
        self.period = period
    }
}

/// A price or value series by date (a benchmark).
public struct ValueSeries: Sendable, Equatable {
    /// The series' name (shown in tables and charts).
    public var name: String
    /// The dates, ascending.
    public var dates: [MarketDate]
    /// One value per date; missing values are NaN or non-positive.
    public var values: [Double]

    /// A series from parallel arrays.
    public init(name: String, dates: [MarketDate], values: [Double]) {
        self.name = name
        self.dates = dates
        self.values = values
    }

    /// A column of a price table.
    public init(_ table: PriceTable, symbol: String) throws(BacktestError) {
        guard let j = table.index(of: symbol) else { throw BacktestError("no column \(symbol) in the prices") }
        self.init(name: symbol, dates: table.dates, values: Array(table.prices(atColumn: j)))
    }

    /// The last valid value on or before each date (`nil` before the series starts).
    func aligned(to wanted: [MarketDate]) -> [Double?] {
        var out: [Double?] = []
        out.reserveCapacity(wanted.count)
        var k = 0
        var last: Double?
        for d in wanted {
            while k < dates.count && dates[k] <= d {
                if values[k].isFinite && values[k] > 0 { last = values[k] }
                k += 1
            }
            out.append(last)
        }
        return out
    }
}

/// One executed order.
public struct BacktestTrade: Sendable, Codable, Equatable {
    /// The close the trade executed at.
    public var date: MarketDate
    /// The product traded.
    public var symbol: String
    /// Buy or sell.
    public var side: PlannedTrade.Side
    /// Quantity (positive).
    public var quantity: Double
    /// Execution price (the close).
    public var price: Double
    /// `quantity x price`.
    public var value: Double
    /// The cost charged by the cost model.
    public var cost: Double
}

/// A rebalancing decision and what came of it.
public struct RebalanceEvent: Sendable, Codable, Equatable {
    /// The close of the decision.
    public var decided: MarketDate
    /// The close of the execution (`nil` when nothing was traded).
    public var executed: MarketDate?
    /// `initial`, `calendar` or `threshold`.
    public var reason: String
    /// Number of trades placed.
    public var trades: Int
    /// Traded value / 2 / portfolio value.
    public var turnover: Double
    /// Costs charged.
    public var cost: Double
    /// Why the strategy or the trade failed, if it did; then `fallback` says what was done.
    public var failure: String?
    /// What the simulator did instead (`kept the previous holdings`, `stayed in cash`, `not traded`).
    public var fallback: String?
}

/// Everything a back-test produced.
public struct BacktestResult: Sendable {
    /// The strategy's name.
    public var strategy: String
    /// The rebalancing schedule, as text.
    public var schedule: String
    /// The price table's symbols (the columns of ``weights``).
    public var symbols: [String]
    /// The name of the cash column of ``weights`` (its last), and the key of cash in the
    /// target weights a strategy returns.
    public static let cashColumn = "CASH"
    /// Every close of the back-test.
    public var dates: [MarketDate]
    /// Portfolio value at each close.
    public var values: [Double]
    /// Time-weighted daily returns for `dates[1...]`.
    public var returns: [Double]
    /// Contributions (+) and withdrawals (-) by date.
    public var flows: [Double]
    /// Weights at each close: one per symbol, then cash.
    public var weights: [[Double]]
    /// Every executed order, in order.
    public var trades: [BacktestTrade]
    /// Every decision, successful or not, in order.
    public var events: [RebalanceEvent]
    /// Sum of all costs charged.
    public var totalCosts: Double
    /// Annualised turnover (see ``MetricConventions/turnover``).
    public var turnover: Double
    /// Statistics of ``returns`` (against the benchmark when there is one).
    public var metrics: PerformanceMetrics
    /// The benchmark rebased to the portfolio's first value, on the same dates.
    public var benchmark: ValueSeries?
    /// Statistics of the benchmark's returns on the same dates.
    public var benchmarkMetrics: PerformanceMetrics?
    /// Money-weighted (internal) rate of return a year, when there are cash flows.
    public var moneyWeightedReturn: Double?
    /// The definitions of the statistics.
    public var conventions: MetricConventions
    /// Failed decisions (each also in ``events``).
    public var failures: [RebalanceEvent] { events.filter { $0.failure != nil } }
}

/// A walk-forward back-test: the strategy decides at each rebalancing date from the past
/// alone (``PriceHistory``), trades execute at the close (or the next close), and weights drift
/// with prices in between.
public struct Backtest: Sendable {
    /// Daily closes; a missing price is NaN.
    public var prices: PriceTable
    /// First date (default: the first row).
    public var start: MarketDate?
    /// Last date (default: the last row).
    public var end: MarketDate?
    /// Decides the target weights at each rebalancing date.
    public var strategy: any AllocationStrategy
    /// When to rebalance (default: the first trading day of each month).
    public var schedule: RebalanceSchedule = .calendar(.monthly)
    /// When decided trades execute (default: the same close).
    public var execution: Execution = .close
    /// How quantities are sized (default: exact fractional quantities).
    public var sizing: PositionSizing = .fractional
    /// Costs (basis points, fixed, minimum per trade) and the minimum trade value come from
    /// here; with ``PositionSizing/planner(lotSizes:)`` also the cash buffer and fractional
    /// decimals. Triggers are the schedule's.
    public var policy = RebalancePolicy()
    /// Starting capital (default 1,000,000), invested at the first close.
    public var initialCapital = 1_000_000.0
    /// Annual rate earned by idle cash, compounded daily over 252 days a year.
    public var cashRate = MarketConventions.defaultRiskFreeRate
    /// Periodic contributions or withdrawals (default none).
    public var contribution: CashFlowSchedule?
    /// Annual risk-free rate for the Sharpe ratio and alpha.
    public var riskFreeRate = MarketConventions.defaultRiskFreeRate
    /// The series to compare with (default none).
    public var benchmark: ValueSeries?

    /// A back-test of `strategy` on `prices` with the defaults above.
    public init(prices: PriceTable, strategy: any AllocationStrategy) {
        self.prices = prices
        self.strategy = strategy
    }

    static func periodStarts(_ period: RebalancePeriod, _ a: MarketDate, _ b: MarketDate) -> Bool {
        let (ya, ma, _) = a.components
        let (yb, mb, _) = b.components
        switch period {
        case .monthly: return ya != yb || ma != mb
        case .quarterly: return ya != yb || (ma - 1) / 3 != (mb - 1) / 3
        case .annual: return ya != yb
        }
    }

    /// Runs the simulation.
    ///
    /// - Throws: ``BacktestError`` for an empty date range, a non-positive capital, a
    ///   benchmark that does not cover the range, or a withdrawal larger than the portfolio.
    ///   A strategy's failure at a date is not thrown: it is recorded in ``BacktestResult/events``.
    public func run() throws(BacktestError) -> BacktestResult {
        guard initialCapital > 0, initialCapital.isFinite else { throw BacktestError("initial capital must be positive") }
        if let problem = policy.problems.first { throw BacktestError("policy: \(problem)") }
        let first = start.map { prices.firstIndex(onOrAfter: $0) } ?? 0
        let last = end.flatMap { prices.lastIndex(onOrBefore: $0) } ?? (prices.rowCount - 1)
        guard first < prices.rowCount, first <= last else {
            throw BacktestError(
                "no prices between \(start.map { "\($0)" } ?? "the start") and \(end.map { "\($0)" } ?? "the end"); the file covers \(prices.dates.first.map { "\($0)" } ?? "nothing") to \(prices.dates.last.map { "\($0)" } ?? "nothing")"
            )
        }
        let symbols = prices.symbols
        let n = symbols.count
        let index = Dictionary(uniqueKeysWithValues: symbols.enumerated().map { ($1, $0) })
        var quantity = [Double](repeating: 0, count: n)
        var lastPrice = [Double](repeating: .nan, count: n)
        var cash = initialCapital
        var target: [Double]?
        var targetCash = 0.0
        var pending: (weights: [String: Double], decided: MarketDate, reason: String)?
        var dates: [MarketDate] = []
        var values: [Double] = []
        var flows: [Double] = []
        var weights: [[Double]] = []
        var trades: [BacktestTrade] = []
        var events: [RebalanceEvent] = []
        var totalCosts = 0.0
        var turnoverSum = 0.0
        let periodsPerYear = prices.inferredFrequency.periodsPerYear
        let dailyCashGrowth = pow(1 + cashRate, 1 / periodsPerYear)
        let planner: RebalancePlanner? = {
            guard case .planner(let lots) = sizing else { return nil }
            var p = policy
            p.trigger = .calendar
            p.destination = .target
            p.maximumTurnover = nil
            return RebalancePlanner(policy: p, lotSizes: lots)
        }()

        func value() -> Double {
            var v = cash
            for i in 0..<n where quantity[i] != 0 { v += quantity[i] * lastPrice[i] }
            return v
        }

        /// Trades to `w` at row k; returns the event's numbers or a failure.
        func execute(_ w: [String: Double], at k: Int) -> (trades: Int, turnover: Double, cost: Double, failure: String?) {
            let date = prices.dates[k]
            var desired = [Double](repeating: 0, count: n)
            var cashWeight = 0.0
            for (s, x) in w {
                guard x.isFinite, x >= -1e-12 else { return (0, 0, 0, "weight \(x) for \(s) is not a non-negative number") }
                if s == BacktestResult.cashColumn {
                    cashWeight += x
                    continue
                }
                guard let i = index[s] else { return (0, 0, 0, "\(s) is not in the price table") }
                guard prices[k, i].isFinite && prices[k, i] > 0 || x <= 1e-12 else { return (0, 0, 0, "\(s) has no price on \(date)") }
                desired[i] = max(x, 0)
            }
            let sum = desired.reduce(0, +) + cashWeight
            guard sum <= 1 + 1e-9 else { return (0, 0, 0, "the weights sum to \(sum), more than 1") }
            for i in 0..<n where quantity[i] != 0 && !(prices[k, i].isFinite && prices[k, i] > 0) {
                return (0, 0, 0, "\(symbols[i]) is held but has no price on \(date)")
            }
            let before = value()
            if let planner {
                var holdings: [String: Double] = [:]
                var priceMap: [String: Double] = [:]
                var targetMap: [String: Double] = [:]
                for i in 0..<n {
                    if quantity[i] > 0 { holdings[symbols[i]] = quantity[i] }
                    if prices[k, i].isFinite && prices[k, i] > 0 { priceMap[symbols[i]] = prices[k, i] }
                    if desired[i] > 0 { targetMap[symbols[i]] = desired[i] }
                }
                targetMap[BacktestResult.cashColumn] = max(0, 1 - desired.reduce(0, +))
                guard cash.isFinite, abs(cash) < 1e13 else { return (0, 0, 0, "the cash \(cash) is not an amount a plan handles") }
                let account = Account(id: "backtest", cash: Money(max(cash, 0)), holdings: holdings)
                let plan: RebalancePlan
                do { plan = try planner.plan(for: account, toward: targetMap, at: priceMap, asOf: date) } catch {
                    return (0, 0, 0, error.description)
                }
                for t in plan.trades {
                    let i = index[t.symbol]!
                    quantity[i] += t.side == .buy ? t.quantity : -t.quantity
                    if abs(quantity[i]) < 1e-9 { quantity[i] = 0 }
                    trades.append(
                        BacktestTrade(
                            date: date, symbol: t.symbol, side: t.side, quantity: t.quantity, price: t.price, value: t.value.amount,
                            cost: t.cost.amount))
                }
                cash = plan.cashAfter.amount
                let traded = plan.trades.reduce(Money.zero) { $0 + $1.value }.amount
                return (plan.trades.count, before > 0 ? traded / 2 / before : 0, plan.estimatedCost.amount, nil)
            }
            // Fractional: exact quantities; the costs come out of the value invested.
            let costs = policy.costModel
            func fee(_ v: Double) -> Double { costs.cost(ofTrade: v) }
            var trade = [Bool](repeating: false, count: n)
            for i in 0..<n {
                let change = abs(desired[i] * before - quantity[i] * prices[k, i].nanToZero)
                trade[i] = change > 1e-9 * before && change >= policy.minimumTradeValue
            }
            var investable = before
            var fees = 0.0
            for _ in 0..<6 {
                fees = 0
                for i in 0..<n where trade[i] { fees += fee(abs(desired[i] * investable - quantity[i] * prices[k, i])) }
                let next = before - fees
                if next == investable { break }
                investable = next
            }
            guard investable > 0 else { return (0, 0, 0, "the costs \(fees) exceed the portfolio's value \(before)") }
            var count = 0
            var traded = 0.0
            var spent = 0.0
            for i in 0..<n {
                guard trade[i] else {
                    spent += quantity[i] * prices[k, i].nanToZero
                    continue
                }
                let q = desired[i] * investable / prices[k, i]
                let delta = q - quantity[i]
                let v = abs(delta) * prices[k, i]
                trades.append(
                    BacktestTrade(
                        date: date, symbol: symbols[i], side: delta > 0 ? .buy : .sell, quantity: abs(delta), price: prices[k, i], value: v,
                        cost: fee(v)))
                quantity[i] = q
                spent += q * prices[k, i]
                count += 1
                traded += v
            }
            cash = before - spent - fees
            return (count, traded / 2 / before, fees, nil)
        }

        for k in first...last {
            let date = prices.dates[k]
            for i in 0..<n where prices[k, i].isFinite && prices[k, i] > 0 { lastPrice[i] = prices[k, i] }
            var flow = 0.0
            if k > first {
                cash *= dailyCashGrowth
                if let c = contribution, Self.periodStarts(c.period, prices.dates[k - 1], date) {
                    let available = value()
                    if c.amount < 0 && -c.amount > available {
                        throw BacktestError("the withdrawal of \(-c.amount) on \(date) exceeds the portfolio's value \(available)")
                    }
                    cash += c.amount
                    flow = c.amount
                }
            }
            // Yesterday's decision executes at today's close.
            if let p = pending {
                let r = execute(p.weights, at: k)
                events.append(
                    RebalanceEvent(
                        decided: p.decided, executed: r.failure == nil ? date : nil, reason: p.reason, trades: r.trades,
                        turnover: r.turnover,
                        cost: r.cost, failure: r.failure, fallback: r.failure == nil ? nil : "kept the previous holdings"))
                if r.failure == nil {
                    totalCosts += r.cost
                    if p.reason != "initial" { turnoverSum += r.turnover }
                    target = symbols.map { p.weights[$0] ?? 0 }
                    targetCash = p.weights[BacktestResult.cashColumn] ?? 0
                }
                pending = nil
            }
            // Decide.
            var reason: String?
            if k == first {
                reason = "initial"
            } else if pending == nil {
                let calendarDue: Bool
                let band: Double?
                switch schedule {
                case .never: (calendarDue, band) = (false, nil)
                case .calendar(let p): (calendarDue, band) = (Self.periodStarts(p, prices.dates[k - 1], date), nil)
                case .threshold(let x): (calendarDue, band) = (false, x)
                case .calendarAndThreshold(let p, let x): (calendarDue, band) = (Self.periodStarts(p, prices.dates[k - 1], date), x)
                }
                if calendarDue {
                    reason = "calendar"
                } else if let band, let t = target {
                    let v = value()
                    if v > 0 {
                        var breach = abs(cash / v - targetCash) > band + 1e-12
                        for i in 0..<n where !breach && abs(quantity[i] * lastPrice[i].nanToZero / v - t[i]) > band + 1e-12 {
                            breach = true
                        }
                        if breach { reason = "threshold" }
                    }
                }
            }
            if let reason {
                var decided: [String: Double]?
                var failure: String?
                // The strategy sees the prices up to the date and the portfolio held, as a live
                // rebalancer sees the account.
                do {
                    decided = try strategy.targetWeights(history: PriceHistory(prices, through: k, quantities: quantity, cash: cash))
                } catch {
                    failure = "\(error)"
                }
                if let w = decided {
                    if execution == .nextClose && k < last {
                        pending = (w, date, reason)
                    } else if execution == .nextClose {
                        events.append(
                            RebalanceEvent(
                                decided: date, executed: nil, reason: reason, trades: 0, turnover: 0, cost: 0,
                                failure: "the back-test ends before the next close", fallback: "not traded"))
                    } else {
                        let r = execute(w, at: k)
                        events.append(
                            RebalanceEvent(
                                decided: date, executed: r.failure == nil ? date : nil, reason: reason, trades: r.trades,
                                turnover: r.turnover,
                                cost: r.cost, failure: r.failure, fallback: r.failure == nil ? nil : "kept the previous holdings"))
                        if r.failure == nil {
                            totalCosts += r.cost
                            if reason != "initial" { turnoverSum += r.turnover }
                            target = symbols.map { w[$0] ?? 0 }
                            targetCash = w[BacktestResult.cashColumn] ?? 0
                        }
                    }
                } else {
                    events.append(
                        RebalanceEvent(
                            decided: date, executed: nil, reason: reason, trades: 0, turnover: 0, cost: 0, failure: failure,
                            fallback: target == nil ? "stayed in cash" : "kept the previous holdings"))
                }
            }
            let v = value()
            dates.append(date)
            values.append(v)
            flows.append(flow)
            var row = [Double](repeating: 0, count: n + 1)
            if v > 0 {
                for i in 0..<n where quantity[i] != 0 { row[i] = quantity[i] * lastPrice[i] / v }
                row[n] = cash / v
            }
            weights.append(row)
        }
        var returns: [Double] = []
        returns.reserveCapacity(values.count)
        for k in 1..<max(values.count, 1) {
            returns.append(values[k - 1] > 0 ? (values[k] - flows[k]) / values[k - 1] - 1 : 0)
        }
        let returnDates = Array(dates.dropFirst())
        var benchmarkReturns: [Double]?
        if let b = benchmark {
            let aligned = b.aligned(to: dates)
            guard let firstValue = aligned.first ?? nil else {
                throw BacktestError(
                    "the benchmark \(b.name) starts \(b.dates.first.map { "\($0)" } ?? "nowhere"), after the back-test's start \(dates[0])")
            }
            _ = firstValue
            var br: [Double] = []
            for k in 1..<max(aligned.count, 1) { br.append(aligned[k]! / aligned[k - 1]! - 1) }
            benchmarkReturns = br
        }
        // Values are money: a return that rounding to the cent can produce (half a cent over the
        // smallest value) is no dispersion.
        let resolution = 0.005 / Swift.max(values.filter { $0 > 0 }.min() ?? 1, 1e-300)
        let metrics = PerformanceMetrics(
            returns: returns, dates: returnDates, start: dates[0], benchmark: benchmarkReturns, riskFreeRate: riskFreeRate,
            periodsPerYear: periodsPerYear, resolution: resolution)
        let benchmarkMetrics = benchmarkReturns.map {
            PerformanceMetrics(returns: $0, dates: returnDates, start: dates[0], riskFreeRate: riskFreeRate, periodsPerYear: periodsPerYear)
        }
        let years = Double(max(returns.count, 1)) / periodsPerYear
        var mwr: Double?
        if flows.contains(where: { $0 != 0 }) {
            var cf: [(MarketDate, Double)] = [(dates[0], -values[0])]
            for (d, f) in zip(dates, flows) where f != 0 { cf.append((d, -f)) }
            cf.append((dates[dates.count - 1], values[values.count - 1]))
            mwr = Self.internalRate(cf)
        }
        return BacktestResult(
            strategy: strategy.name, schedule: schedule.description, symbols: symbols, dates: dates, values: values, returns: returns,
            flows: flows, weights: weights, trades: trades, events: events, totalCosts: totalCosts, turnover: turnoverSum / years,
            metrics: metrics,
            benchmark: benchmark.map { b in
                let aligned = b.aligned(to: dates)
                return ValueSeries(name: b.name, dates: dates, values: aligned.map { $0! / aligned[0]! * values[0] })
            }, benchmarkMetrics: benchmarkMetrics, moneyWeightedReturn: mwr,
            conventions: MetricConventions(riskFreeRate: riskFreeRate, periodsPerYear: periodsPerYear))
    }

    /// The annual rate that sets the flows' present value to zero (actual/365), by bisection.
    static func internalRate(_ flows: [(MarketDate, Double)]) -> Double? {
        guard let t0 = flows.first?.0.dayNumber else { return nil }
        func npv(_ r: Double) -> Double {
            flows.reduce(0) { $0 + $1.1 / pow(1 + r, Double($1.0.dayNumber - t0) / 365) }
        }
        var lo = -0.9999
        var hi = 10.0
        guard npv(lo).sign != npv(hi).sign else { return nil }
        for _ in 0..<200 {
            let mid = (lo + hi) / 2
            if npv(mid).sign == npv(lo).sign { lo = mid } else { hi = mid }
        }
        return (lo + hi) / 2
    }
}

extension Double {
    fileprivate var nanToZero: Double { isFinite ? self : 0 }
}
