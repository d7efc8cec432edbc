import BallastMarketData
import BallastOptimization
import BallastRebalancing
import BallastRiskModels
import BallastTestSupport
import Foundation
import Synchronization
import Testing

@testable import BallastBacktest

struct Reference: Decodable {
    struct BT: Decodable {
        var dates: [String]
        var values: [Double]
        var initialCapital: Double
    }
    struct Metrics: Decodable {
        var returns: [Double]
        var benchmark: [Double]
        var totalReturn, cagr, annualVolatility, sharpeRatio, sortinoRatio, downsideRisk, maxDrawdown, calmarRatio: Double
        var valueAtRisk95, conditionalValueAtRisk95, excessSharpe, trackingError, alpha, beta, benchmarkCagr: Double
    }
    var riskFreeRateAnnual: Double
    var bt_equal_weight: BT
    var metrics: [String: Metrics]
}

let reference: Reference = try! TestSupport.fixture("backtest_reference.json")
let sp500 = try! PriceCSV.read(path: TestSupport.path("market-data/sp500_20.csv"))
let index = try! PriceCSV.read(path: TestSupport.path("market-data/sp500_index.csv"))

func relative(_ a: Double?, _ b: Double) -> Double {
    guard let a else { return .infinity }
    return abs(a - b) / max(abs(b), 1e-300)
}

/// Checks every statistic against empyrical's value for the same series; under a year of
/// history the annualised ones must instead be undefined, each with its reason.
func expectMatches(_ m: PerformanceMetrics, _ r: Reference.Metrics, tolerance: Double, _ label: String, annualised: Bool = true) {
    let annualisedNames: Set<String> = [
        "cagr", "annualVolatility", "sharpeRatio", "sortinoRatio", "downsideRisk", "calmarRatio",
        "informationRatio / sqrt(252) = excess_sharpe", "trackingError", "alpha",
    ]
    let pairs: [(String, Double?, Double)] = [
        ("totalReturn", m.totalReturn, r.totalReturn), ("cagr", m.cagr, r.cagr),
        ("annualVolatility", m.annualVolatility, r.annualVolatility),
        ("sharpeRatio", m.sharpeRatio, r.sharpeRatio), ("sortinoRatio", m.sortinoRatio, r.sortinoRatio),
        ("downsideRisk", m.downsideRisk, r.downsideRisk), ("maxDrawdown", m.maxDrawdown, r.maxDrawdown),
        ("calmarRatio", m.calmarRatio, r.calmarRatio), ("valueAtRisk95", m.valueAtRisk95, r.valueAtRisk95),
        ("conditionalValueAtRisk95", m.conditionalValueAtRisk95, r.conditionalValueAtRisk95),
        ("informationRatio / sqrt(252) = excess_sharpe", m.informationRatio.map { $0 / 252.0.squareRoot() }, r.excessSharpe),
        ("trackingError", m.trackingError, r.trackingError), ("alpha", m.alpha, r.alpha), ("beta", m.beta, r.beta),
    ]
    for (name, ours, theirs) in pairs {
        if !annualised && annualisedNames.contains(name) {
            #expect(ours == nil, "\(label) \(name) is annualised from under a year: \(String(describing: ours))")
            continue
        }
        #expect(relative(ours, theirs) <= tolerance, "\(label) \(name): \(String(describing: ours)) vs empyrical \(theirs)")
    }
}

@Suite("Metrics against empyrical")
struct MetricsTests {
    @Test(
        "every statistic matches empyrical-reloaded to 1e-10 on the same returns",
        arguments: ["bt_equal_weight_vs_sp500", "synthetic", "short_unrecovered"])
    func empyrical(_ name: String) throws {
        let r = try #require(reference.metrics[name])
        let start = MarketDate(iso: "2000-01-03")!
        let dates = (1...r.returns.count).map { start.adding(days: $0) }
        let m = PerformanceMetrics(
            returns: r.returns, dates: dates, start: start, benchmark: r.benchmark, riskFreeRate: reference.riskFreeRateAnnual)
        let long = r.returns.count >= PerformanceMetrics.minimumAnnualisationDays
        expectMatches(m, r, tolerance: 1e-10, name, annualised: long)
        let b = PerformanceMetrics(returns: r.benchmark, dates: dates, start: start)
        if long {
            #expect(relative(b.cagr, r.benchmarkCagr) <= 1e-10)
        } else {
            #expect(b.cagr == nil && m.undefined["cagr"]?.contains("calendar days") == true)
        }
    }

