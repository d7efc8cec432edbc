import BallastTestSupport
import Foundation
import Testing

/// `ballast monitor` on the stock universe with a models file (no model building), run as a
/// binary: figures in JSON, alerts and their exit code, the audit record and the comparison.
@Suite("ballast monitor, end to end")
struct MonitorCLITests {
    static let models = """
        {"C1": {"USMV": 0.5, "CASH": 0.5}, "C3": {"KO": 0.5, "PG": 0.4, "CASH": 0.1}}
        """

    static let book = """
        {"id": "M-1", "model": "C3", "cash": 1000, "holdings": {"KO": 80, "PG": 25}}
        {"id": "M-2", "model": "C3", "cash": 200, "holdings": {"KO": 150, "PG": 5, "AMD": 10}}
        {"id": "M-3", "model": "C3", "cash": 100, "holdings": {"KO": 60,}}
        {"id": "M-4", "model": "C1", "cash": 5000, "holdings": {"USMV": 70}}
        {"id": "M-5", "model": "growth", "cash": 5000, "holdings": {}}

        """

    /// The common arguments: the book, the models, the stock prices on a date.
    static func arguments(_ book: String, _ models: String) -> [String] {
        [
            "monitor", "--accounts", book, "--models", models, "--prices", "market-data/sp500_20.csv", "market-data/factors_etf5.csv",
            "--as-of", "2022-12-28",
        ]
    }

    @Test func alertFiresWithExitCodeFourAndJustDoesNot() throws {
        let book = try temporaryFile("monitor-book-a.jsonl", Self.book)
        let models = try temporaryFile("monitor-models-a.json", Self.models)
        let plain = try ballast(Self.arguments(book, models) + ["--format", "json", "--no-audit"])
        #expect(plain.status == 0, "\(plain.stderr)")
        let j = try plain.json()
        #expect(j["lines"] as? Int == 5 && j["accounts"] as? Int == 3 && j["problems"] as? Int == 2)
        let problems = try #require(j["problemList"] as? [[String: Any]])
        #expect(problems.map { $0["line"] as? Int } == [3, 5])
        #expect(problems.map { $0["kind"] as? String } == ["malformed", "unknown-model"])
        #expect(j["suitabilityExceptions"] as? Int == 2)  // AMD (R5) in a C3 account, USMV (R2) in a C1
        let share = try #require(j["outOfBandShare"] as? Double)
        #expect(share > 0 && share <= 1)
        // A threshold just under the figure fires (exit 4); the figure itself does not (exit 0).
        func rules(_ above: Double) throws -> String {
            try temporaryFile(
                "monitor-rules-\(above).json",
                "{\"rules\": [{\"name\": \"drifting\", \"metric\": \"outOfBandShare\", \"above\": \(above)}]}")
        }
        let fired = try ballast(Self.arguments(book, models) + ["--alerts", try rules(share - 1e-9), "--no-audit"])
        #expect(fired.status == 4, "\(fired.stderr)")
        #expect(fired.stdout.contains("Alerts: 1 of 1 fired") && fired.stdout.contains("FIRED drifting: outOfBandShare of book is"))
        #expect(fired.stderr.contains("1 of 1 alerts fired (exit code 4)"))
        let quiet = try ballast(Self.arguments(book, models) + ["--alerts", try rules(share), "--no-audit", "--format", "json"])
        #expect(quiet.status == 0, "\(quiet.stderr)")
        #expect(try quiet.json()["alertsFired"] as? Int == 0)
    }

