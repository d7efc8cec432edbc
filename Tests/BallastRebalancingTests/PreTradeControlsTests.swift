import BallastMarketData
import Foundation
import Testing

@testable import BallastRebalancing

@Suite("Pre-trade controls: each trips just above its limit and not at it")
struct PreTradeControlsTests {
    static let day = MarketDate(iso: "2022-12-28")!
    /// Far from its target: the plan sells AAA and buys BBB and RISKY.
    static let account = Account(id: "A-1", model: "C3", cash: Money(cents: 100_000), holdings: ["AAA": 800, "BBB": 10])
    static let target = ["AAA": 0.4, "BBB": 0.4, "RISKY": 0.2]
    static let prices = ["AAA": 10.0, "BBB": 20.0, "RISKY": 50.0]
    static let ratings = ["AAA": 2, "BBB": 3, "RISKY": 4]

    func plan(_ limits: AccountLimits?, stopped: [PriceStop] = [], model: String = "C3", suspension: String? = nil) throws
        -> RebalancePlan
    {
        var planner = RebalancePlanner(policy: RebalancePolicy())
        planner.controls = limits.map { PlanControls(limits: $0, stopped: stopped, ratings: Self.ratings, suspension: suspension) }
        var a = Self.account
        a.model = model
        return try planner.plan(for: a, toward: Self.target, at: Self.prices, asOf: Self.day)
    }

    /// The invariants of a plan that a control stopped: nothing traded, nothing moved.
    func expectWithheld(_ p: RebalancePlan, _ status: PlanStatus, naming field: String) {
        #expect(p.status == status)
        #expect(p.trades.isEmpty)
        #expect(p.cashAfter == p.cashBefore && p.weightsAfter == p.weightsBefore && p.driftAfter == p.driftBefore)
        #expect(p.turnover == 0 && p.estimatedCost == Money(cents: 0))
        #expect(p.notes.last?.contains(field) == true, "the note names \(field): \(p.notes)")
    }

    func none() -> AccountLimits {
        var l = AccountLimits.off
        l.levelProductsOnly = false
        return l
    }

    @Test("turnover: held above the limit, released at it")
    func turnover() throws {
        let free = try plan(nil)
        #expect(free.status == .rebalanced && free.turnover > 0)
        var l = none()
        l.maximumTurnover = free.turnover * (1 - 1e-9)
        expectWithheld(try plan(l), .held, naming: "account.maximumTurnover")
        l.maximumTurnover = free.turnover
        #expect(try plan(l) == free)
    }

    @Test("trade value and trade share: held above the limit, released at it")
    func tradeValue() throws {
        let free = try plan(nil)
        let largest = free.trades.map(\.value.amount).max()!
        var l = none()
        l.maximumTradeValue = largest - 0.01
        expectWithheld(try plan(l), .held, naming: "account.maximumTradeValue")
        l.maximumTradeValue = largest
        #expect(try plan(l) == free)
        // The account's value before the plan: cash 1000 + 800 x 10 + 10 x 20.
        let share = largest / 9200
        l = none()
        l.maximumTradeShare = share * (1 - 1e-9)
        expectWithheld(try plan(l), .held, naming: "account.maximumTradeShare")
        l.maximumTradeShare = share * (1 + 1e-9)
        #expect(try plan(l) == free)
    }

    @Test("concentration after trades: a product bought above the limit is held, a sold one is not")
    func concentration() throws {
        let free = try plan(nil)
        let bought = Set(free.trades.filter { $0.side == .buy }.map(\.symbol))
        let highest = free.weightsAfter.filter { bought.contains($0.key) }.map(\.value).max()!
        var l = none()
        l.maximumPositionWeight = highest * (1 - 1e-9)
        expectWithheld(try plan(l), .held, naming: "account.maximumPositionWeight")
        l.maximumPositionWeight = highest * (1 + 1e-9)
        #expect(try plan(l) == free)
        // A product sold down, still above the limit after the plan, does not hold it.
        var planner = RebalancePlanner(policy: RebalancePolicy())
        l.maximumPositionWeight = 0.5
        planner.controls = PlanControls(limits: l)
        let heavy = Account(id: "A-4", cash: Money(cents: 0), holdings: ["AAA": 900])
        let p = try planner.plan(for: heavy, toward: ["AAA": 0.7, "BBB": 0.3], at: Self.prices, asOf: Self.day)
        #expect(p.status == .rebalanced && p.weightsAfter["AAA"]! > 0.5 && p.weightsAfter["BBB"]! < 0.5)
    }