    @Test("undefined figures are nil with a reason: a riskless series has no Sharpe ratio, under a year nothing is annualised")
    func undefinedFigures() throws {
        let start = MarketDate(iso: "2000-01-03")!
        let dates = (1...800).map { start.adding(days: $0) }
        // Cash at 2% a year against a 2% risk-free rate: the excess returns are rounding.
        let daily = pow(1.02, 1 / 252.0) - 1
        let cash = PerformanceMetrics(returns: Array(repeating: daily, count: 800), dates: dates, start: start, riskFreeRate: 0.02)
        #expect(cash.sharpeRatio == nil, "Sharpe of a riskless series: \(String(describing: cash.sharpeRatio))")
        #expect(cash.undefined["sharpeRatio"]?.contains("no dispersion") == true)
        #expect(cash.calmarRatio == nil && cash.sortinoRatio == nil)
        #expect(try abs(#require(cash.cagr) - 0.02) < 1e-12, "defined figures stay defined")
        // Cash kept to the cent: noise of a tenth of a cent on a million is rounding, not risk.
        var g0 = SeededGenerator(seed: 9)
        let cents = (0..<800).map { _ in daily + Double.random(in: -1e-9...1e-9, using: &g0) }
        let rounded = PerformanceMetrics(returns: cents, dates: dates, start: start, riskFreeRate: 0.02, resolution: 0.005 / 1e6)
        #expect(rounded.sharpeRatio == nil, "\(String(describing: rounded.sharpeRatio))")
        #expect(PerformanceMetrics(returns: cents, dates: dates, start: start, riskFreeRate: 0.02).sharpeRatio != nil)
        // The same returns over 200 days: nothing annualised.
        let short = PerformanceMetrics(
            returns: Array(repeating: 0.001, count: 200), dates: Array(dates.prefix(200)), start: start, riskFreeRate: 0.02)
        #expect(short.cagr == nil && short.annualVolatility == nil && short.sharpeRatio == nil)
        #expect(abs(short.totalReturn - (pow(1.001, 200) - 1)) < 1e-12)
        // JSON keeps every key: undefined is null.
        let json = String(decoding: try JSONEncoder().encode(short), as: UTF8.self)
        #expect(json.contains("\"cagr\":null") && json.contains("\"sharpeRatio\":null"), "\(json.prefix(200))")
        // A noisy series keeps its Sharpe ratio.
        var g = SeededGenerator(seed: 3)
        let noisy = (0..<800).map { _ in Double.random(in: -0.01...0.012, using: &g) }
        #expect(PerformanceMetrics(returns: noisy, dates: dates, start: start, riskFreeRate: 0.02).sharpeRatio != nil)
    }

    @Test("drawdown dates: peak, trough, recovery and length on a hand-made path")
    func drawdownDates() {
        let start = MarketDate(iso: "2022-01-03")!
        let dates = (1...6).map { start.adding(days: $0) }
        // Wealth: 1.1, 0.99, 0.891, 1.0, 1.1, 1.21 -> peak day 1, trough day 3, recovered day 5.
        let m = PerformanceMetrics(returns: [0.1, -0.1, -0.1, 1.0 / 0.891 - 1, 0.1, 0.1], dates: dates, start: start)
        let d = m.maxDrawdownPeriod!
        #expect(abs(d.depth - (0.891 / 1.1 - 1)) < 1e-15)
        #expect(d.peak == dates[0] && d.trough == dates[2] && d.recovery == dates[4] && d.length == 4)
        let never = PerformanceMetrics(returns: [0.01, 0.02], dates: Array(dates.prefix(2)), start: start)
        #expect(never.maxDrawdown == 0 && never.maxDrawdownPeriod == nil && never.calmarRatio == nil)
        #expect(m.yearlyReturns.count == 1 && m.monthlyReturns.map(\.period) == ["2022-01"])
    }
}

@Suite("Simulation")
struct SimulationTests {
    func equalWeight(_ configure: (inout Backtest) -> Void = { _ in }) throws -> BacktestResult {
        var b = Backtest(prices: sp500, strategy: EqualWeight())
        b.schedule = .calendar(.monthly)
        configure(&b)
        return try b.run()
    }

