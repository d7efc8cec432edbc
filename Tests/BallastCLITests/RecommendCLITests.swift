import BallastTestSupport
import Foundation
import Testing

@Suite("ballast recommend, end to end")
struct RecommendCLITests {
    static let customers = try! FileManager.default.contentsOfDirectory(atPath: TestSupport.path("profiles/customers")).filter {
        $0.hasSuffix(".json")
    }.sorted()

    func json(_ r: CLIResult) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stderr)")
    }

    @Test("agrees with profile, models, rebalance and backtest run separately", arguments: ["balanced-saver.json", "panic-seller.json"])
    func consistent(_ name: String) throws {
        let path = "profiles/customers/" + name
        // Plain mean-variance: the resampled menu is the same code with more draws, too slow
        // for a debug build.
        let rec = try ballast(["recommend", path, "--format", "json", "--years", "5", "--no-resampling"])
        #expect(rec.status == 0, "\(rec.stderr)")
        let r = try json(rec)
        let profile = try json(try ballast(["profile", path, "--as-of", "2010-03-31", "--format", "json"]))
        let p = try #require(r["profile"] as? [String: Any])
        #expect(p["label"] as? String == profile["label"] as? String)
        #expect(p["customerRef"] as? String == profile["customerRef"] as? String)
        #expect(p["decidedBy"] as? String == profile["decidedBy"] as? String)
        // The model portfolio is the one `ballast models` builds for the level on the same data.
        let models = try #require(
            try JSONSerialization.jsonObject(
                with: Data(
                    try ballast(["models", "--as-of", "2010-03-31", "--format", "json", "--no-resampling"]).stdout.utf8))
                as? [[String: Any]])
        let model = try #require(models.first { $0["label"] as? String == p["label"] as? String })
        let portfolio = try #require(r["portfolio"] as? [String: Any])
        let weights = try #require(portfolio["weights"] as? [String: Double])
        let expected = (model["weights"] as! [String: Double]).filter { $0.value > 0 }
        #expect(Set(weights.keys) == Set(expected.keys))
        for (s, w) in expected { #expect(abs(weights[s]! - w) < 1e-9, "\(s)") }
        #expect(abs((portfolio["volatility"] as! Double) - (model["volatility"] as! Double)) < 1e-9)
        // The plan conserves money to the cent and moves the account onto the model.
        let plan = try #require(r["plan"] as? [String: Any])
        let trades = plan["trades"] as! [[String: Any]]
        var cash = plan["cashBefore"] as! Double
        for t in trades {
            let v = t["value"] as! Double
            cash += (t["side"] as! String) == "sell" ? v : -v
            cash -= t["cost"] as! Double
        }
        #expect(abs(cash - (plan["cashAfter"] as! Double)) < 0.005)
        let after = plan["weightsAfter"] as! [String: Double]
        for (s, w) in expected where s != "CASH" { #expect(abs((after[s] ?? 0) - w) < 0.03, "\(s) after the trades") }
        // The back-test is the level's rule and names its conventions.
        let backtest = try #require(r["backtest"] as? [String: Any])
        #expect((backtest["strategy"] as! String).contains("level \(p["label"] as! String)"))
        let drawdown = (backtest["metrics"] as! [String: Any])["maxDrawdown"] as! Double
        #expect(drawdown <= 0)
        #expect(backtest["conventions"] != nil && backtest["benchmarkMetrics"] != nil)
        #expect((r["suitability"] as! [String: Any])["passed"] as! Bool)
        // The assumptions and the review it was built on are named.
        #expect(r["assumptionsVersion"] as? String == model["assumptionsVersion"] as? String)
        #expect(r["menuReviewDate"] as? String == model["reviewDate"] as? String)
    }

    @Test("the adviser's screen: level and why, allocation, trades, back-test, warnings; no personal data")
    func screen() throws {
        for name in Self.customers {
            let path = "profiles/customers/" + name
            let r = try ballast(["recommend", path, "--years", "3", "--no-resampling"])
            let data =
                try JSONSerialization.jsonObject(with: try Data(contentsOf: TestSupport.root.appendingPathComponent(path)))
                as! [String: Any]
            if name == "c1-asks-for-r4.json" {
                #expect(r.status == 1 && r.stderr.contains("not suitable"), "\(r.stderr)")
            } else {
                #expect(r.status == 0, "\(name): \(r.stderr)")
                for heading in [
                    "Risk level", "Allocation", "by class:", ": expected return", "model menu of the review", "Back-test", "SP500",
                ] {
                    #expect(r.stdout.contains(heading), "\(name): \(heading)")
                }
            }
            let personal = (data["personal"] as? [String: String] ?? [:]).values.filter { $0.count > 3 }
            for raw in personal + [data["id"] as! String] {
                #expect(!r.stdout.contains(raw) && !r.stderr.contains(raw), "\(name) leaks \(raw)")
            }
            #expect(r.stdout.split(separator: "\n").allSatisfy { $0.count <= 100 }, "\(name): lines fit 100 columns")
        }
    }

    @Test(
        "a report that cannot be written (a full disk) exits 1 naming the file and the reason, and the recommendation is not recorded",
        .enabled(if: FileManager.default.fileExists(atPath: "/dev/full")))
    func reportNotWritten() throws {
        let db = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-full-recommend-\(getpid()).sqlite").path
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) }
        let r = try ballast([
            "recommend", "profiles/customers/growth-investor.json", "--years", "3", "--report", "/dev/full", "--audit-db", db, "--quiet",
            "--no-resampling",
        ])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains("/dev/full: cannot write the report (No space left on device)"), "\(r.stderr)")
        let list = try ballast(["audit", "list", "--audit-db", db, "--format", "json"])
        #expect(list.status != 0 || !list.stdout.contains("\"recommend\""), "\(list.stdout)")
    }

    @Test("report: one offline page with allocation, frontier and back-test charts")
    func report() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-recommend-\(getpid()).html").path
        let r = try ballast([
            "recommend", "profiles/customers/growth-investor.json", "--years", "3", "--report", out, "--quiet", "--no-resampling",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let html = try String(contentsOfFile: out, encoding: .utf8)
        #expect(html.components(separatedBy: "<svg").count - 1 == 7, "allocation, frontier and five back-test charts")
        #expect(html.contains("volatility cap") && html.contains("model</text>"))
        #expect(!html.contains("<script") && !html.contains("<link") && !html.contains("src="))
    }

    @Test(
        "bad input: message and exit code",
        arguments: [
            (["recommend", "/nonexistent/customer.json"], Int32(1), "no such file"),
            (["recommend", "profiles/customers/balanced-saver.json", "--years", "0"], 2, "--years"),
            (["recommend", "profiles/customers/balanced-saver.json", "--as-of", "1980-01-01"], 1, "1980-01-01"),
            (["recommend", "market-data/catalog.json"], 1, "answers"),
        ])
    func badInput(_ args: [String], _ status: Int32, _ message: String) throws {
        let r = try ballast(args)
        #expect(r.status == status, "\(args): \(r.stderr)")
        #expect(r.stderr.contains(message), "\(args): \(r.stderr)")
    }
}
