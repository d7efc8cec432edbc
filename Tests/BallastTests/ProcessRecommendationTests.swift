import Ballast
import BallastTestSupport
import Foundation
import Testing

/// The investment process as the default of `recommend`: the model is the level's portfolio of
/// the menu in force, the back-test holds the same menus, the glide path lowers the level.
@Suite("Recommendations from the model menu")
struct ProcessRecommendationTests {
    /// The bundled process, plain mean-variance (the resampled menu is the same code path with
    /// a different average, and too slow for a debug build).
    static let process: InvestmentProcess = {
        var policy = try! InvestmentPolicy.read(path: TestSupport.path("market-data/multi-asset/policy.json"))
        policy.resampling = nil
        return InvestmentProcess(
            assumptions: try! AssumptionsBuilder(path: TestSupport.path("market-data/multi-asset/assumptions.json")), policy: policy)
    }()

    static let settings: Recommender.Settings = {
        var s = try! Recommender.Settings(
            questionnaire: try! Questionnaire.read(path: TestSupport.path("profiles/questionnaire-v1.json")),
            levels: try! RiskLevels.read(path: TestSupport.path("profiles/levels.json")), process: process,
            market: try! PriceCSV.read(path: TestSupport.path("market-data/sp500_index.csv")), pseudonymKey: Array("test key".utf8))
        s.backtestYears = 5
        return s
    }()

    static let day = MarketDate(iso: "2010-03-31")!

    static func customer(_ name: String) throws -> CustomerFile {
        try CustomerFile.read(
            path: TestSupport.path("profiles/customers/\(name).json"), questionnaire: settings.questionnaire,
            catalog: process.catalogInForce(asOf: day), asOf: day)
    }

    struct MenuReference: Decodable {
        struct Level: Decodable {
            var label: String
            var weights: [String: Double]
            var expectedReturn: Double
            var volatility: Double
        }
        var asOf: String
        var ratings: [String: String]
        var levels: [Level]
    }

    @Test("a menu built from scratch matches cvxpy and Clarabel on the same assumptions and limits")
    func menuAgainstCvxpy() throws {
        let ref = try TestSupport.fixture("menu_reference.json", as: MenuReference.self)
        let day = try #require(MarketDate(iso: ref.asOf))
        let p = Self.process
        let catalog = p.universe.catalog(asOf: day)
        for (symbol, rating) in ref.ratings { #expect(catalog.product(symbol)?.riskRating.description == rating, "\(symbol)") }
        let menu = try ModelMenuBuilder(assumptions: try p.assumptions.build(asOf: day), policy: p.policy, catalog: catalog).build()
        for (m, r) in zip(menu.portfolios, ref.levels) {
            #expect(m.label == r.label)
            for s in Set(m.weights.keys).union(r.weights.keys) {
                #expect(
                    abs((m.weights[s] ?? 0) - (r.weights[s] ?? 0)) < 1e-6, "\(m.label) \(s): \(m.weights[s] ?? 0) vs \(r.weights[s] ?? 0)")
            }
            #expect(abs(m.expectedReturn - r.expectedReturn) < 1e-7, "\(m.label)")
            #expect(abs(m.volatility - r.volatility) < 1e-7, "\(m.label)")
        }
    }

    @Test("the recommended model is the menu's, and the back-test's decision on the live date is the same model")
    func liveEqualsBacktest() throws {
        let r = try Recommender(settings: Self.settings).recommend(try Self.customer("balanced-saver"), asOf: Self.day)
        #expect(r.profile.label == "C3" && r.portfolio.level.label == "C3")
        let review = try Self.process.review(asOf: Self.day)
        #expect(r.menuReviewDate == MarketDate(iso: "2010-01-31"))
        #expect(r.assumptionsVersion == review.assumptions.version)
        let menuWeights = try review.portfolio(level: 3).0.weights
        // The back-test's strategy, asked on the live date with the history up to it.
        let strategy = MenuReviewStrategy(level: 3, reviews: try Self.process.reviews(through: Self.day), processName: "")
        let prices = Self.process.prices
        let decided = try strategy.targetWeights(
            history: PriceHistory(prices, through: try #require(prices.lastIndex(onOrBefore: Self.day))))
        for s in Set(menuWeights.keys).union(decided.keys).union(r.portfolio.weights.keys) {
            let live = r.portfolio.weights[s] ?? 0
            #expect(abs(live - (decided[s] ?? 0)) <= 1e-12, "\(s)")
            #expect(abs(live - (menuWeights[s] ?? 0)) <= 1e-12, "\(s)")
        }
        // The limits the model was built under hold for what is sold.
        #expect(r.suitability.passed)
        #expect(r.portfolio.result.volatility <= r.portfolio.level.volatilityCap + 1e-9)
        for (s, w) in r.portfolio.weights where w > 0 {
            #expect(w >= Self.process.policy.minimumPosition - 1e-12 && w <= Self.process.policy.maximumProductWeight + 1e-12, "\(s)")
        }
        #expect(abs(r.portfolio.weights.values.reduce(0, +) - 1) < 1e-12)
        // The back-test holds the menus (monthly data: annualised with 12) and ends on the date.
        #expect(r.backtest.dates.last == Self.day)
        #expect(r.backtest.conventions.periodsPerYear == 12)
    }

    @Test("the plan trades whole lots at the universe's prices and never spends cash it does not have")
    func plan() throws {
        let c = try Self.customer("balanced-saver")
        let r = try Recommender(settings: Self.settings).recommend(c, asOf: Self.day)
        let prices = Self.process.prices.lastPrices(onOrBefore: Self.day)
        var cash = Money(c.cash)
        for t in r.plan.trades {
            #expect(t.quantity == t.quantity.rounded() && t.quantity > 0, "\(t.symbol)")
            #expect(t.price == prices[t.symbol], "\(t.symbol)")
            cash = (t.side == .sell ? cash + t.value : cash - t.value) - t.cost
        }
        #expect(cash == r.plan.cashAfter, "cash is conserved to the cent")
        #expect(r.plan.cashAfter >= .zero)
    }

    @Test("within five years of the goal the glide path holds a C4 customer at C3, and says so")
    func glidePath() throws {
        let r = try Recommender(settings: Self.settings).recommend(try Self.customer("retiring-in-four-years"), asOf: Self.day)
        #expect(r.profile.label == "C4")
        let g = try #require(r.glidePath)
        #expect(g.profileLevel == "C4" && g.modelLevel == "C3")
        #expect(abs(g.yearsToGoal - 4.0) < 0.01)
        #expect(g.step?.maximumLevel == 3 && g.nextStep?.maximumLevel == 2)
        #expect(r.portfolio.level.label == "C3")
        let c3 = try Self.process.review(asOf: Self.day).portfolio(level: 3).0.weights
        #expect(r.portfolio.weights.filter { $0.value > 0 } == c3)
        #expect(r.warnings.contains { $0.contains("glide path") })
        // Without a goal date there is no glide path, and the profile's level is the model's.
        var noGoal = try Self.customer("retiring-in-four-years")
        noGoal.goalDate = nil
        let plain = try Recommender(settings: Self.settings).recommend(noGoal, asOf: Self.day)
        #expect(plain.glidePath == nil && plain.portfolio.level.label == "C4")
    }

    @Test("a date before the first review is refused with the first review's date")
    func beforeFirstReview() throws {
        #expect {
            _ = try Self.process.review(asOf: MarketDate(iso: "1993-06-30")!)
        } throws: { error in
            "\(error)".contains("1995-01-31")
        }
    }
}