    @Test("equal weight, monthly, no costs: bt's value day by day to 1e-12, and its metrics match empyrical")
    func matchesBT() throws {
        let bt = reference.bt_equal_weight
        var result = try equalWeight { b in
            b.benchmark = try? ValueSeries(index, symbol: "SP500")
            b.riskFreeRate = reference.riskFreeRateAnnual
        }
        #expect(result.dates.map(\.description) == bt.dates)
        let worst = zip(result.values, bt.values).map { abs($0 - $1) / $1 }.max()!
        #expect(worst <= 1e-12, "largest relative difference from bt: \(worst)")
        #expect(result.events.count == 396 && result.failures.isEmpty)
        expectMatches(result.metrics, reference.metrics["bt_equal_weight_vs_sp500"]!, tolerance: 1e-10, "our run")
        result.metrics.monthlyReturns = []
        #expect(result.totalCosts == 0)
    }

    @Test("no look-ahead: changing every price after a date changes no decision up to it")
    func noLookAhead() throws {
        let cut = MarketDate(iso: "2001-06-29")!
        var config = RiskModelConfiguration()
        config.covariance = .ledoitWolf(.constantVariance)
        let strategy = MeanVarianceStrategy(objective: .minimumVolatility, estimation: config, window: 252)
        let table = try sp500.window(start: MarketDate(iso: "1999-01-01"), end: MarketDate(iso: "2003-12-31"))
        // The same table with every price after the cut scrambled.
        var g = SeededGenerator(seed: 3)
        var values = table.values
        for j in 0..<table.symbolCount {
            for k in 0..<table.rowCount where table.dates[k] > cut {
                values[k + j * table.rowCount] *= Double.random(in: 0.5...1.5, using: &g)
            }
        }
        let scrambled = try PriceTable(symbols: table.symbols, dates: table.dates, values: values)
        func run(_ t: PriceTable) throws -> BacktestResult {
            var b = Backtest(prices: t, strategy: strategy)
            b.start = MarketDate(iso: "2000-01-03")
            return try b.run()
        }
        let a = try run(table)
        let b = try run(scrambled)
        let upTo = a.dates.lastIndex { $0 <= cut }!
        #expect(Array(a.values[0...upTo]) == Array(b.values[0...upTo]))
        #expect(Array(a.weights[0...upTo]) == Array(b.weights[0...upTo]))
        #expect(a.trades.filter { $0.date <= cut } == b.trades.filter { $0.date <= cut })
        #expect(a.values.last != b.values.last, "the scrambled future does change what follows")
    }

