import BallastTestSupport
import Foundation
import Testing

@Suite("ballast backtest, end to end")
struct BacktestCLITests {
    struct Metrics: Decodable {
        var totalReturn, cagr, annualVolatility, sharpeRatio, sortinoRatio, maxDrawdown, calmarRatio: Double
        var valueAtRisk95, conditionalValueAtRisk95, turnover, costs: Double
        var beta, alpha, trackingError: Double
    }
    struct Output: Decodable {
        var metrics: Metrics
        var benchmarkMetrics: [String: JSONValue]?
        var rebalances: Int
        var conventions: [String: JSONValue]
    }
    enum JSONValue: Decodable {
        case number(Double), text(String), other
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let d = try? c.decode(Double.self) {
                self = .number(d)
            } else if let s = try? c.decode(String.self) {
                self = .text(s)
            } else {
                self = .other
            }
        }
    }
    struct Reference: Decodable {
        struct M: Decodable {
            var totalReturn, cagr, annualVolatility, sharpeRatio, sortinoRatio, maxDrawdown, calmarRatio, valueAtRisk95,
                conditionalValueAtRisk95, alpha, beta, trackingError: Double
        }
        var metrics: [String: M]
    }

    @Test("equal weight monthly: the JSON metrics are empyrical's on bt's run")
    func jsonMatchesReference() throws {
        let r = try ballast([
            "backtest", "--strategy", "equal-weight", "--rebalance", "monthly", "--risk-free-rate", "0.02", "--format", "json",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let out = try JSONDecoder().decode(Output.self, from: Data(r.stdout.utf8))
        let ref = try #require(try TestSupport.fixture("backtest_reference.json", as: Reference.self).metrics["bt_equal_weight_vs_sp500"])
        let m = out.metrics
        for (name, a, b) in [
            ("totalReturn", m.totalReturn, ref.totalReturn), ("cagr", m.cagr, ref.cagr),
            ("annualVolatility", m.annualVolatility, ref.annualVolatility),
            ("sharpeRatio", m.sharpeRatio, ref.sharpeRatio), ("sortinoRatio", m.sortinoRatio, ref.sortinoRatio),
            ("maxDrawdown", m.maxDrawdown, ref.maxDrawdown), ("calmarRatio", m.calmarRatio, ref.calmarRatio),
            ("valueAtRisk95", m.valueAtRisk95, ref.valueAtRisk95),
            ("conditionalValueAtRisk95", m.conditionalValueAtRisk95, ref.conditionalValueAtRisk95),
            ("alpha", m.alpha, ref.alpha), ("beta", m.beta, ref.beta), ("trackingError", m.trackingError, ref.trackingError),
        ] {
            #expect(abs(a - b) <= 1e-9 * abs(b), "\(name): \(a) vs \(b)")
        }
        #expect(m.maxDrawdown < 0 && m.costs == 0 && m.turnover > 0)
        #expect(out.rebalances == 396)
        #expect(out.benchmarkMetrics != nil)
        if case .text(let s)? = out.conventions["sharpeRatio"] {
            #expect(s.contains("ddof 1"))
        } else {
            Issue.record("conventions name the Sharpe ratio")
        }
    }

    @Test(
        "a report that cannot be written (a full disk) exits 1 naming the file and the reason, and no audit record is written",
        .enabled(if: FileManager.default.fileExists(atPath: "/dev/full")))
    func reportNotWritten() throws {
        let db = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-full-backtest-\(getpid()).sqlite").path
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) }
        let r = try ballast([
            "backtest", "--strategy", "equal-weight", "--start", "2021-01-01", "--report", "/dev/full", "--audit-db", db, "--quiet",
        ])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains("/dev/full: cannot write the report (No space left on device)"), "\(r.stderr)")
        let list = try ballast(["audit", "list", "--audit-db", db, "--format", "json"])
        #expect(list.status != 0 || !list.stdout.contains("\"backtest\""), "\(list.stdout)")
    }

    @Test("CSV files, an offline HTML report, and a grid")
    func filesAndGrid() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-backtest-\(getpid())").path
        try? FileManager.default.removeItem(atPath: dir)
        let report = dir + "/report.html"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let r = try ballast([
            "backtest", "--strategy", "equal-weight", "--rebalance", "quarterly", "--start", "2015-01-01", "--cost-bps", "10", "--sizing",
            "lots",
            "--csv", dir, "--report", report, "--log-scale",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Back-test: equal weight") && r.stdout.contains("max drawdown"))
        let nav = try String(contentsOfFile: dir + "/nav.csv", encoding: .utf8).split(separator: "\n")
        #expect(nav.first == "date,value,flow,return,benchmark")
        let days = try String(contentsOfFile: TestSupport.path("market-data/sp500_20.csv"), encoding: .utf8).split(separator: "\n")
            .filter { $0 >= "2015-01-01" && $0.first?.isNumber == true }.count
        #expect(nav.count == 1 + days, "one row per trading day from 2015 on")
        let trades = try String(contentsOfFile: dir + "/trades.csv", encoding: .utf8).split(separator: "\n")
        #expect(
            trades.count > 20
                && trades.dropFirst().allSatisfy { Double($0.split(separator: ",")[3])! == Double($0.split(separator: ",")[3])!.rounded() })
        let html = try String(contentsOfFile: report, encoding: .utf8)
        #expect(html.components(separatedBy: "<svg").count - 1 == 5, "value, drawdown, weights, rolling volatility and Sharpe")
        #expect(!html.contains("src=\"http") && !html.contains("<link") && !html.contains("<script"), "works offline")
        #expect(html.contains("Monthly returns") && html.contains("class=\"neg\"") && html.contains("Trades and costs"))
        let grid = try temporaryFile(
            "grid.json", #"{"strategies": ["equal-weight", "buy-and-hold"], "rebalance": ["monthly", "threshold:0.05"]}"#)
        let g = try ballast(["backtest", "--grid", grid, "--start", "2010-01-01", "--format", "json"])
        #expect(g.status == 0, "\(g.stderr)")
        let rows = try JSONSerialization.jsonObject(with: Data(g.stdout.utf8)) as! [[String: Any]]
        #expect(rows.count == 4)
        #expect(rows.filter { ($0["strategy"] as! String) == "buy-and-hold" }.allSatisfy { ($0["rebalance"] as! String) == "never" })
    }

    @Test(
        "bad input: message and exit code",
        arguments: [
            (["backtest", "--strategy", "nonsense"], Int32(1), "is not equal-weight"),
            (["backtest", "--strategy", "equal-weight", "--rebalance", "weekly"], 2, "--rebalance weekly"),
            (["backtest", "--strategy", "equal-weight", "--start", "2030-01-01"], 1, "no prices between"),
            (["backtest", "--strategy", "fixed:/nonexistent/w.json"], 1, "no such file"),
            (["backtest", "--strategy", "level:9"], 1, "level is 1 to 5"),
            (["backtest"], 2, "give --strategy"),
            (["backtest", "--strategy", "equal-weight", "--benchmark", "NOPE"], 1, "--benchmark NOPE"),
            (["backtest", "--strategy", "equal-weight", "--contribution", "lots/monthly"], 2, "AMOUNT/PERIOD"),
        ])
    func badInput(_ args: [String], _ status: Int32, _ message: String) throws {
        let r = try ballast(args)
        #expect(r.status == status, "\(args): \(r.stderr)")
        #expect(r.stderr.contains(message), "\(args): \(r.stderr)")
    }
}
