import BallastTestSupport
import Foundation
import Testing

@Suite("Personal data never leaves the customer file")
struct PrivacyCLITests {
    @Test(
        "every command on every sample customer: no raw name, ID number, phone, e-mail, address or id in any output, report or audit record"
    )
    func noLeaks() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-privacy-\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let audit = dir.appendingPathComponent("audit.sqlite").path
        let customers = try FileManager.default.contentsOfDirectory(atPath: TestSupport.path("profiles/stock-customers")).filter {
            $0.hasSuffix(".json")
        }
        var secrets: [String] = []
        var texts: [String] = []
        for name in customers.sorted() {
            let path = "profiles/stock-customers/" + name
            let data =
                try JSONSerialization.jsonObject(with: try Data(contentsOf: TestSupport.root.appendingPathComponent(path)))
                as! [String: Any]
            secrets += (data["personal"] as? [String: String] ?? [:]).values.filter { $0.count >= 4 }
            secrets.append(data["id"] as! String)
            let report = dir.appendingPathComponent(name + ".html").path
            for args in [
                ["profile", path, "--as-of", "2022-12-28", "--universe", "stocks"],
                ["profile", path, "--as-of", "2022-12-28", "--universe", "stocks", "--format", "json"],
                ["recommend", path, "--years", "2", "--report", report, "--universe", "stocks"],
                ["recommend", path, "--years", "2", "--format", "json", "--universe", "stocks"],
            ] {
                let r = try ballast(args + ["--audit-db", audit])
                texts += [r.stdout, r.stderr]
            }
            if let html = try? String(contentsOfFile: report, encoding: .utf8) { texts.append(html) }
        }
        let exported = try ballast(["audit", "export", "--audit-db", audit])
        #expect(exported.status == 0)
        #expect(exported.stdout.split(separator: "\n").count >= 4 * customers.count - 1, "the runs were recorded")
        texts.append(exported.stdout)
        // The database file itself, byte for byte (records, indexes, free pages).
        for suffix in ["", "-wal"] {
            if let bytes = FileManager.default.contents(atPath: audit + suffix) { texts.append(String(decoding: bytes, as: UTF8.self)) }
        }
        #expect(secrets.count > customers.count, "the samples carry personal data")
        for secret in secrets {
            for t in texts { #expect(!t.contains(secret), "\(secret) leaked") }
        }
        let mode = (try FileManager.default.attributesOfItem(atPath: audit)[.posixPermissions] as! NSNumber).intValue
        #expect(mode & 0o077 == 0, "the audit database is readable by its owner only")
    }
}
