import BallastTestSupport
import Foundation
import Testing

/// Results a professional can trust: each test names a wrong, misleading or silently
/// accepted result and fails if it comes back.
@Suite("Results a professional can trust")
struct TrustCLITests {
    /// The bundled stock prices with one AAPL price replaced (row 7600 is 2020-03-02).
    static func corruptedPrices(_ value: String, name: String) throws -> String {
        var lines = try String(contentsOfFile: TestSupport.path("market-data/sp500_20.csv"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var fields = lines[7600].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        #expect(fields[0] == "2020-03-02")
        fields[1] = value
        lines[7600] = fields.joined(separator: ",")
        return try temporaryFile(name, lines.joined(separator: "\n"))
    }

    @Test("the stated risk-free rate is used and echoed by every objective")
    func riskFreeRate() throws {
        for objective in ["min-volatility", "max-utility", "max-sharpe"] {
            let r = try ballast(["optimize", "--objective", objective, "--risk-free-rate", "0.05", "--format", "json"])
            #expect(r.status == 0, "\(r.stderr)")
            let j = try r.json()
            let rf = try #require(j["riskFreeRate"] as? Double)
            #expect(rf == 0.05, "\(objective)")
            let ret = try #require(j["expectedReturn"] as? Double)
            let vol = try #require(j["volatility"] as? Double)
            let sharpe = try #require(j["sharpeRatio"] as? Double)
            #expect(abs(sharpe - (ret - 0.05) / vol) < 1e-12, "\(objective)")
        }
        let table = try ballast(["optimize", "--objective", "min-volatility", "--risk-free-rate", "0.05"])
        #expect(table.stdout.contains("risk-free rate 5.00%"))
    }

    @Test("an all-cash back-test has no Sharpe ratio: null in JSON, n/a in the table, never a 15-digit number")
    func undefinedSharpeOfCash() throws {
        let json = try ballast(["recommend", "profiles/customers/conservative-retiree.json", "--format", "json", "--no-audit"])
        #expect(json.status == 0, "\(json.stderr)")
        let backtest = try #require(try json.json()["backtest"] as? [String: Any])
        let metrics = try #require(backtest["metrics"] as? [String: Any])
        #expect(metrics.keys.contains("sharpeRatio") && metrics["sharpeRatio"] is NSNull, "\(String(describing: metrics["sharpeRatio"]))")
        #expect((metrics["undefined"] as? [String: String])?["sharpeRatio"] != nil)
        let table = try ballast(["recommend", "profiles/customers/conservative-retiree.json", "--no-audit"])
        let modelRow = try #require(table.stdout.split(separator: "\n").first { $0.hasPrefix("model ") })
        #expect(modelRow.contains("n/a"), "\(modelRow)")
        #expect(!table.stdout.contains("e+") && !modelRow.contains("-227"), "\(modelRow)")
        #expect(table.stdout.contains("risk-free rate of 2.00%"))
    }

    @Test("back-test and recommendation share one risk-free rate, stated in the output")
    func oneRiskFreeRate() throws {
        let bt = try ballast(["backtest", "--strategy", "level:3", "--start", "2018-01-01", "--format", "json", "--no-audit"])
        #expect(bt.status == 0, "\(bt.stderr)")
        let conventions = try #require(try bt.json()["conventions"] as? [String: Any])
        let rec = try ballast(["recommend", "profiles/customers/balanced-saver.json", "--format", "json", "--no-audit"])
        let recConventions = try #require((try rec.json()["backtest"] as? [String: Any])?["conventions"] as? [String: Any])
        #expect(conventions["annualRiskFreeRate"] as? Double == 0.02)
        #expect(recConventions["annualRiskFreeRate"] as? Double == conventions["annualRiskFreeRate"] as? Double)
        let table = try ballast(["backtest", "--strategy", "level:3", "--start", "2018-01-01", "--no-audit"])
        #expect(table.stdout.contains("Risk-free rate 2.00% a year"))
    }

    @Test("under a year of history nothing is annualised")
    func shortSamples() throws {
        let two = try String(contentsOfFile: TestSupport.path("market-data/sp500_20.csv"), encoding: .utf8)
            .split(separator: "\n").prefix(3).joined(separator: "\n")
        let path = try temporaryFile("two-rows.csv", two + "\n")
        let inspect = try ballast(["data", "inspect", path, "--format", "json"])
        let symbols = try #require(try inspect.json()["symbols"] as? [[String: Any]])
        #expect(symbols.allSatisfy { $0["annualReturn"] is NSNull && $0["undefined"] is String })
        let bt = try ballast(["backtest", "--strategy", "equal-weight", "--start", "2022-12-27", "--format", "json", "--no-audit"])
        #expect(bt.status == 0, "\(bt.stderr)")
        let metrics = try #require(try bt.json()["metrics"] as? [String: Any])
        #expect(metrics["cagr"] is NSNull && metrics["annualVolatility"] is NSNull && metrics["totalReturn"] is Double)
    }

    @Test("implausible prices are named with file, symbol and date; --strict refuses; rebalancing refuses to trade on them")
    func outlierPrices() throws {
        for (value, name) in [("1e-10", "tick.csv"), ("1e300", "huge.csv"), ("66915", "times1000.csv")] {
            let path = try Self.corruptedPrices(value, name: name)
            let warned = try ballast(["optimize", "--prices", path, "--objective", "min-volatility"])
            #expect(warned.stderr.contains("warning: implausible price: \(path): AAPL on 2020-03-02"), "\(warned.stderr)")
            let strict = try ballast(["risk-model", "--prices", path, "--strict"])
            #expect(strict.status == 1 && strict.stderr.contains("AAPL on 2020-03-02"), "\(strict.stderr)")
        }
        let path = try Self.corruptedPrices("1e-10", name: "tick.csv")
        let plan = try ballast([
            "rebalance", "--account", "profiles/accounts/drifted-balanced.json", "--prices", path, "market-data/factors_etf5.csv",
            "--as-of", "2020-03-02", "--no-audit",
        ])
        #expect(plan.status == 1 && plan.stderr.contains("refusing to trade on implausible prices"), "\(plan.stderr)")
    }
}
