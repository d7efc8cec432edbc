import BallastMarketData
import BallastRebalancing
import BallastTestSupport
import Foundation
import Testing

@testable import BallastWorkflows

@Suite("Champion and challenger: models compare")
struct ModelComparisonTests {
    func folder() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-compare-\(getpid())").path
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func inputs() -> WorkflowInputs {
        var i = WorkflowInputs()
        i.resolve = { $0.hasPrefix("/") ? $0 : TestSupport.path($0) }
        i.universe = .stocks
        i.prices = [TestSupport.path("market-data/sp500_20.csv")]
        return i
    }

    @Test("the same models change nothing; volatility and return against numpy; every account is counted or listed")
    func sameModels() throws {
        let dir = try folder()
        let models = dir + "/models.json"
        try #"{"C3": {"KO": 0.6, "PG": 0.3, "CASH": 0.1}}"#.write(toFile: models, atomically: true, encoding: .utf8)
        let candidate = dir + "/candidate.json"
        try #"{"C3": {"KO": 0.3, "PG": 0.6, "CASH": 0.1}}"#.write(toFile: candidate, atomically: true, encoding: .utf8)
        let book = dir + "/book.jsonl"
        try """
        {"id": "A", "model": "C3", "cash": 1000, "holdings": {"KO": 60, "PG": 30}}
        {"id": "B", "model": "C3", "cash": 100, "holdings": {"KO": 200, "PG": 5}}

        {"id": "C", "model": "C9", "cash": 100, "holdings": {}}
        {"id": "D", "model": "C3", "cash": -1}
        """.write(toFile: book, atomically: true, encoding: .utf8)
        var request = ModelComparisonRequest(current: models, candidate: models, accounts: book)
        request.market.asOf = MarketDate(iso: "2022-12-28")
        let same = try request.run(inputs())
        #expect(same.lines == 4 && same.total.accounts == 2 && same.problems == 2)
        #expect(same.problemList.map(\.line) == [4, 5], "blank lines are not counted but keep their numbers")
        #expect(same.problemList[0].message.contains("model C9 is not in both files"))
        let c3 = try #require(same.models.first)
        #expect(c3.outOfBandNow == c3.outOfBandAgainstCandidate && c3.weightChange == 0)
        #expect(c3.volatilityCurrent == c3.volatilityCandidate && c3.backtestCurrent == c3.backtestCandidate)
        // The model's own volatility and return over the year, from numpy (make_monitor_risk_fixture.py).
        struct Reference: Decodable {
            struct Model: Decodable { let volatility, yearReturn: Double }
            let model: Model
        }
        let r = try JSONDecoder().decode(
            Reference.self, from: Data(contentsOf: URL(fileURLWithPath: TestSupport.path("Tests/Fixtures/monitor_risk_reference.json"))))
        #expect(abs(try #require(c3.volatilityCurrent) - r.model.volatility) < 1e-10)
        #expect(abs(try #require(c3.trailingReturnCurrent) - r.model.yearReturn) < 1e-12)
        // The trades of the switch are the plans toward the candidate, account by account.
        request.candidate = candidate
        let switched = try request.run(inputs())
        let s3 = try #require(switched.models.first)
        #expect(abs(try #require(s3.weightChange) - 0.3) < 1e-12)
        let planner = RebalancePlanner(policy: RebalancePolicy(), lotSizes: try inputs().loadCatalog().lotSizes)
        let market = try inputs().planMarket(asOf: request.market.asOf)
        var (trading, traded) = (0, Money(cents: 0))
        for a in [
            Account(id: "A", model: "C3", cash: Money(cents: 100_000), holdings: ["KO": 60, "PG": 30]),
            Account(id: "B", model: "C3", cash: Money(cents: 10_000), holdings: ["KO": 200, "PG": 5]),
        ] {
            let p = try planner.plan(for: a, toward: ["KO": 0.3, "PG": 0.6, "CASH": 0.1], at: market.prices, asOf: market.day)
            if !p.trades.isEmpty { trading += 1 }
            traded = p.trades.reduce(traded) { $0 + $1.value }
        }
        #expect(s3.trading == trading && abs(s3.tradedValue - traded.amount) < 1e-9 && s3.trading > 0)
        #expect(s3.volatilityCandidate != s3.volatilityCurrent && s3.backtestCandidate != nil)
    }
}
