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
            path: TestSupport.path("profiles/customers/\(name)"), questionnaire: settings.questionnaire, catalog: settings.catalog,
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