    @Test("costs: the simulator charges exactly what the cost model and the planner predict")
    func costConsistency() throws {
        var policy = RebalancePolicy()
        policy.costBasisPoints = 10
        policy.fixedCost = 1
        policy.minimumCost = 5
        // Fractional sizing: the first close is the capital less the first day's costs.
        let fractional = try equalWeight { b in
            b.policy = policy
            b.end = MarketDate(iso: "1995-12-31")
        }
        #expect(abs(fractional.values[0] - (1_000_000 - fractional.events[0].cost)) < 1e-6)
        let charged = fractional.trades.reduce(0.0) { $0 + $1.cost }
        #expect(abs(charged - fractional.totalCosts) < 1e-6)
        // Every trade is charged by the one cost model (whose formula is checked against hand-computed
        // values in the market-data tests), and the charges cover every trade.
        #expect(!fractional.trades.isEmpty)
        for t in fractional.trades { #expect(abs(t.cost - policy.costModel.cost(ofTrade: t.value)) < 1e-9) }
        #expect(
            fractional.trades.contains { t in t.cost == 5 } && fractional.trades.contains { t in t.cost > 5 },
            "both the floor and the rate bind")
        // Planner sizing: each rebalance charges what RebalancePlanner.plan estimated.
        let planned = try equalWeight { b in
            b.policy = policy
            b.sizing = .planner(lotSizes: [:])
            b.end = MarketDate(iso: "1995-12-31")
        }
        // Each decision's cost is the sum of its trades' costs, each the cost model's charge to the cent.
        for e in planned.events {
            let own = planned.trades.filter { $0.date == (e.executed ?? e.decided) }.reduce(0.0) { $0 + $1.cost }
            #expect(abs(e.cost - own) < 0.005, "\(e.decided)")
        }
        for t in planned.trades {
            #expect(abs(t.cost - Double(policy.costModel.cost(ofTradeCents: Int64((t.value * 100).rounded()))) / 100) < 1e-9)
        }
        #expect(planned.trades.allSatisfy { $0.quantity == $0.quantity.rounded() }, "whole shares")
        // The first close: the capital less the first day's costs, up to each trade's value being
        // rounded to the cent (half a cent per trade at most).
        let firstTrades = planned.trades.filter { $0.date == planned.dates[0] }.count
        #expect(firstTrades > 0)
        #expect(
            abs(planned.values[0] + planned.events[0].cost - 1_000_000) <= 0.005 * Double(firstTrades),
            "capital less costs, to half a cent a trade")
    }

    @Test("conservation: weights add up, nothing negative, value moves only with prices, flows and costs")
    func conservation() throws {
        for sizing in [PositionSizing.fractional, .planner(lotSizes: [:])] {
            let r = try equalWeight { b in
                b.sizing = sizing
                b.policy.costBasisPoints = 5
                b.contribution = CashFlowSchedule(amount: 1_000, period: .monthly)
                b.end = MarketDate(iso: "1994-12-31")
            }
            for (k, w) in r.weights.enumerated() {
                #expect(abs(w.reduce(0, +) - 1) < 1e-9, "weights at \(r.dates[k])")
                #expect(w.allSatisfy { $0 >= -1e-12 }, "no negative position or cash at \(r.dates[k])")
            }
            // Between rebalances nothing is traded: the value moves with the held quantities' prices.
            let tradeDays = Set(r.trades.map(\.date))
            for k in 1..<r.dates.count where !tradeDays.contains(r.dates[k]) && r.flows[k] == 0 {
                var expected = r.weights[k - 1].last! * r.values[k - 1]
                for (j, s) in r.symbols.enumerated() where r.weights[k - 1][j] > 0 {
                    let col = sp500.index(of: s)!
                    let kk = sp500.dates.firstIndex(of: r.dates[k])!
                    expected += r.weights[k - 1][j] * r.values[k - 1] * sp500[kk, col] / sp500[kk - 1, col]
                }
                #expect(abs(expected - r.values[k]) <= 1e-9 * r.values[k], "\(r.dates[k])")
            }
            #expect(r.moneyWeightedReturn != nil, "flows give a money-weighted return")
        }
    }

    @Test("the same input gives the same result")
    func determinism() throws {
        let a = try equalWeight { $0.schedule = .threshold(0.02) }
        let b = try equalWeight { $0.schedule = .threshold(0.02) }
        #expect(a.values == b.values && a.trades == b.trades && a.events == b.events)
        #expect(a.events.allSatisfy { $0.reason == "initial" || $0.reason == "threshold" })
    }

    @Test("a failed decision is recorded with its reason and the fallback, never hidden")
    func failuresRecorded() throws {
        var b = Backtest(prices: sp500, strategy: MeanVarianceStrategy(objective: .minimumVolatility, window: 300))
        b.start = MarketDate(iso: "1990-06-01")
        b.end = MarketDate(iso: "1991-12-31")
        let r = try b.run()
        let first = try #require(r.events.first)
        #expect(first.failure?.contains("the window needs 300") == true)
        #expect(first.fallback == "stayed in cash")
        #expect(r.values[0] == 1_000_000)
        #expect(r.events.contains { $0.failure == nil && $0.trades > 0 }, "trades once the window is long enough")
    }

    @Test("next-close execution trades one day after the decision")
    func nextClose() throws {
        let r = try equalWeight {
            $0.execution = .nextClose
            $0.end = MarketDate(iso: "1990-12-31")
        }
        for e in r.events where e.executed != nil {
            let k = r.dates.firstIndex(of: e.decided)!
            #expect(e.executed == r.dates[k + 1])
        }
        #expect(r.values[0] == 1_000_000, "nothing traded on the first close")
    }

    @Test("cash earns its rate; flows do not count as returns: time-weighted and money-weighted returns")
    func cashRateAndFlows() throws {
        // Flat prices: every return comes from cash interest alone.
        let dates = (0..<505).map { MarketDate(iso: "2020-01-01")!.adding(days: $0) }
        let flat = try PriceTable(symbols: ["A", "B"], dates: dates, values: Array(repeating: 10, count: 2 * dates.count))
        var b = Backtest(prices: flat, strategy: FixedWeights(["CASH": 1]))
        b.cashRate = 0.05
        let cash = try b.run()
        #expect(abs(try #require(cash.metrics.cagr) - 0.05) < 1e-12, "252 daily steps of (1.05)^(1/252) a year")
        b = Backtest(prices: flat, strategy: EqualWeight())
        b.contribution = CashFlowSchedule(amount: 10_000, period: .monthly)
        let flows = try b.run()
        #expect(flows.flows.filter { $0 != 0 }.count == 16, "one contribution at each month start after the first")
        #expect(flows.returns.allSatisfy { abs($0) < 1e-15 }, "contributions are not returns")
        #expect(abs(flows.values.last! - (1_000_000 + 160_000)) < 1e-6)
        #expect(abs(flows.moneyWeightedReturn!) < 1e-9)
        // A withdrawal larger than the portfolio is refused with the date.
        b.contribution = CashFlowSchedule(amount: -600_000, period: .monthly)
        #expect(throws: BacktestError.self) { try b.run() }
    }

    @Test("frequency is carried by the data: a monthly back-test annualises with 12")
    func monthlyFrequency() throws {
        let monthly = sp500.resampled(to: .monthly)
        #expect(monthly.inferredFrequency == .monthly && sp500.inferredFrequency == .daily)
        #expect(sp500.resampled(to: .weekly).inferredFrequency == .weekly)
        var b = Backtest(prices: monthly, strategy: EqualWeight())
        b.start = MarketDate(iso: "2000-01-01")
        b.end = MarketDate(iso: "2009-12-31")
        b.benchmark = nil
        let r = try b.run()
        #expect(r.conventions.periodsPerYear == 12)
        let n = Double(r.returns.count)
        let expected = pow(1 + r.metrics.totalReturn, 12 / n) - 1
        #expect(abs(try #require(r.metrics.cagr) - expected) < 1e-12, "CAGR over \(n) monthly returns")
        var sum = 0.0
        for x in r.returns { sum += x }
        let mean = sum / n
        var ss = 0.0
        for x in r.returns { ss += (x - mean) * (x - mean) }
        #expect(abs(try #require(r.metrics.annualVolatility) - (ss / (n - 1)).squareRoot() * 12.0.squareRoot()) < 1e-12)
    }
}

