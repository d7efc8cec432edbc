import Ballast
import BallastTestSupport
import Foundation
import Testing

@testable import BallastWorkflows

@Suite("Model menu")
struct ModelMenuTests {
    static let folder = TestSupport.path("market-data/multi-asset")

    static func menu(asOf: String? = nil, resampled: Bool = true, previous: ModelMenu? = nil) throws -> ModelMenu {
        let builder = try AssumptionsBuilder(path: folder + "/assumptions.json")
        let day = try asOf.map { try #require(MarketDate(iso: $0)) }
        let a = try builder.build(asOf: day)
        var policy = try InvestmentPolicy.read(path: folder + "/policy.json")
        if !resampled { policy.resampling = nil } else { policy.resampling?.draws = 30 }
        return try ModelMenuBuilder(assumptions: a, policy: policy, catalog: builder.universe.catalog(asOf: a.asOf), previous: previous)
            .build()
    }

    @Test("the bundled menu's properties hold, plain and resampled, on the last date and in 2000")
    func properties() throws {
        for (date, resampled) in [(nil, true), (nil, false), ("2000-12-31", true)] as [(String?, Bool)] {
            let m = try Self.menu(asOf: date, resampled: resampled)
            let p = m.portfolios
            for x in p {

                #expect(abs(x.weights.values.reduce(0, +) - 1) < 1e-9, "\(x.label) sums to one")
                #expect(x.weights.values.allSatisfy { $0 >= 0.02 - 1e-9 && $0 <= 0.5 + 1e-9 }, "\(x.label) positions")
                #expect(x.volatility <= x.volatilityCap * (1 + 1e-6), "\(x.label) within its cap ex ante")
                #expect(x.expectedReturn < 0.12)
            }
            for k in 1..<p.count {
                #expect(p[k].volatility >= p[k - 1].volatility - 1e-9, "risk rises with the level")
                let eq = { (x: MenuPortfolio) in (x.assetClassWeights["us-equity"] ?? 0) + (x.assetClassWeights["world-equity"] ?? 0) }
                #expect(eq(p[k]) >= eq(p[k - 1]) - 1e-9, "equity share rises with the level")
            }
            #expect(
                p[0].assetClassWeights["cash"] ?? 0 < 1 && p[0].assetClassWeights["government-bonds"] ?? 0 > 0,
                "C1 holds short bonds and cash")
            #expect(p[2].assetClassWeights.values.filter { $0 >= 0.05 }.count >= 4, "C3 holds four classes of 5% or more")
        }
    }

    @Test("re-building against the previous menu keeps each model's turnover within the policy's limit, and reports it")
    func turnover() throws {
        let before = try Self.menu(asOf: "2005-12-31", resampled: false)
        let after = try Self.menu(asOf: "2008-12-31", resampled: false, previous: before)
        let free = try Self.menu(asOf: "2008-12-31", resampled: false)
        for (k, x) in after.portfolios.enumerated() {
            let t = try #require(x.turnover)
            let relaxed = x.notes.contains { $0.contains("turnover limit") }
            #expect(t <= 0.15 + 1e-7 || relaxed, "\(x.label) turnover \(t)")
            let unconstrained =
                0.5
                * Set(free.portfolios[k].weights.keys).union(before.portfolios[k].weights.keys).reduce(0) {
                    $0 + abs((free.portfolios[k].weights[$1] ?? 0) - (before.portfolios[k].weights[$1] ?? 0))
                }
            #expect(t <= unconstrained + 1e-7)
        }
    }

    @Test("the glide path lowers the level near the goal and never raises it")
    func glidePath() throws {
        let policy = try InvestmentPolicy.read(path: Self.folder + "/policy.json")
        #expect(policy.glideLevel(for: 5, yearsToGoal: 20).level == 5)
        #expect(policy.glideLevel(for: 5, yearsToGoal: 7).level == 4)
        #expect(policy.glideLevel(for: 5, yearsToGoal: 4).level == 3)
        #expect(policy.glideLevel(for: 5, yearsToGoal: 0.5).level == 1)
        #expect(policy.glideLevel(for: 2, yearsToGoal: 7).level == 2)
        #expect(policy.glideLevel(for: 4, yearsToGoal: nil).level == 4)
    }

