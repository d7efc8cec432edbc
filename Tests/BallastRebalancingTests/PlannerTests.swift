import BallastMarketData
import BallastTestSupport
import Foundation
import Testing

@testable import BallastRebalancing

func cents(_ x: Double) -> Int64 { Int64((x * 100).rounded()) }

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
        id: "A\(seed)", cash: (Double.random(in: 0...20000, using: &g) * 100).rounded() / 100, holdings: holdings, cashFlow: flow,
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
                #expect(!sawBuy || t.reason.contains("withdrawal"), "sells come before buys")
                quantity[t.symbol, default: 0] -= t.quantity
                sales += cents(t.value)
            } else {
                sawBuy = true
                quantity[t.symbol, default: 0] += t.quantity
                purchases += cents(t.value)
            }
            costs += cents(t.cost)
            if c.policy.minimumTradeValue > 0 { #expect(t.value >= c.policy.minimumTradeValue - 1e-9) }
        }
        for (_, q) in quantity { #expect(q >= -1e-9, "short position") }
        let flow = cents(c.account.cashFlow?.amount ?? 0)
        #expect(cents(plan.cashAfter) == cents(plan.cashBefore) + flow + sales - purchases - costs, "money not conserved to the cent")
        let total = c.account.holdings.reduce(0.0) { $0 + $1.value * c.prices[$1.key]! } + c.account.cash + Double(flow) / 100
        #expect(plan.cashAfter >= (c.policy.cashBuffer * total * 100).rounded() / 100 - 0.01)
        #expect(try planner.plan(for: c.account, toward: c.target, at: c.prices, asOf: asOf) == plan)
        if plan.status == .rebalanced && plan.notes.isEmpty {
            for (s, w) in c.target where s != "CASH" {
                #expect(abs((plan.weightsAfter[s] ?? 0) - w) <= c.policy.absoluteBand + 1e-9, "\(s) outside the band without a note")
            }
        }
        #expect(abs(plan.weightsAfter.values.reduce(0, +) - 1) < 1e-9)
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
        #expect(plan.trigger.contains("5/25"))
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
        #expect(plan.cashAfter >= 0.02 * (5200 + 3000 + 2000 + 100 - 1500) - 0.01)
    }

    @Test("errors name the account and the field")
    func errors() {
        let planner = RebalancePlanner(policy: RebalancePolicy())
        let a = Account(id: "acct-7", cash: 0, holdings: ["A": 1])
        #expect(throws: RebalanceError.self) { try planner.plan(for: a, toward: ["A": 0.5], at: prices, asOf: asOf) }
        do {
            _ = try planner.plan(for: a, toward: ["A": 1], at: [:], asOf: asOf)
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
        #expect(decoded == plan)
        #expect(!plan.jsonLine.contains("\n"))
    }
}

@Suite("Account fast parser")
struct AccountParserTests {
    @Test("agrees with JSONDecoder on plain lines and declines anything else")
    func agree() throws {
        let lines = [
            #"{"id": "A-1", "model": "C3", "cash": 1250.4, "holdings": {"KO": 10, "PG": 2.5}, "cashFlow": {"amount": -300}, "lastRebalance": "2022-06-30"}"#,
            #"{"cash":0,"id":"B","holdings":{}}"#,
            #"  { "id" : "C" , "cash" : 1e3 , "holdings" : { "X" : 1 } }  "#,
        ]
        for l in lines {
            let fast = try #require(Account.fastParse(l))
            #expect(fast == (try JSONDecoder().decode(Account.self, from: Data(l.utf8))))
        }
        for bad in [
            #"{"id": "A", "cash": 10"#, #"{"id": "A\"x", "cash": 1, "holdings": {}}"#, #"{"id": "A", "cash": "x"}"#,
            #"{"id": "A", "extra": 1, "cash": 1}"#, "[]", "",
        ] {
            #expect(Account.fastParse(bad) == nil, "\(bad)")
        }
    }
}
