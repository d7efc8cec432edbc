// Embedding Ballast in a service: profile a customer from in-memory answers, get the
// recommendation from the model menu of the investment process and the trade plan, all as
// values (no files written, nothing printed by the library).
//
//   swift run ballast-example-recommend
import Ballast
import Foundation

do {
    // Reference data, loaded once at start-up and shared by every request: the universe, the
    // assumptions rule and the investment policy (the menu's reviews are walked once and kept).
    let process = try InvestmentProcess(
        specification: "market-data/multi-asset/assumptions.json", policy: "market-data/multi-asset/policy.json")
    var settings = try Recommender.Settings(
        questionnaire: try Questionnaire.read(path: "profiles/questionnaire-v1.json"),
        levels: try RiskLevels.read(path: "profiles/levels.json"), process: process,
        market: try PriceCSV.read(path: "market-data/sp500_index.csv"),
        pseudonymKey: Array("a key from the service's secret store".utf8))
    settings.backtestYears = 5
    let recommender = Recommender(settings: settings)

    // One request: the answers as the web form sent them, the account as the ledger holds it.
    let answers = [
        "q1": "b", "q2": "b", "q3": "c", "q4": "c", "q5": "c", "q6": "c", "q7": "b", "q8": "d", "q9": "c", "q10": "c",
        "q11": "c", "q12": "b", "q13": "b", "q14": "c",
    ]
    var customer = CustomerFile(id: "CUST-0042", answers: answers, holdings: ["USEQ": 40, "UST10Y": 30], cash: 25_000)
    customer.goalDate = MarketDate(iso: "2018-06-30")
    let r = try recommender.recommend(customer, asOf: process.lastDate)

    print("customer \(r.profile.customerRef): level \(r.profile.label), decided by \(r.profile.decidedBy)")
    if let g = r.glidePath { print("goal \(g.goalDate), \(g.yearsToGoal) years away: model level \(g.modelLevel)") }
    print("menu of the review of \(r.menuReviewDate!), assumptions \(r.assumptionsVersion!)")
    print("model: expected return \(r.portfolio.result.expectedReturn), volatility \(r.portfolio.result.volatility)")
    for (symbol, weight) in r.portfolio.weights.sorted(by: { $0.value > $1.value }) where weight > 0 {
        print("  \(symbol) \((weight * 1000).rounded() / 10)%")
    }
    for t in r.plan.trades { print("  \(t.side.rawValue) \(t.quantity) \(t.symbol) at \(t.price)") }
    print("back-test CAGR \(r.backtest.metrics.cagr.map { "\($0)" } ?? "n/a"), max drawdown \(r.backtest.metrics.maxDrawdown)")
    for w in r.warnings { print("warning: \(w)") }
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
