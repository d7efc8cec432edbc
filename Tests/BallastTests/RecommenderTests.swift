import Ballast
import BallastTestSupport
import Foundation
import Testing

@Suite("Recommender, the library's main entry")
struct RecommenderTests {
    static let settings: Recommender.Settings = {
        let prices = try! PriceCSV.read(path: TestSupport.path("market-data/sp500_20.csv")).merged(
            with: try! PriceCSV.read(path: TestSupport.path("market-data/factors_etf5.csv")))
        var s = Recommender.Settings(
            questionnaire: try! Questionnaire.read(path: TestSupport.path("profiles/questionnaire-v1.json")),
            levels: try! RiskLevels.read(path: TestSupport.path("profiles/levels.json")),
            catalog: try! ProductCatalog.read(path: TestSupport.path("market-data/catalog.json")), prices: prices,
            market: try! PriceCSV.read(path: TestSupport.path("market-data/sp500_index.csv")),
            pseudonymKey: Array("test key".utf8))
        s.backtestYears = 3
        return s
    }()

    static func customer(_ name: String) throws -> CustomerFile {
        try CustomerFile.read(
            path: TestSupport.path("profiles/stock-customers/\(name)"), questionnaire: settings.questionnaire, catalog: settings.catalog,
            asOf: MarketDate(iso: "2022-12-28")!)
    }

    @Test("concurrent tasks get the same recommendations as one after another")
    func concurrent() async throws {
        let names = ["balanced-saver.json", "growth-investor.json", "cautious-saver.json", "aggressive-young.json"]
        let recommender = Recommender(settings: Self.settings)
        let asOf = MarketDate(iso: "2022-12-28")!
        let sequential = try names.map { try recommender.recommend(try Self.customer($0), asOf: asOf) }
        let parallel = try await withThrowingTaskGroup(of: (Int, Recommendation).self) { group in
            for (k, name) in names.enumerated() {
                group.addTask { (k, try recommender.recommend(try Self.customer(name), asOf: asOf)) }
            }
            var out: [Int: Recommendation] = [:]
            for try await (k, r) in group { out[k] = r }
            return names.indices.map { out[$0]! }
        }
        for (a, b) in zip(sequential, parallel) {
            #expect(a.profile == b.profile)
            #expect(a.plan == b.plan)
            #expect(a.portfolio.result.weights == b.portfolio.result.weights)
            #expect(a.backtest.values == b.backtest.values)
        }
    }

    @Test("the plan names the account by the pseudonym, and a missing price is a typed error")
    func typedErrors() throws {
        let r = try Recommender(settings: Self.settings).recommend(
            try Self.customer("balanced-saver.json"), asOf: MarketDate(iso: "2022-12-28")!)
        #expect(r.plan.accountId == r.profile.customerRef && r.plan.accountId.hasPrefix("cust-"))
        let odd = CustomerFile(id: "X", answers: try Self.customer("balanced-saver.json").answers, holdings: ["NOPE": 1], cash: 10)
        #expect(throws: RebalanceError.self) {
            try Recommender(settings: Self.settings).recommend(odd, asOf: MarketDate(iso: "2022-12-28")!)
        }
    }
}

@Suite("Model portfolios without dust")
struct ModelDustTests {
    @Test("an account exactly at its post-trade position is within band at every level: no phantom targets")
    func postTradeIsWithinBand() throws {
        let s = RecommenderTests.settings
        let day = MarketDate(iso: "2022-12-28")!
        let builder = try ModelPortfolioBuilder(prices: s.prices, through: day, catalog: s.catalog, levels: s.levels)
        let prices = s.prices.lastPrices(onOrBefore: day)
        let lots = Dictionary(uniqueKeysWithValues: s.catalog.products.map { ($0.symbol, $0.lotSize) })
        for model in try builder.all() {
            let target = model.weights.filter { $0.value > 0 }
            #expect(model.weights.values.allSatisfy { $0 == 0 || $0 >= builder.minimumWeight - 1e-15 }, "\(model.level.label)")
            let planner = RebalancePlanner(policy: RebalancePolicy(), lotSizes: lots)
            let first = try planner.plan(
                for: Account(id: "N-1", cash: 250_000, holdings: [:]), toward: target, at: prices, asOf: day)
            var holdings: [String: Double] = [:]
            for t in first.trades where t.side == .buy { holdings[t.symbol, default: 0] += t.quantity }
            let again = try planner.plan(
                for: Account(id: "N-1", cash: first.cashAfter, holdings: holdings), toward: target, at: prices, asOf: day)
            #expect(again.status == .withinBand, "\(model.level.label): \(again.trigger)")
        }
    }