    @Test("level: a C3 account does not buy an R4 product; a C4 account does; selling one is allowed")
    func level() throws {
        var l = none()
        l.levelProductsOnly = true
        expectWithheld(try plan(l, model: "C3"), .held, naming: "RISKY is rated R4, above the account's level C3")
        #expect(try plan(l, model: "C4").status == .rebalanced)
        // A model not named like a level: no level to check.
        #expect(try plan(l, model: "growth").status == .rebalanced)
        // C2 holding R3 BBB above its target sells it: the sale is not stopped.
        var planner = RebalancePlanner(policy: RebalancePolicy())
        planner.controls = PlanControls(limits: l, ratings: Self.ratings)
        let a = Account(id: "A-2", model: "C2", cash: Money(cents: 0), holdings: ["AAA": 100, "BBB": 100])
        let p = try planner.plan(for: a, toward: ["AAA": 0.9, "BBB": 0.1], at: Self.prices, asOf: Self.day)
        #expect(p.status == .rebalanced && p.trades.contains { $0.symbol == "BBB" && $0.side == .sell })
    }

    @Test("a product whose price stops trading holds every plan that trades it, and no other")
    func priceStop() throws {
        let stop = PriceStop(symbol: "RISKY", date: Self.day, price: 50, reason: "moved +30.0%")
        expectWithheld(try plan(none(), stopped: [stop]), .held, naming: "no trade in RISKY: moved +30.0%")
        let other = PriceStop(symbol: "ZZZ", date: Self.day, price: 5, reason: "no price")
        #expect(try plan(none(), stopped: [other]) == (try plan(nil)))
    }

    @Test("the suspension turns every plan, even one within its band, into suspended with the reason")
    func suspension() throws {
        expectWithheld(try plan(none(), suspension: "exchange closed"), .suspended, naming: "suspended: exchange closed")
        var planner = RebalancePlanner(policy: RebalancePolicy())
        planner.controls = PlanControls(limits: none(), suspension: "exchange closed")
        let onTarget = Account(id: "A-3", cash: Money(cents: 0), holdings: ["AAA": 100])
        #expect(try planner.plan(for: onTarget, toward: ["AAA": 1], at: Self.prices, asOf: Self.day).status == .suspended)
        // The file switch: present, its first line is the reason; absent, no suspension.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-suspend-\(getpid())").path
        var controls = PreTradeControls()
        controls.suspensionFile = file
        try? FileManager.default.removeItem(atPath: file)
        #expect(controls.suspension == nil)
        try "\n  extreme market: index down 9%  \nmore\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(controls.suspension == "extreme market: index down 9%")
        try "".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(controls.suspension == "the suspension file \(file) is present")
        try FileManager.default.removeItem(atPath: file)
    }

    /// Business days from 2022-01-03 with the given closes.
    func table(_ closes: [String: [Double]], days: Int) throws -> PriceTable {
        var dates: [MarketDate] = []
        var d = MarketDate(iso: "2022-01-03")!
        while dates.count < days {
            if d.isoWeekday <= 5 { dates.append(d) }
            d = d.adding(days: 1)
        }
        let symbols = closes.keys.sorted()
        return try PriceTable(symbols: symbols, dates: dates, values: symbols.flatMap { closes[$0]! })
    }

    @Test("price stops: age, a fixed move and a move in robust standard deviations, each just over and just under")
    func priceStops() throws {
        // Daily log returns alternating ±0.5%: the median absolute deviation is 0.005, so the
        // robust daily standard deviation is 1.4826 x 0.005 = 0.0074 (by hand).
        func series(lastMove: Double) -> [Double] {
            var p = [100.0]
            for k in 1..<259 { p.append(p[k - 1] * exp(k % 2 == 0 ? 0.005 : -0.005)) }
            p.append(p.last! * (1 + lastMove))
            return p
        }
        let sigma = 1.4826 * 0.005
        let over = exp(10.02 * sigma) - 1
        let under = exp(9.98 * sigma) - 1
        let t = try table(["OVER": series(lastMove: over), "UNDER": series(lastMove: under)], days: 260)
        let last = t.dates.last!
        var rule = PriceControls()
        rule.maximumMove = nil
        #expect(rule.stops(in: t, on: last, symbols: ["OVER", "UNDER"]).map(\.symbol) == ["OVER"])
        // The moves are +7.711% and +7.679%: a fixed limit of ±7.72% stops neither, ±7.65% both.
        #expect(abs(over - 0.07711) < 1e-5 && abs(under - 0.07679) < 1e-5)
        rule = PriceControls()
        rule.maximumMoveDeviations = nil
        rule.maximumMove = 0.0772
        #expect(rule.stops(in: t, on: last, symbols: ["OVER", "UNDER"]).isEmpty)
        rule.maximumMove = 0.0765
        #expect(rule.stops(in: t, on: last, symbols: ["OVER", "UNDER"]).map(\.symbol) == ["OVER", "UNDER"])
        // Age in calendar days from the last price to the plan's date: 5 passes, 6 stops.
        rule = PriceControls()
        (rule.maximumMove, rule.maximumMoveDeviations) = (nil, nil)
        #expect(rule.stops(in: t, on: last.adding(days: 5), symbols: ["UNDER"]).isEmpty)
        let old = rule.stops(in: t, on: last.adding(days: 6), symbols: ["UNDER"])
        #expect(old.count == 1 && old[0].reason.contains("6 days old") && old[0].date == last)
        // A product without a price at all.
        #expect(rule.stops(in: t, on: last, symbols: ["NONE"]).map(\.reason) == ["no price"])
    }

