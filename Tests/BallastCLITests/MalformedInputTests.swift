import BallastTestSupport
import Foundation
import Testing

/// The committed corpus of malformed inputs (Tests/Fixtures/malformed): each gives a clear
/// message and a documented exit code; never a crash, a hang or a NaN in an output.
@Suite("Malformed input corpus")
struct MalformedInputTests {
    static let dir = "Tests/Fixtures/malformed/"

    @Test(
        "price files",
        arguments: [
            ("binary.csv", "the first header field must be `date`"), ("truncated-row.csv", "fields but the header has"),
            ("huge-number.csv", "overflows a double"), ("tiny-number.csv", "is not positive"), ("nan.csv", "`NaN` is not a price"),
            ("inf.csv", "`Inf` is not a price"), ("zero-price.csv", "is not positive"), ("negative-price.csv", "is not positive"),
            ("duplicate-date.csv", "appears twice"), ("duplicate-symbol.csv", "appears twice"), ("empty.csv", "the file is empty"),
            ("header-only.csv", "header but no rows"),
        ])
    func prices(_ file: String, _ message: String) throws {
        let r = try ballast(["risk-model", "--prices", Self.dir + file])
        #expect(r.status == 1, "\(file): \(r.stderr)")
        #expect(r.stderr.contains("error: " + Self.dir + file) && r.stderr.contains(message), "\(file): \(r.stderr)")
    }

    @Test("a BOM and CRLF line ends are accepted")
    func bomAndCRLF() throws {
        let r = try ballast(["data", "inspect", Self.dir + "bom-crlf.csv"])
        #expect(r.status == 0 && r.stdout.contains("2 symbols, 3 rows"), "\(r.stdout)\(r.stderr)")
    }

    @Test("10,000 columns are read, and a few of them selected for a risk model")
    func wide() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-wide-\(getpid()).csv").path
        var text = "date," + (0..<10_000).map { "S\($0)" }.joined(separator: ",") + "\n"
        for d in 1...5 { text += "2022-01-0\(d)," + (0..<10_000).map { String(10 + ($0 + d) % 7) }.joined(separator: ",") + "\n" }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let inspect = try ballast(["data", "inspect", path, "--format", "json"])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        let r = try ballast(["risk-model", "--prices", path, "--symbols", "S0", "S9999", "S5000", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("S9999") && !r.stdout.lowercased().contains("nan"))
    }

    @Test(
        "customer files",
        arguments: [
            ("empty.json", "the file is empty"), ("truncated.json", "not valid JSON"), ("binary.json", "not valid JSON"),
            ("deeply-nested.json", "Too many nested"), ("wrong-types.json", "must be an option id"),
            ("unknown-fields.json", "unknown field"),
            ("huge-numbers.json", "beyond the amounts"), ("nan-cash.json", "not valid JSON"), ("policy-wrong-types.json", "unknown field"),
        ])
    func customers(_ file: String, _ message: String) throws {
        for command in [["profile"], ["recommend"]] {
            let r = try ballast(command + [Self.dir + file, "--no-audit"])
            #expect(r.status == 1, "\(command) \(file): \(r.stderr)")
            #expect(r.stderr.contains(message), "\(command) \(file): \(r.stderr)")
            #expect(!r.stderr.contains("internal error"))
        }
    }

    @Test("a book of bad account lines: one error record each, the good ones planned, no NaN")
    func accounts() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-malformed-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let out = dir.appendingPathComponent("plans.jsonl").path
        let errors = dir.appendingPathComponent("errors.jsonl").path
        let r = try ballast([
            "rebalance", "--universe", "stocks", "--accounts", Self.dir + "accounts.jsonl", "--out", out, "--errors", errors, "--as-of",
            "2022-12-28", "--no-audit",
        ])
        #expect(r.status == 1, "\(r.stderr)")
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        let input = try String(contentsOfFile: TestSupport.path(Self.dir + "accounts.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == input.count, "one output line per input line")
        let errorLines = try String(contentsOfFile: errors, encoding: .utf8).split(separator: "\n")
        // A-11 has an unknown field, A-12 sub-cent cash and a fractional share: only A-13 is good.
        #expect(errorLines.count == input.count - 1, "all but the one good line are errors")
        for e in errorLines {
            let o = try JSONSerialization.jsonObject(with: Data(e.utf8)) as! [String: Any]
            #expect(o["line"] is Int && (o["error"] as? String)?.isEmpty == false)
        }
        #expect(!lines.joined().lowercased().contains("nan") && !lines.joined().contains("inf"))
    }

    @Test("policy files", arguments: [("policy-wrong-types.json", "trigger"), ("policy-negative.json", "absoluteBand")])
    func policies(_ file: String, _ message: String) throws {
        let r = try ballast([
            "rebalance", "--universe", "stocks", "--account", "profiles/stock-accounts/drifted-balanced.json", "--policy", Self.dir + file,
            "--no-audit",
        ])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains(message), "\(r.stderr)")
    }
}