    @Test("a new customer with no holdings gets a purchase plan for the investable amount; without one, a clear error")
    func prospect() throws {
        var customer = try RecommenderTests.customer("balanced-saver.json")
        customer.holdings = [:]
        customer.cash = 0
        customer.financial = FinancialFacts(investableAmount: 80_000)
        let r = try Recommender(settings: RecommenderTests.settings).recommend(customer, asOf: MarketDate(iso: "2022-12-28")!)
        #expect(!r.plan.trades.isEmpty && r.plan.trades.allSatisfy { $0.side == .buy })
        let spent = r.plan.trades.reduce(Money.zero) { $0 + $1.value + $1.cost }
        #expect(spent + r.plan.cashAfter == 80_000, "the investable amount is spent or kept to the cent")
        customer.financial = nil
        #expect(throws: ProfilingError.self) {
            try Recommender(settings: RecommenderTests.settings).recommend(customer, asOf: MarketDate(iso: "2022-12-28")!)
        }
    }
}

@Suite("The golden recommendation and one model rule")
struct GoldenRecommendationTests {
    struct Reference: Decodable {
        let willingness, capacity: Double
        let label: String
        let windowStart: String
        let windowReturns: Int
        let assets: [String]
        let weights: [String: Double]
        let expectedReturn, volatility: Double
    }

    static let day = MarketDate(iso: "2022-12-28")!

    @Test("balanced-saver: level, scores, window, model weights and statistics match the independent reference")
    func golden() throws {
        let ref = try TestSupport.fixture("recommendation_reference.json", as: Reference.self)
        let r = try Recommender(settings: RecommenderTests.settings).recommend(
            try RecommenderTests.customer("balanced-saver.json"), asOf: Self.day)
        #expect(r.profile.label == ref.label)
        #expect(abs(r.profile.willingness - ref.willingness) < 1e-9 && abs(r.profile.capacity - ref.capacity) < 1e-9)
        #expect(r.distribution.assets == ref.assets)
        #expect(r.distribution.window?.observations == ref.windowReturns)
        // The window's first price row is the day before its first return.
        #expect(try #require(r.distribution.window?.start) > MarketDate(iso: ref.windowStart)!)
        for (symbol, w) in ref.weights {
            #expect(abs(r.portfolio.weights[symbol, default: 0] - w) < 1e-7, "\(symbol): \(r.portfolio.weights[symbol] ?? 0) vs \(w)")
        }
        #expect(abs(r.portfolio.result.expectedReturn - ref.expectedReturn) < 1e-8)
        #expect(abs(r.portfolio.result.volatility - ref.volatility) < 1e-8)
    }

    @Test("live and back-test agree by construction: the back-test's decision on the live date is the recommended model")
    func liveEqualsBacktest() throws {
        var settings = RecommenderTests.settings
        settings.policy.costBasisPoints = 10
        settings.policy.minimumCost = 1
        let r = try Recommender(settings: settings).recommend(try RecommenderTests.customer("balanced-saver.json"), asOf: Self.day)
        let row = try #require(settings.prices.lastIndex(onOrBefore: Self.day))
        let strategy = LevelStrategy(level: r.profile.parameters, levels: settings.levels, catalog: settings.catalog, rule: settings.rule)
        let decided = try strategy.targetWeights(history: PriceHistory(settings.prices, through: row))
        let live = r.portfolio.weights.filter { $0.value > 0 }
        #expect(Set(decided.keys) == Set(live.keys))
        for (s, w) in live { #expect(abs((decided[s] ?? 0) - w) <= 1e-12, "\(s)") }
        // The recommendation's back-test trades as the live plan does: whole lots, the same costs.
        #expect(!r.backtest.trades.isEmpty)
        for t in r.backtest.trades {
            #expect(t.quantity == t.quantity.rounded(), "\(t.symbol) \(t.quantity)")
            #expect(abs(t.cost - Double(settings.policy.costModel.cost(ofTradeCents: Int64((t.value * 100).rounded()))) / 100) < 1e-9)
        }
    }
}
