import BallastTestSupport
import Foundation
import Testing

/// The binary runs from anywhere: copied into an empty folder and run there, every command's
/// main example finds the bundled data.
@Suite("A binary that runs from anywhere")
struct AnywhereCLITests {
    static func run(_ binary: String, _ arguments: [String], in folder: String, environment: [String: String] = [:]) throws -> CLIResult {
        var env: [String: String?] = ["BALLAST_AUDIT_DB": folder + "/audit.sqlite", "BALLAST_DATA_DIR": nil]
        for (k, v) in environment { env[k] = v }
        return try ballast(arguments, environment: env, binary: URL(fileURLWithPath: binary), in: URL(fileURLWithPath: folder))
    }

    // The model menu's examples run plain mean-variance: the resampled menu is the same code
    // with more draws, too slow for a debug build.
    static let examples: [[String]] = [
        ["recommend", "profiles/customers/balanced-saver.json", "--no-resampling"], ["profile", "profiles/customers/balanced-saver.json"],
        ["models", "--no-resampling"], ["rebalance", "--account", "profiles/accounts/drifted-balanced.json", "--no-resampling"],
        ["recommend", "profiles/stock-customers/balanced-saver.json", "--universe", "stocks"], ["risk-model", "--start", "2018-01-01"],
        ["optimize", "--start", "2018-01-01", "--objective", "max-sharpe"], ["frontier", "--exact", "--start", "2018-01-01"],
        ["backtest", "--strategy", "level:3", "--no-resampling"], ["data", "inspect", "market-data/sp500_20.csv"],
        ["questionnaire", "--id", "P-1", "--answers", "q1=b,q2=a,q3=c,q4=c,q5=b,q6=c,q7=b,q8=d,q9=c,q10=c,q11=c,q12=c,q13=b"],
        ["generate-accounts", "--count", "5", "--seed", "1", "--no-resampling"],
    ]

    @Test("copied into an empty folder, every command's main example runs there")
    func copiedBinary() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-anywhere-\(getpid())").path
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let copy = folder + "/ballast"
        try FileManager.default.copyItem(atPath: ballastBinary.path, toPath: copy)
        for example in Self.examples {
            let r = try Self.run(copy, example, in: folder)
            #expect(r.status == 0, "\(example.joined(separator: " ")): \(r.stderr)")
            #expect(!r.stdout.isEmpty, "\(example.joined(separator: " "))")
        }
    }

    @Test("BALLAST_DATA_DIR and --data-dir name the data; a folder without it is refused with the fix")
    func namedData() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-data-\(getpid())").path
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder + "/data", withIntermediateDirectories: true)
        for sub in ["market-data", "profiles"] {
            try FileManager.default.copyItem(atPath: TestSupport.path(sub), toPath: folder + "/data/" + sub)
        }
        let viaEnv = try Self.run(
            ballastBinary.path, ["models", "levels", "--format", "json"], in: folder, environment: ["BALLAST_DATA_DIR": folder + "/data"])
        #expect(viaEnv.status == 0, "\(viaEnv.stderr)")
        let viaFlag = try Self.run(ballastBinary.path, ["models", "levels", "--data-dir", folder + "/data"], in: folder)
        #expect(viaFlag.status == 0, "\(viaFlag.stderr)")
        let wrong = try Self.run(ballastBinary.path, ["models", "--data-dir", folder], in: folder)
        #expect(wrong.status == 2 && wrong.stderr.contains("does not hold Ballast's data"), "\(wrong.stderr)")
        let wrongEnv = try Self.run(ballastBinary.path, ["models"], in: folder, environment: ["BALLAST_DATA_DIR": folder])
        #expect(wrongEnv.status == 1 && wrongEnv.stderr.contains("BALLAST_DATA_DIR"), "\(wrongEnv.stderr)")
    }
}
