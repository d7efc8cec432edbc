import BallastMarketData
import BallastTestSupport
import Foundation
import Testing

@testable import BallastRebalancing

func cents(_ x: Double) -> Int64 { Int64((x * 100).rounded()) }
func cents(_ m: Money) -> Int64 { m.cents }

struct RandomCase {
    let account: Account
    let target: [String: Double]
    let prices: [String: Double]
    let lots: [String: Double]
    let policy: RebalancePolicy
}

func randomCase(_ seed: UInt64) -> RandomCase {
    var g = SeededGenerator(seed: seed)
    let n = Int.random(in: 2...10, using: &g)
    let symbols = (0..<n).map { "S\($0)" }
    var prices: [String: Double] = [:]
    var holdings: [String: Double] = [:]
    var lots: [String: Double] = [:]
    for s in symbols {
        prices[s] = (Double.random(in: 1...500, using: &g) * 100).rounded() / 100
        if Bool.random(using: &g) { holdings[s] = Double(Int.random(in: 0...400, using: &g)) }
        lots[s] = [1, 1, 1, 10, 100].randomElement(using: &g)!
    }
    var raw = symbols.map { _ in Double.random(in: 0...1, using: &g) }
    if Bool.random(using: &g) { raw[0] = 0 }
    let cashWeight = Bool.random(using: &g) ? Double.random(in: 0...0.2, using: &g) : 0
    let total = raw.reduce(0, +)
    var target = Dictionary(uniqueKeysWithValues: zip(symbols, raw.map { $0 / total * (1 - cashWeight) }))
    if cashWeight > 0 { target["CASH"] = cashWeight }
    var policy = RebalancePolicy()
    policy.trigger = RebalanceTrigger.allCases.randomElement(using: &g)!
    policy.destination = RebalanceDestination.allCases.randomElement(using: &g)!
    policy.minimumTradeValue = [0, 0, 50, 500].randomElement(using: &g)!
    policy.cashBuffer = [0, 0, 0.01, 0.03].randomElement(using: &g)!
    policy.costBasisPoints = [0, 5, 25].randomElement(using: &g)!
    policy.fixedCost = [0, 1, 4.95].randomElement(using: &g)!
    policy.minimumCost = [0, 2].randomElement(using: &g)!
    policy.maximumTurnover = [nil, nil, 0.1].randomElement(using: &g)!
    policy.fractionalDecimals = [nil, nil, nil, 3].randomElement(using: &g)!
    let flow: CashFlow? = [nil, CashFlow(amount: 5000), CashFlow(amount: -2000)].randomElement(using: &g)!
    let last = [nil, MarketDate(iso: "2022-11-30"), MarketDate(iso: "2021-12-31")].randomElement(using: &g)!
    let account = Account(
        id: "A\(seed)", cash: Money(cents: Int64.random(in: 0...2_000_000, using: &g)), holdings: holdings, cashFlow: flow,
        lastRebalance: last)
    return RandomCase(account: account, target: target, prices: prices, lots: lots, policy: policy)
}

let asOf = MarketDate(iso: "2022-12-28")!

