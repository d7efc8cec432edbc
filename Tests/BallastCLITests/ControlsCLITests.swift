import BallastTestSupport
import Foundation
import Testing

/// `ballast rebalance --controls`, `--suspend` and `--override-halt`, run as a binary.
@Suite("Pre-trade controls, end to end")
struct ControlsCLITests {
    static let account = "profiles/accounts/drifted-balanced.json"

    @Test("an account over a limit is held with a warning naming it; the example controls release it; --suspend suspends")
    func singleAccount() throws {
        let free = try ballast(["rebalance", "--account", Self.account, "--format", "json", "--no-audit"])
        #expect(free.status == 0, "\(free.stderr)")
        let turnover = try #require(try free.json()["turnover"] as? Double)
        #expect(turnover > 0.1)
        let tight = try temporaryFile("controls-tight.json", #"{"account": {"maximumTurnover": 0.1}}"#)
        let held = try ballast(["rebalance", "--account", Self.account, "--controls", tight, "--format", "json", "--no-audit"])
        #expect(held.status == 0, "\(held.stderr)")
        let j = try held.json()
        #expect(j["status"] as? String == "held" && (j["trades"] as? [Any])?.isEmpty == true)
        #expect(j["cashAfter"] as? Double == j["cashBefore"] as? Double)
        #expect(held.stderr.contains("warning: account ACC-2001: held by the pre-trade controls: turnover"))
        #expect(held.stderr.contains("(account.maximumTurnover)"))
        let example = try ballast(["rebalance", "--account", Self.account, "--controls", "Examples/controls/controls.json", "--no-audit"])
        #expect(example.status == 0 && example.stdout.contains(": rebalanced"), "\(example.stderr)")
        let suspended = try ballast(["rebalance", "--account", Self.account, "--suspend", "exchange closed", "--no-audit"])
        #expect(suspended.status == 0 && suspended.stdout.contains(": suspended"))
        #expect(suspended.stdout.contains("note: suspended: exchange closed"))
    }

    @Test("a bad controls file exits 1 naming the file and the field; --override-halt without --resume is a usage error")
    func badInput() throws {
        let bad = try temporaryFile("controls-bad.json", #"{"account": {"maximumTradeShare": 2}}"#)
        let r = try ballast(["rebalance", "--account", Self.account, "--controls", bad, "--no-audit"])
        #expect(r.status == 1 && r.stderr.contains("\(bad): account.maximumTradeShare: must be a fraction"), "\(r.stderr)")
        let u = try ballast(["rebalance", "--accounts", "x.jsonl", "--out", "y.jsonl", "--override-halt", "ok", "--no-audit"])
        #expect(u.status == 2 && u.stderr.contains("--override-halt continues a halted batch"))
    }

    @Test("a circuit breaker halts a batch with exit code 5 and a record; a resume halts again; the override completes it")
    func halt() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-cli-halt-\(getpid())").path
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let book = dir + "/book.jsonl"
        let made = try ballast(["generate-accounts", "--count", "1500", "--seed", "3", "--out", book])
        #expect(made.status == 0, "\(made.stderr)")
        let controls = dir + "/controls.json"
        try #"{"batch": {"maximumTradingShare": 0.3, "minimumAccounts": 500}}"#.write(toFile: controls, atomically: true, encoding: .utf8)
        let db = dir + "/audit.sqlite"
        let common = ["rebalance", "--accounts", book, "--out", dir + "/plans.jsonl", "--controls", controls, "--audit-db", db]
        let env: [String: String?] = ["BALLAST_BATCH_BLOCK_BYTES": "60000"]
        let first = try ballast(common, environment: env)
        #expect(first.status == 5, "\(first.stderr)")
        #expect(first.stderr.contains("error: halted by a circuit breaker: batch.maximumTradingShare:"))
        #expect(first.stderr.contains("--resume and --override-halt REASON"))
        let again = try ballast(common + ["--resume"], environment: env)
        #expect(again.status == 5)
        let done = try ballast(
            common + ["--resume", "--override-halt", "checked the book"], environment: env.merging(["USER": "ops-7"]) { $1 })
        #expect(done.status == 0, "\(done.stderr)")
        let plans = try String(contentsOfFile: dir + "/plans.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(plans.count == 1500)
        let list = try ballast(["audit", "list", "--audit-db", db, "--format", "json"])
        let commands = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]]).map {
            ($0["entry"] as? [String: Any])?["command"] as? String ?? ""
        }
        #expect(commands.filter { $0 == "rebalance-halt" }.count == 2)
        let verify = try ballast(["audit", "verify", "--audit-db", db])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let export = try ballast(["audit", "export", "--audit-db", db])
        #expect(
            export.stdout.contains("\"haltOverrideReason\":\"checked the book\"")
                && export.stdout.contains("\"haltOverriddenBy\":\"ops-7\""))
    }
}