/// Records what a strategy is shown at each decision.
final class SeenPortfolios: Sendable {
    private let seen = Mutex<[(date: MarketDate, holdings: [String: Double], cash: Double)]>([])
    func add(_ h: PriceHistory) { seen.withLock { $0.append((h.date, h.holdings, h.cash)) } }
    var all: [(date: MarketDate, holdings: [String: Double], cash: Double)] { seen.withLock { $0 } }
}

/// Equal weights, recording the portfolio it is shown.
struct RecordingStrategy: AllocationStrategy {
    let log: SeenPortfolios
    var name: String { "recording" }
    func targetWeights(history: PriceHistory) throws -> [String: Double] {
        log.add(history)
        let s = history.tradable
        return Dictionary(uniqueKeysWithValues: s.map { ($0, 1 / Double(s.count)) })
    }
}

@Suite("Strategies see the portfolio held")
struct StrategiesSeeHoldings {
    @Test("at each decision a strategy sees the quantities and cash held, worth the portfolio's value on that date")
    func holdingsAtDecisions() throws {
        let log = SeenPortfolios()
        let table = try sp500.window(start: MarketDate(iso: "2021-01-01"), end: MarketDate(iso: "2021-12-31"))
        var b = Backtest(prices: table, strategy: RecordingStrategy(log: log))
        b.schedule = .calendar(.quarterly)
        b.initialCapital = 100_000
        let r = try b.run()
        let seen = log.all
        #expect(seen.count >= 4)
        // Before the first trade: all cash.
        #expect(seen[0].holdings.isEmpty && abs(seen[0].cash - 100_000) < 1e-9)
        for s in seen.dropFirst() {
            #expect(!s.holdings.isEmpty)
            // The holdings at the close of the decision date plus cash are the portfolio's value then.
            let k = try #require(r.dates.firstIndex(of: s.date))
            let row = try #require(table.dates.firstIndex(of: s.date))
            var worth = s.cash
            for (symbol, q) in s.holdings { worth += q * table[row, try #require(table.index(of: symbol))] }
            #expect(abs(worth - r.values[k]) <= 1e-6 * r.values[k], "\(s.date): \(worth) against \(r.values[k])")
        }
    }
}
