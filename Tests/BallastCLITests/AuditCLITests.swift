import BallastTestSupport
import Foundation
import Testing

@Suite("Audit trail anchored by signed heads", .serialized)
struct AuditCLITests {
    func folder(_ name: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-audit-cli-\(getpid())-\(name)").path
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as! NSNumber).intValue & 0o777
    }

    @Test("keygen writes a 0600 private and a 0644 public key and never replaces a file; a group-readable key is refused")
    func keygen() throws {
        let dir = try folder("keygen")
        let key = dir + "/audit.key"
        let made = try ballast(["audit", "keygen", "--out", key])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(try mode(key) == 0o600 && mode(key + ".pub") == 0o644)
        let before = try Data(contentsOf: URL(fileURLWithPath: key))
        let again = try ballast(["audit", "keygen", "--out", key])
        #expect(
            again.status == 1 && again.stderr.contains("\(key): cannot create the key file (the file exists; keys are never overwritten)"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: key)) == before)
        chmod(key, 0o640)
        let db = dir + "/audit.sqlite"
        let refused = try ballast(["audit", "anchor", "--audit-db", db, "--signing-key", key])
        #expect(refused.status == 1 && refused.stderr.contains("readable by other users (mode 640); run `chmod 600 \(key)`"))
    }

    @Test(
        "batch input limits from the command line: --max-field-bytes makes an error record naming the field, --max-input-bytes refuses a larger book"
    )
    func inputLimits() throws {
        let dir = try folder("limits")
        let book = dir + "/book.jsonl"
        _ = try ballast(["generate-accounts", "--universe", "stocks", "--count", "3", "--seed", "5", "--out", book])
        var text = try String(contentsOfFile: book, encoding: .utf8)
        text += "{\"id\":\"ACC-LONG\",\"model\":\"C3\",\"cash\":10,\"holdings\":{\"" + String(repeating: "Z", count: 500) + "\":1}}\n"
        try text.write(toFile: book, atomically: true, encoding: .utf8)
        let r = try ballast([
            "rebalance", "--universe", "stocks", "--accounts", book, "--out", dir + "/plans.jsonl", "--as-of", "2022-12-28", "--quiet",
            "--no-audit",
            "--max-field-bytes", "400",
        ])
        #expect(r.status == 1, "\(r.stderr)")
        let last = try String(contentsOfFile: dir + "/plans.jsonl", encoding: .utf8).split(separator: "\n").last ?? ""
        #expect(
            last.contains("\"accountId\":\"ACC-LONG\"") && last.contains("\"line\":4")
                && last.contains("a key: 500 bytes, longer than 400, the longest field allowed (raise it with --max-field-bytes)"),
            "\(last)")
        let big = try ballast([
            "rebalance", "--universe", "stocks", "--accounts", book, "--out", dir + "/plans2.jsonl", "--as-of", "2022-12-28", "--quiet",
            "--no-audit",
            "--max-input-bytes", "100",
        ])
        #expect(
            big.status == 1 && big.stderr.contains("larger than 100, the largest input allowed (raise it with --max-input-bytes"),
            "\(big.stderr)")
    }

    @Test(
        "signed heads and anchors: the trail verifies with its public key and anchors, and fails with another key, after an unsigned append, a truncation or an older copy"
    )
    func anchoring() throws {
        let dir = try folder("anchor")
        let (key, other, db, anchors) = (dir + "/audit.key", dir + "/other.key", dir + "/audit.sqlite", dir + "/anchors.jsonl")
        _ = try ballast(["audit", "keygen", "--out", key])
        _ = try ballast(["audit", "keygen", "--out", other])
        let book = dir + "/book.jsonl"
        _ = try ballast(["generate-accounts", "--universe", "stocks", "--count", "300", "--seed", "4", "--out", book])
        func batch(_ name: String) throws -> CLIResult {
            try ballast([
                "rebalance", "--universe", "stocks", "--accounts", book, "--out", dir + "/\(name).jsonl", "--as-of", "2022-12-28",
                "--quiet", "--audit-db", db,
                "--signing-key", key,
            ])
        }
        #expect(try batch("first").status == 0)
        let anchored = try ballast(["audit", "anchor", "--audit-db", db, "--signing-key", key, "--anchor", anchors])
        #expect(anchored.status == 0, "\(anchored.stderr)")
        try FileManager.default.copyItem(atPath: db, toPath: dir + "/older.sqlite")
        #expect(try batch("second").status == 0)
        #expect(try ballast(["audit", "anchor", "--audit-db", db, "--signing-key", key, "--anchor", anchors]).status == 0)
        let good = try ballast(["audit", "verify", "--audit-db", db, "--public-key", key + ".pub", "--anchor", anchors])
        #expect(good.status == 0 && good.stdout.contains("head signed by key") && good.stdout.contains("2 anchored heads hold"), "\(good)")

        let wrongKey = try ballast(["audit", "verify", "--audit-db", db, "--public-key", other + ".pub"])
        #expect(wrongKey.status == 1 && wrongKey.stdout.contains("not by the given public key"), "\(wrongKey.stdout)")

        // The older copy passes the plain chain check, but not the anchors.
        let older = dir + "/older.sqlite"
        #expect(try ballast(["audit", "verify", "--audit-db", older]).status == 0)
        let replaced = try ballast(["audit", "verify", "--audit-db", older, "--anchor", anchors])
        #expect(replaced.status == 1 && replaced.stdout.contains("which the trail no longer holds"), "\(replaced.stdout)")

        // A record appended without the key: the chain is intact, the signed head is stale.
        let forged = try ballast([
            "rebalance", "--universe", "stocks", "--accounts", book, "--out", dir + "/third.jsonl", "--as-of", "2022-12-28", "--quiet",
            "--audit-db", db,
        ])
        #expect(forged.status == 0)
        #expect(try ballast(["audit", "verify", "--audit-db", db]).status == 0)
        let stale = try ballast(["audit", "verify", "--audit-db", db, "--public-key", key + ".pub"])
        #expect(stale.status == 1 && stale.stdout.contains("does not match the chain"), "\(stale.stdout)")
    }

    @Test("verify, list, show and export of a missing or empty database exit 1 naming it, and create nothing")
    func missingDatabase() throws {
        let dir = try folder("missing")
        let db = dir + "/none.sqlite"
        for command in [["verify"], ["list"], ["show", "1"], ["export"]] {
            let r = try ballast(["audit"] + command + ["--audit-db", db])
            #expect(r.status == 1 && r.stderr.contains("\(db): no audit database here"), "\(command): \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: db))
        FileManager.default.createFile(atPath: db, contents: Data())
        let empty = try ballast(["audit", "verify", "--audit-db", db])
        #expect(empty.status == 1 && empty.stderr.contains("the file is empty, not an audit trail"))
    }

    @Test("single-account rebalance records the account by its reference only: no raw id anywhere in the database")
    func noRawAccountId() throws {
        let dir = try folder("raw-id")
        let db = dir + "/audit.sqlite"
        let r = try ballast([
            "rebalance", "--universe", "stocks", "--account", "profiles/stock-accounts/drifted-balanced.json", "--as-of", "2022-12-28",
            "--audit-db", db,
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let account =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: TestSupport.root.appendingPathComponent("profiles/stock-accounts/drifted-balanced.json")))
            as! [String: Any]
        let id = try #require(account["id"] as? String)
        _ = try ballast(["audit", "verify", "--audit-db", db])  // folds the write-ahead log into the file
        let bytes = try Data(contentsOf: URL(fileURLWithPath: db)) + ((try? Data(contentsOf: URL(fileURLWithPath: db + "-wal"))) ?? Data())
        #expect(bytes.range(of: Data(id.utf8)) == nil, "the raw account id \(id) is in the database")
        let exported = try ballast(["audit", "export", "--audit-db", db])
        #expect(exported.stdout.contains("acct-") && !exported.stdout.contains(id))
    }
}