@Suite("Rebalancing invariants on seeded random accounts and policies")
struct PlannerPropertyTests {
    @Test("no shorts, never more sold than held, cash above the buffer, whole lots, money to the cent, deterministic", arguments: 1...300)
    func invariants(_ seed: Int) throws {
        let c = randomCase(UInt64(seed))
        let planner = RebalancePlanner(policy: c.policy, lotSizes: c.lots)
        let plan: RebalancePlan
        do {
            plan = try planner.plan(for: c.account, toward: c.target, at: c.prices, asOf: asOf)
        } catch {
            // The only acceptable refusal: a withdrawal the account cannot meet.
            #expect(error.field == "cashFlow", "\(error)")
            return
        }
        var quantity = c.account.holdings
        var sales: Int64 = 0
        var purchases: Int64 = 0
        var costs: Int64 = 0
        var sawBuy = false
        for t in plan.trades {
            let unit = c.policy.fractionalDecimals.map { pow(10, -Double($0)) } ?? c.lots[t.symbol]!
            let units = t.quantity / unit
            #expect(abs(units - units.rounded()) < 1e-6, "\(t.symbol) quantity \(t.quantity) not in lots of \(unit)")
            #expect(t.quantity > 0)
            #expect(cents(t.value) == cents(t.quantity * t.price))
            if t.side == .sell {
                #expect(t.quantity <= (quantity[t.symbol] ?? 0) + 1e-9, "sold more \(t.symbol) than held")
                #expect(!sawBuy || t.reason.rawValue.contains("withdrawal"), "sells come before buys")
                quantity[t.symbol, default: 0] -= t.quantity
                sales += cents(t.value)
            } else {
                sawBuy = true
                quantity[t.symbol, default: 0] += t.quantity
                purchases += cents(t.value)
            }
            costs += cents(t.cost)
            if c.policy.minimumTradeValue > 0 { #expect(t.value.amount >= c.policy.minimumTradeValue - 1e-9) }
        }
        for (_, q) in quantity { #expect(q >= -1e-9, "short position") }
        let flow = c.account.cashFlow?.amount.cents ?? 0
        #expect(cents(plan.cashAfter) == cents(plan.cashBefore) + flow + sales - purchases - costs, "money not conserved to the cent")
        let invested: Double = c.account.holdings.reduce(0.0) { $0 + $1.value * c.prices[$1.key]! }
        let total = invested + c.account.cash.amount + Double(flow) / 100
        #expect(plan.cashAfter.amount >= (c.policy.cashBuffer * total * 100).rounded() / 100 - 0.01)
        #expect(try planner.plan(for: c.account, toward: c.target, at: c.prices, asOf: asOf) == plan)
        if plan.status == .rebalanced && plan.notes.isEmpty {
            for (s, w) in c.target where s != "CASH" {
                let band = referenceBand(c.policy, target: w)
                #expect(abs((plan.weightsAfter[s] ?? 0) - w) <= band + 1e-9, "\(s) outside its band without a note")
            }
        }
        #expect(abs(plan.weightsAfter.values.reduce(0, +) - 1) < 1e-9)
    }
}

/// The half-width of an asset's band under a trigger, from the rule's definition (DOMAIN.md,
/// section 6): the absolute band, the relative band times the target, or the narrower of the two
/// for rules that fire on either.
func referenceBand(_ p: RebalancePolicy, target w: Double) -> Double {
    switch p.trigger {
    case .relativeBand: p.relativeBand * w
    case .fiveTwentyFive, .calendarAndThreshold: min(p.absoluteBand, p.relativeBand * w)
    default: p.absoluteBand
    }
}

/// The constraint names a plan's notes give for `symbol` (the text from the symbol to the next `)`).
func namedConstraints(for symbol: String, in notes: [String]) -> [String] {
    let names = ["whole lots", "available cash", "the minimum trade value", "trade costs", "the turnover limit", "the withdrawal"]
    var found: [String] = []
    for note in notes where note.contains("outside") {
        let words = note.split(whereSeparator: { $0 == " " || $0 == "," || $0 == ":" || $0 == "(" })
        guard words.contains(where: { $0 == symbol }), let start = note.range(of: symbol + " ") ?? note.range(of: symbol + ",") else {
            continue
        }
        let tail = note[start.lowerBound...]
        let segment = tail[..<(tail.firstIndex(of: ")") ?? tail.endIndex)]
        found += names.filter { segment.contains($0) }
    }
    return found
}

@Suite("Band-edge plans on seeded random accounts")
struct BandEdgePropertyTests {
    @Test("every asset ends within its band, or a note names a constraint that truly binds", arguments: 1...300)
    func withinBandOrBound(_ seed: Int) throws {
        var c = randomCase(UInt64(seed))
        var policy = c.policy
        policy.destination = .bandEdge
        if policy.trigger == .calendar { policy.trigger = .fiveTwentyFive }
        c = RandomCase(account: c.account, target: c.target, prices: c.prices, lots: c.lots, policy: policy)
        let planner = RebalancePlanner(policy: policy, lotSizes: c.lots)
        guard let plan = try? planner.plan(for: c.account, toward: c.target, at: c.prices, asOf: asOf), plan.status == .rebalanced
        else { return }
        let invested = plan.trades.reduce(c.account.holdings) { q, t in
            var q = q
            q[t.symbol, default: 0] += t.side == .buy ? t.quantity : -t.quantity
            return q
        }
        let totalAfter = invested.reduce(plan.cashAfter.amount) { $0 + $1.value * c.prices[$1.key]! }
        var unlimited = policy
        unlimited.maximumTurnover = nil
        let unlimitedTurnover = try planner.policy.maximumTurnover.map { _ in
            try RebalancePlanner(policy: unlimited, lotSizes: c.lots).plan(for: c.account, toward: c.target, at: c.prices, asOf: asOf)
                .turnover
        }
        for (s, w) in c.target where s != "CASH" {
            let half = referenceBand(policy, target: w)
            let after = (invested[s] ?? 0) * c.prices[s]! / totalAfter
            let distance = abs(after - w) - half
            guard distance > 1e-9 else { continue }
            let constraints = namedConstraints(for: s, in: plan.notes)
            #expect(!constraints.isEmpty, "seed \(seed): \(s) at \(after), target \(w) ± \(half), notes \(plan.notes)")
            let unit = policy.fractionalDecimals.map { pow(10, -Double($0)) } ?? c.lots[s]!
            let lotValue = unit * c.prices[s]!
            let oneTradeCost = max(policy.minimumCost, policy.fixedCost + policy.costBasisPoints / 10_000 * lotValue)
            // One more lot beyond the gap would take cash below the buffer (on the value before costs).
            let buffer = policy.cashBuffer * (totalAfter + plan.estimatedCost.amount)
            let cashShort = after < w && plan.cashAfter.amount < buffer + distance * totalAfter + lotValue + oneTradeCost + 0.02
            let turnoverBinds = (unlimitedTurnover ?? 0) > (policy.maximumTurnover ?? .infinity)
            for name in constraints {
                let binds: Bool
                switch name {
                case "whole lots": binds = 2 * half * totalAfter < lotValue + 0.02
                case "available cash": binds = cashShort
                case "the minimum trade value":
                    // The trade needed, or what cash or the turnover limit left of it, is below the minimum.
                    binds =
                        policy.minimumTradeValue > 0
                        && (turnoverBinds || cashShort || distance * totalAfter < policy.minimumTradeValue + lotValue)
                case "trade costs":
                    binds = plan.estimatedCost > 0 || policy.fixedCost > 0 || policy.minimumCost > 0
                case "the turnover limit": binds = turnoverBinds
                case "the withdrawal": binds = (c.account.cashFlow?.amount ?? 0) < 0
                default: binds = false
                }
                #expect(binds, "seed \(seed): \(s) blamed on \(name), which does not bind; notes \(plan.notes)")
            }
        }
    }

    @Test("the drifted sample account: a band-edge plan under the 5/25 rule leaves every asset within its band")
    func driftedSample() throws {
        // profiles/accounts/drifted-balanced.json with the C3 targets and prices of 2022-12-28 (rounded).
        let prices = ["AAPL": 129.93, "JNJ": 176.65, "MRK": 110.95, "MTUM": 143.73, "PEP": 180.67, "PG": 151.56, "WMT": 142.3]
        let target = [
            "JNJ": 0.0427, "MRK": 0.2082, "MTUM": 0.1051, "PEP": 0.1977, "PG": 0.0340, "WMT": 0.0516, "CASH": 0.3607,
        ]
        let account = Account(
            id: "ACC-2001", cash: 1250.40, holdings: ["MRK": 120, "PEP": 40, "JNJ": 30, "AAPL": 45, "MTUM": 25],
            cashFlow: CashFlow(amount: 5000), lastRebalance: MarketDate(iso: "2022-06-30"))
        var policy = RebalancePolicy()
        policy.destination = .bandEdge
        let plan = try RebalancePlanner(policy: policy).plan(for: account, toward: target, at: prices, asOf: asOf)
        #expect(plan.status == .rebalanced)
        for (s, w) in target where s != "CASH" {
            let band = referenceBand(policy, target: w)
            #expect(abs((plan.weightsAfter[s] ?? 0) - w) <= band + 1e-9, "\(s): \(plan.weightsAfter[s] ?? 0) vs \(w) ± \(band)")
        }
        #expect(plan.notes.isEmpty, "\(plan.notes)")
    }
}

@Suite("Rebalancing examples")
struct PlannerExampleTests {
    let prices = ["A": 100.0, "B": 50.0, "C": 20.0]
    let target = ["A": 0.5, "B": 0.3, "C": 0.2]

    @Test("within band: no trades")
    func withinBand() throws {
        let a = Account(id: "x", cash: 0, holdings: ["A": 50, "B": 60, "C": 100], lastRebalance: MarketDate(iso: "2022-12-01"))
        let plan = try RebalancePlanner(policy: RebalancePolicy()).plan(for: a, toward: target, at: prices, asOf: asOf)
        #expect(plan.status == .withinBand)
        #expect(plan.trades.isEmpty)
    }

    @Test("the 5/25 rule fires on a relative breach of a small position and goes back to target")
    func fiveTwentyFive() throws {
        let a = Account(id: "x", cash: 0, holdings: ["A": 55, "B": 60, "C": 70])  // C at 14.1% vs 20%: 29% relative
        let plan = try RebalancePlanner(policy: RebalancePolicy()).plan(for: a, toward: target, at: prices, asOf: asOf)
        #expect(plan.status == .rebalanced)
        #expect(plan.trigger.rule == .fiveTwentyFive && plan.trigger.asset.map { target[$0] != nil } == true, "\(plan.trigger)")
        #expect(plan.trades.first?.side == .sell)
        #expect(abs((plan.weightsAfter["C"] ?? 0) - 0.2) < 0.01)
        #expect(plan.driftAfter < plan.driftBefore)
    }

    @Test("band edge trades less than back to target")
    func bandEdge() throws {
        let a = Account(id: "x", cash: 0, holdings: ["A": 70, "B": 40, "C": 50])
        var edge = RebalancePolicy()
        edge.trigger = .absoluteBand
        edge.destination = .bandEdge
        var full = edge
        full.destination = .target
        let e = try RebalancePlanner(policy: edge).plan(for: a, toward: target, at: prices, asOf: asOf)
        let f = try RebalancePlanner(policy: full).plan(for: a, toward: target, at: prices, asOf: asOf)
        #expect(e.turnover < f.turnover)
        #expect(abs((e.weightsAfter["A"] ?? 0) - 0.55) < 0.01)
    }

    @Test("a deposit without a trigger buys the underweight assets")
    func deposit() throws {
        let a = Account(
            id: "x", cash: 0, holdings: ["A": 50, "B": 60, "C": 90], cashFlow: CashFlow(amount: 1000),
            lastRebalance: MarketDate(iso: "2022-12-01"))
        let plan = try RebalancePlanner(policy: RebalancePolicy()).plan(for: a, toward: target, at: prices, asOf: asOf)
        #expect(plan.status == .cashFlowOnly)
        #expect(plan.trades.allSatisfy { $0.side == .buy })
        #expect(plan.trades.contains { $0.symbol == "C" })
    }

    @Test("a withdrawal sells overweights and never leaves cash below the buffer")
    func withdrawal() throws {
        var policy = RebalancePolicy()
        policy.cashBuffer = 0.02
        let a = Account(
            id: "x", cash: 100, holdings: ["A": 52, "B": 60, "C": 100], cashFlow: CashFlow(amount: -1500),
            lastRebalance: MarketDate(iso: "2022-12-01"))
        let plan = try RebalancePlanner(policy: policy).plan(for: a, toward: target, at: prices, asOf: asOf)
        #expect(plan.trades.allSatisfy { $0.side == .sell })
        #expect(plan.cashAfter.amount >= 0.02 * (5200 + 3000 + 2000 + 100 - 1500) - 0.01)
    }

    @Test("errors name the account and the field")
    func errors() {
        let planner = RebalancePlanner(policy: RebalancePolicy())
        let a = Account(id: "acct-7", cash: 0, holdings: ["A": 1])
        #expect(throws: RebalanceError.self) { try planner.plan(for: a, toward: ["A": 0.5], at: prices, asOf: asOf) }
        do {
            let plan = try planner.plan(for: a, toward: ["A": 1], at: [:], asOf: asOf)
            Issue.record("planned without a price for A: \(plan)")
        } catch {
            #expect(error.accountId == "acct-7" && error.field == "prices.A")
        }
        let broke = Account(id: "acct-8", cash: 10, holdings: [:], cashFlow: CashFlow(amount: -50))
        #expect(throws: RebalanceError.self) { try planner.plan(for: broke, toward: ["A": 1], at: prices, asOf: asOf) }
    }
}

@Suite("Plan JSON")
struct PlanJSONTests {
    @Test("the hand-written JSON line decodes to the same plan", arguments: 1...40)
    func roundTrip(_ seed: Int) throws {
        let c = randomCase(UInt64(seed))
        guard
            let plan = try? RebalancePlanner(policy: c.policy, lotSizes: c.lots).plan(
                for: c.account, toward: c.target, at: c.prices, asOf: asOf)
        else { return }
        let decoded = try JSONDecoder().decode(RebalancePlan.self, from: Data(plan.jsonLine.utf8))
        // Money, prices, quantities and text exactly; weights, drift and turnover to 12 decimals.
        var exact = decoded
        exact.weightsBefore = plan.weightsBefore
        exact.weightsAfter = plan.weightsAfter
        exact.driftBefore = plan.driftBefore
        exact.driftAfter = plan.driftAfter
        exact.turnover = plan.turnover
        #expect(exact == plan)
        for (a, b) in [(decoded.weightsBefore, plan.weightsBefore), (decoded.weightsAfter, plan.weightsAfter)] {
            #expect(a.keys.sorted() == b.keys.sorted())
            for (k, v) in b { #expect(abs(a[k]! - v) <= 5e-13, "\(k)") }
        }
        for (a, b) in [(decoded.driftBefore, plan.driftBefore), (decoded.driftAfter, plan.driftAfter), (decoded.turnover, plan.turnover)] {
            #expect(abs(a - b) <= 5e-13)
        }
        #expect(!plan.jsonLine.contains("\n"))
    }

    @Test("numbers: cents exact, fractions to 12 decimals, quantities to 8, shortest prices")
    func numbers() {
        func text(_ body: (inout JSONLineWriter) -> Void) -> String {
            let sink = ByteSink(capacity: 8)
            sink.withWriter(body)
            return String(decoding: sink.bytes, as: UTF8.self)
        }
        #expect(text { $0.cents(1_955_730) } == "19557.3")
        #expect(text { $0.cents(5) } == "0.05")
        #expect(text { $0.cents(-120) } == "-1.2")
        #expect(text { $0.cents(0) } == "0")
        #expect(text { $0.cents(Int64.max) } == "92233720368547758.07")
        #expect(text { $0.fraction(0.003016936789) } == "0.003016936789")
        #expect(text { $0.fraction(1) } == "1")
        #expect(text { $0.fraction(1e-13) } == "0")
        #expect(text { $0.fraction(.nan) } == "null")
        #expect(text { $0.quantity(12) } == "12")
        #expect(text { $0.quantity(0.125) } == "0.125")
        #expect(text { $0.quantity(1e-8) } == "0.00000001")
        #expect(text { $0.shortest(111.121) } == "111.121")
        #expect(text { $0.string("a\"b\\c\n\u{1}") } == #""a\"b\\c\n\u0001""#)
        // Every scaled value reads back within half a unit of its last place.
        var g = SeededGenerator(seed: 5)
        for _ in 0..<2000 {
            let x = Double.random(in: 0...1, using: &g)
            #expect(abs(Double(text { $0.fraction(x) })! - x) <= 5e-13)
            let c = Int64.random(in: -10_000_000_000...10_000_000_000, using: &g)
            #expect(RebalancePlanner.cents(Double(text { $0.cents(c) })!) == c)
        }
        for y in [0.5, 1.5, 2.5, -0.5, -2.5, 0.49999999999999994, 4503599627370497.0, -7.0000001] {
            #expect(roundedHalfAway(y) == y.rounded(), "\(y)")
        }
    }
}

@Suite("Account files and lines: one strict reader")
struct AccountDecodeTests {
    @Test(
        "refusals name the field or the column and the fix",
        arguments: [
            (#"{"id":"a","cash":1,"holdings":{},"note":1}"#, "note", "the fields of an account are"),
            (#"{"id":"a","cash":1,"holdings":{"KO":1,}}"#, nil, "column 38: trailing comma"),
            (#"{"id":"a","cash":1,"cash":2,"holdings":{}}"#, nil, "appears twice"),
            (#"{"id":"a","cash":"ten","holdings":{}}"#, "cash", "must be a number (got text)"),
            (#"{"id":"a","cash":1,"holdings":{"KO":"ten"}}"#, "holdings.KO", "must be a number (got text)"),
            (#"{"id":"a","cash":1e400,"holdings":{}}"#, "cash", "too large"),
            (#"{"id":"a","cash":NaN,"holdings":{}}"#, nil, "column 18: unexpected `N`"),
            (#"{"id":"a","cash":1,"holdings":{},"lastRebalance":"2022-02-30"}"#, "lastRebalance", "not a date"),
            (#"{"id":"a","cash":1,"holdings":{},"cashFlow":{"amount":1,"at":2}}"#, "cashFlow.at", "the field of cashFlow is amount"),
            (#"{"cash":1,"holdings":{}}"#, "id", "required"),
            ("{\n  \"id\": \"a\",\n  \"cash\": 1,\n  \"holdings\": {},\n}", nil, "line 4, column 17: trailing comma"),
        ] as [(String, String?, String)])
    func refusals(_ text: String, _ field: String?, _ message: String) {
        do {
            let a = try Account.decode(json: Array(text.utf8))
            Issue.record("accepted \(a)")
        } catch {
            #expect(error.field == field, "\(error)")
            #expect(error.message.contains(message), "\(error)")
            #expect(!error.message.contains("Double") && !error.message.contains("String"), "\(error)")
        }
    }

    @Test("reads what JSONDecoder reads from a plain account, escapes included")
    func plain() throws {
        let text =
            #"{"id":"A\"1\u00e9","model":"C3","cash":12.5,"holdings":{"KO":10},"cashFlow":{"amount":-5},"lastRebalance":"2022-06-30"}"#
        let strict = try Account.decode(json: Array(text.utf8))
        #expect(strict == (try JSONDecoder().decode(Account.self, from: Data(text.utf8))))
        #expect(strict.id == "A\"1é")
    }

    @Test("account checks: cents, whole units of whole-lot products unless fractional, no last rebalance after the as-of date")
    func checks() throws {
        let lots = ["KO": 1.0, "BND": 0.001]
        func refusal(_ a: Account, fractional: Int? = nil) -> RebalanceError? {
            do { try a.validate(asOf: asOf, lotSizes: lots, fractionalDecimals: fractional) } catch { return error }
            return nil
        }
        #expect(refusal(Account(id: "a", cash: 10.25, holdings: ["KO": 3, "BND": 1.234])) == nil)
        // Amounts are money, to the cent: an account file with a fraction of a cent is refused as it is read.
        func decodeRefusal(_ json: String) -> RebalanceError? {
            do { _ = try Account.decode(json: Array(json.utf8)) } catch { return error }
            return nil
        }
        #expect(decodeRefusal(#"{"id": "a", "cash": 10.255, "holdings": {}}"#)?.field == "cash")
        #expect(decodeRefusal(#"{"id": "a", "cash": 1, "holdings": {}, "cashFlow": {"amount": 0.001}}"#)?.field == "cashFlow.amount")
        #expect(decodeRefusal(#"{"id": "a", "cash": 1e14, "holdings": {}}"#)?.message.contains("10^13") == true)
        #expect(decodeRefusal(#"{"id": "a", "cash": 10.25, "holdings": {}, "cashFlow": {"amount": -0.01}}"#) == nil)
        #expect((try? Account.decode(json: Array(#"{"id": "a", "cash": 10.25, "holdings": {}}"#.utf8)))?.cash.cents == 1025)
        #expect(throws: RebalanceError.self) { try Account.amount(0.125, field: "cash") }
        #expect(throws: RebalanceError.self) { try Account.amount(.nan, field: "cash") }
        let share = refusal(Account(id: "acct-9", cash: 1, holdings: ["KO": 2.5]))
        #expect(share?.accountId == "acct-9" && share?.field == "holdings.KO" && share?.message.contains("lot size 1") == true)
        #expect(refusal(Account(id: "a", cash: 1, holdings: ["KO": 2.5]), fractional: 3) == nil)
        #expect(refusal(Account(id: "a", cash: 1, holdings: ["BND": 1.2345]))?.message.contains("0.001") == true)
        #expect(refusal(Account(id: "a", cash: 1, holdings: [:], lastRebalance: MarketDate(iso: "2022-12-29")))?.field == "lastRebalance")
        #expect(refusal(Account(id: "a", cash: 1, holdings: [:], lastRebalance: asOf)) == nil)
    }

    @Test("policy limits: costs from 0 to below 1000 basis points, amounts finite and below 10^13")
    func policyLimits() {
        for (bps, ok) in [(0.0, true), (999.99, true), (1000, false), (10_000, false), (-1, false), (.nan, false), (.infinity, false)] {
            var p = RebalancePolicy()
            p.costBasisPoints = bps
            #expect(p.validationProblems.isEmpty == ok, "\(bps)")
            if !ok { #expect(throws: RebalancePolicy.Problem.self) { try p.validate() } }
        }
        var p = RebalancePolicy()
        p.minimumTradeValue = 1e300
        #expect(p.validationProblems.first?.field == "minimumTradeValue")
    }
}

@Suite("Batch planner")
struct BatchPlannerTests {
    /// The account as a JSON line, the way a book holds it.
    func line(_ a: Account, model: String) throws -> String {
        var account = a
        account.model = model
        return String(decoding: try JSONEncoder().encode(account), as: UTF8.self)
    }

    @Test("writes the same bytes as the single-account plan's JSON line", arguments: 1...300)
    func sameBytes(_ seed: Int) throws {
        let c = randomCase(UInt64(seed))
        let planner = RebalancePlanner(policy: c.policy, lotSizes: c.lots)
        let batch = try BatchPlanner(planner: planner, targets: ["M": c.target], prices: c.prices, asOf: asOf)
        let text = try line(c.account, model: "M")
        let sink = ByteSink(capacity: 16)
        var scratch = BatchPlanner.Scratch()
        var bytes = Array(text.utf8)
        let outcome = bytes.withUnsafeMutableBufferPointer { batch.plan(line: UnsafeBufferPointer($0), into: sink, scratch: &scratch) }
        var account = c.account
        account.model = "M"
        if let plan = try? planner.plan(for: account, toward: c.target, at: c.prices, asOf: asOf) {
            let o = try #require(outcome)
            #expect(String(decoding: sink.bytes, as: UTF8.self) == plan.jsonLine)
            #expect(o.status == plan.status)
            #expect(o.turnover == plan.turnover)
            #expect(o.estimatedCost == plan.estimatedCost.amount)
        } else {
            // Plans that fail go to the general path, which names the problem.
            #expect(outcome == nil)
            #expect(sink.count == 0)
        }
        // The scratch space is clean for the next line: planning again gives the same bytes.
        let first = Array(sink.bytes)
        sink.removeAll()
        _ = bytes.withUnsafeMutableBufferPointer { batch.plan(line: UnsafeBufferPointer($0), into: sink, scratch: &scratch) }
        #expect(Array(sink.bytes) == first)
    }

    @Test("declines lines it cannot plan exactly, leaving them to the general path")
    func declines() throws {
        let planner = RebalancePlanner(policy: RebalancePolicy())
        let batch = try BatchPlanner(
            planner: planner, targets: ["M": ["A": 0.5, "B": 0.5], "Bad": ["A": 0.7]], prices: ["A": 10, "B": 20, "Z": -1], asOf: asOf)
        let plain = #"{"id":"x","model":"M","cash":100,"holdings":{"A":1}}"#
        let declined = [
            #"{"id":"x","model":"Bad","cash":100,"holdings":{"A":1}}"#,  // target does not sum to 1
            #"{"id":"x","model":"N","cash":100,"holdings":{"A":1}}"#,  // unknown model
            #"{"id":"x","cash":100,"holdings":{"A":1}}"#,  // no model
            #"{"id":"x","model":"M","cash":100,"holdings":{"Z":1}}"#,  // no usable price
            #"{"id":"x","model":"M","cash":100,"holdings":{"A":1,"A":2}}"#,  // duplicate holding
            #"{"id":"x","model":"M","cash":100,"cash":5,"holdings":{}}"#,  // duplicate key
            #"{"id":"x","model":"M","cash":100,"holdings":{"A":-1}}"#,  // short position
            #"{"id":"x","model":"M","cash":100}"#,  // no holdings
            #"{"id":"x\"y","model":"M","cash":100,"holdings":{}}"#,  // escapes
            #"{"id":"x","model":"M","cash":100,"holdings":{},"note":1}"#,  // unknown key
            #"{"id":"x","model":"M","cash":1e400,"holdings":{}}"#,  // overflow
            #"{"id":"x","model":"M","cash":100,"holdings":{"A":1e30}}"#,  // beyond what a plan handles
            #"{"id":"x","model":"M","cash":100,"holdings":{}} trailing"#,
            #"{"id":"x","model":"M","cash":100,"holdings":{"A":1},}"#,  // trailing comma
            #"{"id":"x","model":"M","cash":100,"holdings":{"A":1.5}}"#,  // a fractional share of a whole-lot product
            #"{"id":"x","model":"M","cash":100.001,"holdings":{"A":1}}"#,  // sub-cent cash
            #"{"id":"x","model":"M","cash":100,"holdings":{"A":1},"lastRebalance":"2023-01-31"}"#,  // after the as-of date
            #"{"id":"x","model":"M","cash":0100,"holdings":{"A":1}}"#,  // not JSON: a leading zero
            #"{"id":"x","model":"M","cash":100.,"holdings":{"A":1}}"#,  // not JSON: no digit after the point
            "{", "",
        ]
        var scratch = BatchPlanner.Scratch()
        let sink = ByteSink(capacity: 16)
        for text in [plain] + declined {
            var bytes = Array(text.utf8)
            let o = bytes.withUnsafeMutableBufferPointer { batch.plan(line: UnsafeBufferPointer($0), into: sink, scratch: &scratch) }
            #expect((o == nil) == (text != plain), "\(text)")
        }
    }
}

@Suite("The relative band and targets of zero")
struct ZeroTargetTests {
    let prices = ["A": 100.0, "B": 50.0, "X": 20.0]

    @Test("the relative band never fires on a target of zero; the absolute band still does")
    func zeroTarget() throws {
        let target = ["A": 0.5, "B": 0.5, "X": 0.0]
        // X is 2% of the account: within the 5% absolute band, and its target is zero.
        let small = Account(id: "Z-1", cash: 0, holdings: ["A": 49, "B": 98, "X": 10])
        for trigger in [RebalanceTrigger.relativeBand, .fiveTwentyFive] {
            var policy = RebalancePolicy()
            policy.trigger = trigger
            let plan = try RebalancePlanner(policy: policy, lotSizes: [:]).plan(
                for: small, toward: target.filter { $0.value > 0 }, at: prices, asOf: MarketDate(iso: "2022-12-28")!)
            #expect(plan.status == .withinBand, "\(trigger): \(plan.trigger)")
        }
        // At 10% X breaks the absolute band: the 5/25 rule fires on it.
        let large = Account(id: "Z-2", cash: 0, holdings: ["A": 45, "B": 90, "X": 50])
        let plan = try RebalancePlanner(policy: RebalancePolicy(), lotSizes: [:]).plan(
            for: large, toward: ["A": 0.5, "B": 0.5], at: prices, asOf: MarketDate(iso: "2022-12-28")!)
        #expect(plan.status == .rebalanced && plan.trigger.rule == .fiveTwentyFive && plan.trigger.asset == "X", "\(plan.trigger)")
    }
}

@Suite("The plan's trigger as a type")
struct PlanTriggerTests {
    let prices = ["A": 100.0, "B": 50.0, "C": 20.0]
    let target = ["A": 0.4, "B": 0.4, "C": 0.2]

    @Test("each policy's rule is the plan's, the words name it, and JSON carries it both ways")
    func rules() throws {
        let drifted = Account(id: "T-1", cash: 0, holdings: ["A": 60, "B": 60, "C": 50], lastRebalance: MarketDate(iso: "2021-01-04"))
        for trigger in RebalanceTrigger.allCases {
            var policy = RebalancePolicy()
            policy.trigger = trigger
            let plan = try RebalancePlanner(policy: policy, lotSizes: [:]).plan(
                for: drifted, toward: target, at: prices, asOf: MarketDate(iso: "2022-12-28")!)
            #expect(plan.status == .rebalanced && plan.trigger.rule == trigger, "\(trigger): \(plan.trigger)")
            // A band rule names the asset it fired on, one of the account's; the others name none.
            let banded: Set<RebalanceTrigger> = [.absoluteBand, .relativeBand, .fiveTwentyFive]
            #expect(banded.contains(trigger) == (plan.trigger.asset.map { target[$0] != nil } ?? false), "\(plan.trigger)")
            #expect(PlanTrigger(text: plan.trigger.text) == plan.trigger)
            let decoded = try JSONDecoder().decode(RebalancePlan.self, from: Data(plan.jsonLine.utf8))
            #expect(decoded.trigger == plan.trigger)
        }
        // Within band, a deposit and a withdrawal: no rule fired.
        let balanced = Account(id: "T-2", cash: 0, holdings: ["A": 40, "B": 80, "C": 100])
        var deposit = balanced
        deposit.cashFlow = CashFlow(amount: 500)
        var withdrawal = balanced
        withdrawal.cashFlow = CashFlow(amount: -500)
        for (account, cause) in [(balanced, PlanTrigger.Cause.none), (deposit, .deposit), (withdrawal, .withdrawal)] {
            let plan = try RebalancePlanner(policy: RebalancePolicy(), lotSizes: [:]).plan(
                for: account, toward: target, at: prices, asOf: MarketDate(iso: "2022-12-28")!)
            #expect(plan.trigger.cause == cause && plan.trigger.rule == nil && plan.trigger.asset == nil, "\(plan.trigger)")
            #expect(try JSONDecoder().decode(RebalancePlan.self, from: Data(plan.jsonLine.utf8)).trigger == plan.trigger)
        }
        #expect(PlanTrigger(text: "a trigger of another engine") == nil)
    }
}

@Suite("No 'rebalanced' without a trade")
struct NothingToTradeTests {
    @Test("a calendar rebalance that is due on an account already on target is within band, with a note")
    func dueButOnTarget() throws {
        var policy = RebalancePolicy()
        policy.trigger = .calendar
        let account = Account(id: "C-1", cash: 5_000, holdings: ["A": 50])
        let plan = try RebalancePlanner(policy: policy, lotSizes: [:]).plan(
            for: account, toward: ["A": 0.5, "CASH": 0.5], at: ["A": 100], asOf: MarketDate(iso: "2022-12-28")!)
        #expect(plan.trades.isEmpty)
        #expect(plan.status == .withinBand && plan.notes.contains { $0.contains("no trade is needed") }, "\(plan.status) \(plan.notes)")
    }
}

@Suite("Target weight errors")
struct TargetWeightsErrorTests {
    @Test("a models file with 25,000 problems names the first 20 and counts the rest")
    func capped() {
        let e = TargetWeightsError(source: "models.json", problems: (1...25_000).map { "model M\($0): weights sum to 0.9, not 1" })
        #expect(e.description.hasSuffix("; and 24,980 more"))
        #expect(e.description.components(separatedBy: "; ").count == 21)
    }
}