    @Test("a policy with an impossible level or a bad bound names the field")
    func policyErrors() throws {
        var policy = try InvestmentPolicy.read(path: Self.folder + "/policy.json")
        policy.levels[2].bounds["equity"] = [0.6, 0.4]
        do {
            try policy.validate()
            Issue.record("min above max")
        } catch { #expect(error.field == "levels[2].bounds.equity") }
        policy = try InvestmentPolicy.read(path: Self.folder + "/policy.json")
        policy.levels[2].bounds["equity"] = [0.95, 1]
        policy.resampling = nil
        let builder = try AssumptionsBuilder(path: Self.folder + "/assumptions.json")
        let a = try builder.build()
        do {
            _ = try ModelMenuBuilder(assumptions: a, policy: policy, catalog: builder.universe.catalog(asOf: a.asOf)).build()
            Issue.record("95% equity with a 50% product cap and a 5% cash floor is impossible in C3")
        } catch let e as InvestmentProcessError {
            #expect(e.description.contains("C3") && e.description.contains("loosen"))
        }
    }
}

@Suite("Model validation")
struct ModelValidationTests {
    @Test("walk-forward on the bundled universe: realised risk near the cap, low turnover, no product above half, costs counted")
    func walkForward() throws {
        let folder = TestSupport.path("market-data/multi-asset")
        var policy = try InvestmentPolicy.read(path: folder + "/policy.json")
        policy.resampling = nil
        let report = try ModelValidation(assumptions: try AssumptionsBuilder(path: folder + "/assumptions.json"), policy: policy).run()
        #expect(report.reviews.first?.description == "1995-01-31" && report.end.description == "2010-03-31")
        for l in report.levels {
            #expect(l.volatilityToCap <= 1.25, "\(l.label)")
            #expect(l.annualModelTurnover <= 0.30, "\(l.label)")
            #expect(l.largestProductWeight <= 0.5 + 1e-6, "within the solver's accuracy of the cap")
            #expect(l.costDrag > 0)
            #expect(l.values.count == l.dates.count && l.values.allSatisfy { $0 > 0 })
        }
    }
}

@Suite("Model menu in back-tests")
struct MenuBacktestTests {
    @Test("the reviews up to a date never read later data, and the back-test holds each review's menu until the next")
    func noLookAheadAndHeldMenus() throws {
        let folder = TestSupport.path("market-data/multi-asset")
        var policy = try InvestmentPolicy.read(path: folder + "/policy.json")
        policy.resampling = nil
        let process = InvestmentProcess(assumptions: try AssumptionsBuilder(path: folder + "/assumptions.json"), policy: policy)
        let day = try #require(MarketDate(iso: "1998-03-31"))
        let walked = try process.reviews(through: day)
        #expect(walked.map(\.date.description) == ["1995-01-31", "1996-01-31", "1997-01-31", "1998-01-31"])
        // The same walk on a universe whose later months are changed (every level after the
        // date doubled, month by month) gives the same menus, to the bit.
        var altered = process
        let levels = process.prices
        let last = try #require(levels.lastIndex(onOrBefore: day))
        var values = [Double](repeating: 0, count: levels.rowCount * levels.symbolCount)
        for j in 0..<levels.symbolCount {
            for i in 0..<levels.rowCount { values[i + j * levels.rowCount] = levels[i, j] * (i > last ? pow(2, Double(i - last)) : 1) }
        }
        altered.assumptions.universe.levels = try PriceTable(symbols: levels.symbols, dates: levels.dates, values: values)
        let again = try altered.reviews(through: day)
        #expect(again.map(\.menu) == walked.map(\.menu))
        #expect(again.map(\.assumptions.digest) == walked.map(\.assumptions.digest))
        // A monthly back-test of C3 holds each review's weights from its date to the next.
        let strategy = MenuReviewStrategy(level: 3, reviews: walked, processName: "test")
        var b = Backtest(prices: levels, strategy: strategy)
        b.start = walked[0].date
        b.end = day
        b.schedule = .calendar(.monthly)
        let r = try b.run()
        #expect(r.events.allSatisfy { $0.failure == nil })
        #expect(r.conventions.periodsPerYear == 12)
        for k in [0, 11, 12, 30] {
            let d = levels.dates[levels.lastIndex(onOrBefore: walked[0].date)! + k]
            let held = try strategy.targetWeights(history: PriceHistory(levels, through: levels.lastIndex(onOrBefore: d)!))
            let review = walked.last { $0.date <= d }!
            #expect(held == (try review.portfolio(level: 3).0.weights), "\(d)")
        }
    }
}