    @Test("circuit breakers: each trips just above its limit and not at it; shares wait for the minimum count")
    func breakers() {
        var b = CircuitBreakers()
        b.minimumAccounts = 100
        b.maximumTradedValue = 1000
        #expect(b.tripped(lines: 1, trading: 1, tradedValue: 1000.01, errors: 0, held: 0)?.breaker == "maximumTradedValue")
        #expect(b.tripped(lines: 1, trading: 1, tradedValue: 1000, errors: 0, held: 0) == nil, "one line: shares not judged")
        #expect(b.tripped(lines: 100, trading: 80, tradedValue: 0, errors: 5, held: 5) == nil, "each at its limit")
        #expect(b.tripped(lines: 100, trading: 81, tradedValue: 0, errors: 0, held: 0)?.breaker == "maximumTradingShare")
        #expect(b.tripped(lines: 100, trading: 0, tradedValue: 0, errors: 6, held: 0)?.breaker == "maximumErrorShare")
        #expect(b.tripped(lines: 100, trading: 0, tradedValue: 0, errors: 0, held: 6)?.breaker == "maximumControlShare")
        #expect(b.tripped(lines: 99, trading: 99, tradedValue: 0, errors: 99, held: 99) == nil, "below the minimum count")
        let trip = b.tripped(lines: 100, trading: 81, tradedValue: 0, errors: 0, held: 0)!
        #expect(trip.description == "batch.maximumTradingShare: 81.0% of 100 accounts would trade, above the limit 80.0%")
    }

    @Test("a controls file: absent fields keep the documented defaults, null turns a limit off, bad ones are named")
    func file() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-controls-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        func read(_ text: String) throws(RebalanceError) -> PreTradeControls {
            try? text.write(toFile: dir + "/c.json", atomically: true, encoding: .utf8)
            return try PreTradeControls.read(path: dir + "/c.json")
        }
        let d = try read("{}")
        #expect(d == PreTradeControls())
        #expect(d.account.maximumTurnover == 0.5 && d.prices.maximumAgeDays == 5 && d.batch.maximumErrorShare == 0.05)
        let off = try read(#"{"account": {"maximumTurnover": null}, "prices": {"maximumMove": null}}"#)
        #expect(off.account.maximumTurnover == nil && off.prices.maximumMove == nil && off.prices.maximumAgeDays == 5)
        for (text, says) in [
            (#"{"acount": {}}"#, "acount: unknown field"),
            (#"{"account": {"maximumTurnovr": 0.5}}"#, "account.maximumTurnovr: unknown field"),
            (#"{"account": {"maximumTradeShare": 1.5}}"#, "account.maximumTradeShare: must be a fraction"),
            (#"{"batch": {"minimumAccounts": 0}}"#, "batch.minimumAccounts: must be at least 1"),
            (#"{"prices": {"maximumAgeDays": "five"}}"#, "prices.maximumAgeDays"),
        ] {
            do {
                _ = try read(text)
                Issue.record("\(text) was accepted")
            } catch {
                #expect(error.message.hasPrefix(dir + "/c.json: ") && error.message.contains(says), "\(error.message)")
            }
        }
        try FileManager.default.removeItem(atPath: dir)
    }

    @Test("the batch planner writes the same bytes as the general path under controls", arguments: 1...150)
    func batchBytes(_ seed: Int) throws {
        let c = randomCase(UInt64(seed))
        var planner = RebalancePlanner(policy: c.policy, lotSizes: c.lots)
        var limits = AccountLimits()
        limits.maximumTurnover = [0.05, 0.2, nil][seed % 3]
        limits.maximumTradeShare = [nil, 0.1][seed % 2]
        let stopped = seed % 5 == 0 ? [PriceStop(symbol: "S1", date: asOf, price: 1, reason: "stale")] : []
        planner.controls = PlanControls(limits: limits, stopped: stopped, ratings: ["S0": 5], suspension: seed % 17 == 0 ? "halt" : nil)
        let batch = try BatchPlanner(planner: planner, targets: ["C3": c.target], prices: c.prices, asOf: asOf)
        var account = c.account
        account.model = "C3"
        var bytes = Array(try JSONEncoder().encode(account))
        let sink = ByteSink(capacity: 16)
        var scratch = BatchPlanner.Scratch()
        let outcome = bytes.withUnsafeMutableBufferPointer { batch.plan(line: UnsafeBufferPointer($0), into: sink, scratch: &scratch) }
        if let plan = try? planner.plan(for: account, toward: c.target, at: c.prices, asOf: asOf) {
            let o = try #require(outcome)
            #expect(String(decoding: sink.bytes, as: UTF8.self) == plan.jsonLine)
            #expect(o.status == plan.status)
            #expect(o.tradedValue == plan.trades.reduce(Money(cents: 0)) { $0 + $1.value }.amount)
        } else {
            #expect(outcome == nil)
        }
    }
}
