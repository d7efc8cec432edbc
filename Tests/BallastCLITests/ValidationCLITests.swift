import BallastTestSupport
import Foundation
import Testing

@Suite("Inputs and outputs checked before anything is written", .serialized)
struct ValidationCLITests {
    static let dir: URL = {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-validation-\(getpid())")
        try? FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }()

    static let account = #"{"id":"ACC-1","model":"C3","cash":1000,"holdings":{"KO":10,"PEP":5}}"#

    @Test("an output that is the same file as an input is refused (exit 2), by inode: ./x, x and symbolic links")
    func sameFile() throws {
        let book = Self.dir.appendingPathComponent("book.jsonl").path
        try (Self.account + "\n").write(toFile: book, atomically: true, encoding: .utf8)
        let link = Self.dir.appendingPathComponent("link.jsonl").path
        try? FileManager.default.removeItem(atPath: link)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: book)
        let dotted = Self.dir.path + "/./book.jsonl"
        for out in [book, link, dotted] {
            let r = try ballast([
                "rebalance", "--universe", "stocks", "--accounts", book, "--out", out, "--as-of", "2022-12-28", "--no-audit",
            ])
            #expect(r.status == 2, "\(out): \(r.stderr)")
            #expect(r.stderr.contains("--out") && r.stderr.contains("--accounts") && r.stderr.contains(out), "\(r.stderr)")
            #expect(try String(contentsOfFile: book, encoding: .utf8) == Self.account + "\n", "the book is untouched")
        }
        let errors = try ballast([
            "rebalance", "--universe", "stocks", "--accounts", book, "--out", Self.dir.appendingPathComponent("plans.jsonl").path,
            "--errors", link, "--no-audit",
        ])
        #expect(errors.status == 2 && errors.stderr.contains("--errors"), "\(errors.stderr)")
        let prices = Self.dir.appendingPathComponent("prices.csv").path
        try? FileManager.default.removeItem(atPath: prices)
        try FileManager.default.copyItem(atPath: TestSupport.path("market-data/sp500_20.csv"), toPath: prices)
        let report = try ballast(["backtest", "--strategy", "equal-weight", "--prices", prices, "--report", prices, "--no-audit"])
        #expect(report.status == 2 && report.stderr.contains("--report") && report.stderr.contains("--prices"), "\(report.stderr)")
        #expect(try String(contentsOfFile: prices, encoding: .utf8).hasPrefix("date,"), "the prices are untouched")
    }

    @Test("out-of-range flags are usage errors (exit 2) in every command; the same values in a policy file exit 1")
    func ranges() throws {
        let account = "profiles/stock-accounts/drifted-balanced.json"
        for bps in ["10000", "1000", "nan", "-1"] {
            let commands: [[String]] = [
                ["rebalance", "--universe", "stocks", "--account", account, "--cost-bps", bps],
                ["backtest", "--strategy", "equal-weight", "--cost-bps", bps],
                ["recommend", "profiles/customers/balanced-saver.json", "--cost-bps", bps],
            ]
            for c in commands {
                let r = try ballast(c + ["--no-audit"])
                #expect(r.status == 2, "\(c): \(r.stderr)")
                #expect(r.stderr.contains("--cost-bps") && !r.stderr.contains("Double"), "\(c): \(r.stderr)")
            }
        }
        let policy = Self.dir.appendingPathComponent("policy.json").path
        try #"{"costBasisPoints": 10000}"#.write(toFile: policy, atomically: true, encoding: .utf8)
        let file = try ballast(["rebalance", "--universe", "stocks", "--account", account, "--policy", policy, "--no-audit"])
        #expect(file.status == 1 && file.stderr.contains(policy) && file.stderr.contains("costBasisPoints"), "\(file.stderr)")
        let fine = try ballast([
            "rebalance", "--universe", "stocks", "--account", account, "--cost-bps", "999", "--no-audit", "--as-of", "2022-12-28",
        ])
        #expect(fine.status == 0, "\(fine.stderr)")
    }

    @Test("a minimum trade above the account's value: no trades, status below-minimum-trade, and a warning")
    func minimumTrade() throws {
        let r = try ballast([
            "rebalance", "--universe", "stocks", "--account", "profiles/stock-accounts/drifted-balanced.json", "--min-trade", "1e9",
            "--format", "json", "--as-of",
            "2022-12-28", "--no-audit",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let plan = try r.json()
        #expect(plan["status"] as? String == "below-minimum-trade")
        #expect((plan["trades"] as? [Any])?.isEmpty == true)
        #expect(r.stderr.contains("warning:") && r.stderr.contains("minimum trade value"), "\(r.stderr)")
    }

    @Test(
        "batch lines: unknown fields, trailing commas, future dates, sub-cent cash, fractional shares and duplicate ids are error records")
    func batchLines() throws {
        let lines = [
            #"{"id":"A","model":"C3","cash":1000,"holdings":{"KO":10}}"#,
            #"{"id":"B","model":"C3","cash":1000,"holdings":{"KO":10},"colour":"blue"}"#,
            #"{"id":"C","model":"C3","cash":1000,"holdings":{"KO":10},}"#,
            #"{"id":"A","model":"C3","cash":1000,"holdings":{"KO":10}}"#,
            #"{"id":"D","model":"C3","cash":1000,"holdings":{"KO":10},"lastRebalance":"2023-03-31"}"#,
            #"{"id":"E","model":"C3","cash":1000.005,"holdings":{"KO":10}}"#,
            #"{"id":"F","model":"C3","cash":1000,"holdings":{"KO":2.5}}"#,
            #"{"id":"A","model":"C3","cash":500,"holdings":{}}"#,
            #"{"id":"G","model":"C3","cash":1000,"holdings":{"KO":10},"cashFlow":{"amount":5,"when":"now"}}"#,
        ]
        let book = Self.dir.appendingPathComponent("lines.jsonl").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: book, atomically: true, encoding: .utf8)
        let out = Self.dir.appendingPathComponent("lines-plans.jsonl").path
        let r = try ballast([
            "rebalance", "--universe", "stocks", "--accounts", book, "--out", out, "--as-of", "2022-12-28", "--no-audit", "--jobs", "2",
        ])
        #expect(r.status == 1, "\(r.stderr)")
        let records = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        try #require(records.count == lines.count)
        func error(_ k: Int) -> String { records[k]["error"] as? String ?? "" }
        #expect(records[0]["status"] as? String != "error", "the first A is planned")
        #expect(error(1).contains("colour") && error(1).contains("cash, cashFlow, holdings, id, lastRebalance, model"), "\(error(1))")
        #expect(error(2).contains("trailing comma") && error(2).contains("column 56"), "\(error(2))")
        #expect(error(3).contains("line 1") && records[3]["accountId"] as? String == "A", "\(error(3))")
        #expect(error(4).contains("lastRebalance") && error(4).contains("2022-12-28"), "\(error(4))")
        #expect(error(5).contains("cash") && error(5).contains("2 decimals"), "\(error(5))")
        #expect(
            error(6).contains("holdings.KO") && error(6).contains("lot size 1") && records[6]["accountId"] as? String == "F", "\(error(6))")
        #expect(error(7).contains("line 1"), "\(error(7))")
        #expect(error(8).contains("cashFlow.when"), "\(error(8))")
        #expect(r.stderr.contains("8 errors"), "\(r.stderr)")
    }
}