    @Test func badRulesExitOneNamingTheField() throws {
        let book = try temporaryFile("monitor-book-b.jsonl", Self.book)
        let models = try temporaryFile("monitor-models-b.json", Self.models)
        let rules = try temporaryFile("monitor-bad-rules.json", "{\"rules\": [{\"metric\": \"drift\", \"above\": 0.1}]}")
        let r = try ballast(Self.arguments(book, models) + ["--alerts", rules, "--no-audit"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("monitor-bad-rules.json:") && r.stderr.contains("rules[0].metric: drift is not a figure of monitor"))
        let missing = try ballast(Self.arguments("/nonexistent/book.jsonl", models) + ["--no-audit"])
        #expect(missing.status == 1 && missing.stderr.contains("--accounts /nonexistent/book.jsonl: no such file"))
        let folder = try ballast(Self.arguments(FileManager.default.temporaryDirectory.path, models) + ["--no-audit"])
        #expect(folder.status == 1 && folder.stderr.contains("cannot read the accounts"), "\(folder.stderr)")
        let performance = try ballast(Self.arguments(book, models) + ["--performance", "--no-audit"])
        #expect(performance.status == 2 && performance.stderr.contains("--performance back-tests the levels' models"))
    }

    @Test func auditRecordDashboardAndComparison() throws {
        let book = try temporaryFile("monitor-book-c-\(UUID().uuidString).jsonl", Self.book)
        let models = try temporaryFile("monitor-models-c.json", Self.models)
        let page = FileManager.default.temporaryDirectory.appendingPathComponent("monitor-\(getpid()).html").path
        let figures = FileManager.default.temporaryDirectory.appendingPathComponent("monitor-accounts-\(getpid()).jsonl").path
        let first = try ballast(Self.arguments(book, models) + ["--format", "json", "--report", page, "--account-figures", figures])
        #expect(first.status == 0, "\(first.stderr)")
        // One line per measured account, in book order, whose drifts make the distribution.
        let rows = try String(contentsOfFile: figures, encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(rows.map { $0["line"] as? Int } == [1, 2, 4])
        #expect(rows.map { $0["accountId"] as? String } == ["M-1", "M-2", "M-4"])
        #expect(rows[1]["suitability"] as? [String] == ["AMD R5"] && rows[1]["level"] as? String == "C3")
        let drifts = rows.compactMap { $0["drift"] as? Double }
        let distribution = try #require(try first.json()["drift"] as? [String: Any])
        #expect(distribution["max"] as? Double == drifts.max())
        #expect(abs((distribution["mean"] as? Double ?? 0) - drifts.reduce(0, +) / 3) < 1e-12)
        let firstId = try #require(try first.json()["auditRecordId"] as? Int)
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(html.contains("<svg") && html.contains("Drift across accounts") && html.contains("M-2"))
        // The second run compares with the first (a date far ahead: every earlier run is on or before it).
        let second = try ballast(Self.arguments(book, models) + ["--format", "json", "--since", "2100-01-01"])
        #expect(second.status == 0, "\(second.stderr)")
        let comparison = try #require(try second.json()["comparison"] as? [String: Any])
        #expect(comparison["previousRecordId"] as? Int == firstId)
        let changes = try #require(comparison["changes"] as? [[String: Any]])
        let accounts = try #require(changes.first { $0["scope"] as? String == "book" && $0["metric"] as? String == "accounts" })
        #expect(accounts["previous"] as? Double == 3 && accounts["current"] as? Double == 3)
        let record = try ballast(["audit", "show", String(firstId)])
        #expect(record.stdout.contains("\"command\" : \"monitor\"") && record.stdout.contains("outOfBandShare"))
        // No earlier run before 2000: a note, no comparison.
        let none = try ballast(Self.arguments(book, models) + ["--since", "2000-01-01", "--no-audit"])
        #expect(none.status == 2 && none.stderr.contains("--since reads the audit trail"))
    }

    @Test("the book's runs form its history (figures per run, a trend chart), and halted batch runs show in the health")
    func historyAndHealth() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-monitor-history-\(getpid())").path
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let (book, db) = (dir + "/book.jsonl", dir + "/audit.sqlite")
        let models = try temporaryFile("monitor-models-h.json", Self.models)
        let lines = Self.book.split(separator: "\n")
        // Three runs of the same book file: 5 lines, then 3 of them, then all 5 again.
        func number(_ v: Any?) -> Double? { (v as? NSNumber)?.doubleValue }
        var expected: [Double] = []
        for n in [5, 3, 5] {
            try (lines.prefix(n).joined(separator: "\n") + "\n").write(toFile: book, atomically: true, encoding: .utf8)
            let r = try ballast(Self.arguments(book, models) + ["--format", "json", "--audit-db", db])
            #expect(r.status == 0, "\(r.stderr)")
            expected.append(try #require(number(try r.json()["accounts"])))
        }
        // A batch halted by a breaker in the same trail.
        let controls = try temporaryFile("monitor-controls-h.json", #"{"batch": {"maximumTradingShare": 0, "minimumAccounts": 1}}"#)
        let halted = try ballast([
            "rebalance", "--accounts", book, "--out", dir + "/plans.jsonl", "--models", models, "--prices", "market-data/sp500_20.csv",
            "market-data/factors_etf5.csv", "--as-of", "2022-12-28", "--controls", controls, "--audit-db", db,
        ])
        #expect(halted.status == 5, "\(halted.stderr)")
        let last = try ballast(Self.arguments(book, models) + ["--format", "json", "--audit-db", db, "--report", dir + "/m.html"])
        #expect(last.status == 0, "\(last.stderr)")
        let j = try last.json()
        let history = try #require(j["history"] as? [[String: Any]])
        #expect(history.count == 4)
        let accounts = history.map { number(($0["figures"] as? [String: Any])?["accounts"]) }
        #expect(accounts == (expected + [expected[2]]).map { Optional($0) }, "each run's own figures, oldest first")
        #expect(history.dropLast().allSatisfy { $0["recordId"] is Int } && history.last?["recordId"] as? Int == j["auditRecordId"] as? Int)
        let health = try #require(j["health"] as? [String: Any])
        let halts = try #require(health["halts"] as? [[String: Any]])
        #expect(halts.count == 1 && (halts[0]["what"] as? String)?.hasPrefix("batch.maximumTradingShare: ") == true)
        let page = try String(contentsOfFile: dir + "/m.html", encoding: .utf8)
        #expect(page.contains("Trend over 4 runs") && page.contains("<polyline") && page.contains("Algorithm health"))
        let screen = try ballast(Self.arguments(book, models) + ["--audit-db", db])
        #expect(screen.stdout.contains("1 batch run halted by a circuit breaker in the last 30 days"))
        #expect(screen.stdout.contains("Trend over 5 runs"))
    }

    @Test("models compare: the switch's trades and each model's risk, as a table and JSON; a missing file exits 1")
    func modelsCompare() throws {
        let book = try temporaryFile("compare-book.jsonl", Self.book)
        let current = try temporaryFile("compare-current.json", Self.models)
        let candidate = try temporaryFile(
            "compare-candidate.json", #"{"C1": {"USMV": 0.4, "CASH": 0.6}, "C3": {"KO": 0.3, "PG": 0.6, "CASH": 0.1}}"#)
        let common = [
            "models", "compare", current, candidate, "--accounts", book, "--prices", "market-data/sp500_20.csv",
            "market-data/factors_etf5.csv", "--as-of", "2022-12-28",
        ]
        let table = try ballast(common)
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("Trades to the candidate") && table.stdout.contains("Past performance does not predict"))
        #expect(table.stdout.split(separator: "\n").allSatisfy { $0.count <= 100 })
        let j = try ballast(common + ["--format", "json"]).json()
        let models = try #require(j["models"] as? [[String: Any]])
        #expect(models.map { $0["model"] as? String } == ["C1", "C3"])
        #expect(j["problems"] as? Int == 2, "the malformed line and the unknown model")
        let c3 = try #require(models.last)
        // C3 moves from KO 0.5 / PG 0.4 to 0.3 / 0.6: half of 0.2 + 0.2.
        #expect(abs(((c3["weightChange"] as? NSNumber)?.doubleValue ?? 0) - 0.2) < 1e-12)
        #expect(c3["backtestCandidate"] is [String: Any] && c3["volatilityCandidate"] is NSNumber)
        let missing = try ballast(["models", "compare", current, "/nonexistent.json", "--accounts", book, "--universe", "stocks"])
        #expect(missing.status == 1 && missing.stderr.contains("/nonexistent.json"), "\(missing.stderr)")
    }

    @Test func helpDocumentsTheExitCodes() throws {
        let r = try ballast(["monitor", "--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("EXIT CODES") && r.stdout.contains("4  at least one alert fired"))
        let root = try ballast(["--help"])
        #expect(root.stdout.contains("monitor") && root.stdout.contains("4  monitor: at least one alert fired"))
    }
}
