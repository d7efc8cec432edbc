import BallastTestSupport
import Foundation
import Testing

/// Runs the built `ballast` binary and captures its output.
struct CLIResult {
    let status: Int32
    let stdout: String
    let stderr: String

    func json() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any])
    }
}

/// The `ballast` executable beside the test bundle in the build folder.
let ballastBinary: URL = {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for dir in [beside, beside.deletingLastPathComponent()] {
        let candidate = dir.appendingPathComponent("ballast")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
    }
    return TestSupport.root.appendingPathComponent(".build/debug/ballast")
}()

/// Runs `binary` (default: the built `ballast`) in `folder` (default: the package root), with
/// the tests' environment and `environment` on top (a `nil` value removes a variable).
func ballast(
    _ arguments: [String], environment: [String: String?] = [:], binary: URL = ballastBinary, in folder: URL = TestSupport.root
) throws -> CLIResult {
    let p = Process()
    p.executableURL = binary
    p.arguments = arguments
    p.currentDirectoryURL = folder
    var env = ProcessInfo.processInfo.environment
    env["NO_COLOR"] = "1"
    env["OPENBLAS_NUM_THREADS"] = "1"
    env["BALLAST_PSEUDONYM_KEY"] = "cli-tests-pseudonym-key-0001"
    env["BALLAST_AUDIT_DB"] = testAuditDatabase
    for (k, v) in environment { env[k] = v ?? nil }
    p.environment = env
    let out = Pipe()
    let err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return CLIResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
}

/// The audit database of this test process (never the repository's default file).
let testAuditDatabase = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-cli-tests-\(getpid())-audit.sqlite").path

func temporaryFile(_ name: String, _ contents: String) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-cli-tests-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let url = dir.appendingPathComponent(name)
    try contents.write(to: url, atomically: true, encoding: .utf8)
    return url.path
}

struct FixtureWindow: Decodable {
    let observations: Int
    let ledoitWolfSingleFactor: [[Double]]
    let ledoitWolfSingleFactorShrinkage: Double
    let capmReturnRf2: [Double]
    let symbols: [String]
}

struct FixtureFile: Decodable { let windows: [FixtureWindow] }

/// Whether pyspark and a Java runtime are installed (for the Spark example).
let sparkAvailable: Bool = {
    func succeeds(_ args: [String]) -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }
    return succeeds(["python3", "-c", "import pyspark"]) && succeeds(["java", "-version"])
}()

@Suite("Spark example")
struct SparkExampleTests {
    @Test(
        "a sharded book piped through ballast comes back with every account exactly once",
        .enabled(if: sparkAvailable, "skipped: needs pyspark (pip install pyspark) and a Java runtime"))
    func spark() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-spark-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let book = dir.appendingPathComponent("book.jsonl").path
        _ = try ballast(["generate-accounts", "--universe", "stocks", "--count", "2000", "--seed", "4", "--broken", "3", "--out", book])
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", TestSupport.path("Examples/spark/rebalance_book.py"), ballastBinary.path, book, "--shards", "4"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(text)")
        #expect(text.contains("every account exactly once"))
    }
}

@Suite("ballast command line, end to end", .serialized)
struct CLITests {
    @Test("risk-model JSON matches the PyPortfolioOpt fixture")
    func riskModelJSON() throws {
        let r = try ballast([
            "risk-model", "--start", "2018-01-01", "--end", "2022-12-28", "--covariance", "ledoit-wolf", "--shrinkage-target",
            "single-factor",
            "--expected-returns", "capm", "--risk-free-rate", "0.02", "--format", "json",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try r.json()
        let ref = try TestSupport.fixture("risk_reference.json", as: FixtureFile.self).windows[0]
        #expect(json["assets"] as? [String] == ref.symbols)
        let window = try #require(json["window"] as? [String: Any])
        #expect(window["observations"] as? Int == ref.observations)
        #expect(window["start"] as? String == "2018-01-03")
        #expect(json["periodsPerYear"] as? Double == 252)
        let cov = try #require(json["covariance"] as? [[Double]])
        #expect(TestSupport.maxStrictRelativeError(cov.flatMap { $0 }, ref.ledoitWolfSingleFactor.flatMap { $0 }) < 1e-10)
        let mu = try #require(json["expectedReturns"] as? [Double])
        #expect(TestSupport.maxStrictRelativeError(mu, ref.capmReturnRf2) < 1e-10)
        let shrinkage = try #require(json["shrinkage"] as? Double)
        #expect(abs(shrinkage - ref.ledoitWolfSingleFactorShrinkage) < 1e-10)
        #expect(json["conditionNumber"] as? Double != nil)
        #expect(json["method"] as? [String: Any] != nil)
    }

    @Test("risk-model table and CSV")
    func riskModelTableAndCSV() throws {
        let t = try ballast(["risk-model", "--start", "2020-01-01", "--covariance", "oas"])
        #expect(t.status == 0)
        #expect(t.stdout.contains("oracle approximating shrinkage"))
        #expect(t.stdout.contains("AAPL"))
        #expect(t.stdout.split(separator: "\n").allSatisfy { $0.count <= 100 }, "tables fit 100 columns")
        let c = try ballast(["risk-model", "--start", "2020-01-01", "--format", "csv", "--symbols", "AAPL", "MSFT", "KO"])
        #expect(c.status == 0)
        let lines = c.stdout.split(separator: "\n")
        #expect(lines.first == "asset,expected_return,volatility,AAPL,MSFT,KO")
        #expect(lines.count == 4)
    }

    @Test("pairwise missing data warns about an indefinite matrix, and --repair fixes it")
    func pairwiseAndRepair() throws {
        let args = ["risk-model", "--prices", "Tests/Fixtures/ragged_prices.csv", "--missing", "pairwise", "--format", "json"]
        let raw = try ballast(args)
        #expect(raw.status == 0)
        #expect(raw.stderr.contains("not positive definite"))
        let rawMethod = try #require(try raw.json()["method"] as? [String: Any])
        #expect(rawMethod["positiveDefinite"] as? Bool == false)
        #expect(try raw.json()["conditionNumber"] is NSNull)
        let fixed = try ballast(args + ["--repair", "higham"])
        #expect(fixed.status == 0)
        #expect(!fixed.stderr.contains("not positive definite"))
        let method = try #require(try fixed.json()["method"] as? [String: Any])
        #expect(method["positiveDefinite"] as? Bool == true)
        #expect(method["repair"] as? [String: Any] != nil)
    }

    @Test("data inspect reports missing values and ranges")
    func inspect() throws {
        let r = try ballast(["data", "inspect", "Tests/Fixtures/ragged_prices.csv", "--format", "json"])
        #expect(r.status == 0)
        let symbols = try #require(try r.json()["symbols"] as? [[String: Any]])
        let jnj = try #require(symbols.first { $0["symbol"] as? String == "JNJ" })
        #expect(jnj["missing"] as? Int == 40)
        #expect(jnj["firstValidDate"] as? String == "2019-11-26")
        let table = try ballast(["data", "inspect", "market-data/factors_etf5.csv"])
        #expect(table.stdout.contains("5 symbols, 2264 rows, 2014-01-02 to 2022-12-28"))
    }

    @Test(
        "bad data exits 1 with file, line, column and a fix",
        arguments: [
            ("date,A\n2020-01-02,1\n2020-01-02,2\n", ":3:1: date 2020-01-02 appears twice"),
            ("date,A,B\n2020-01-02,1,x\n", ":2:3: `x` is not a number"),
            ("", "the file is empty"),
            ("date,A\n2020-01-02,-1\n", "not positive"),
        ])
    func badData(_ input: (String, String)) throws {
        let path = try temporaryFile("bad.csv", input.0)
        for args in [["risk-model", "--prices", path], ["data", "inspect", path]] {
            let r = try ballast(args)
            #expect(r.status == 1)
            #expect(r.stdout.isEmpty)
            #expect(r.stderr.hasPrefix("error: \(path)"), "\(r.stderr)")
            #expect(r.stderr.contains(input.1), "\(r.stderr)")
        }
    }

    @Test("estimation problems exit 1 with a fix")
    func estimationError() throws {
        let r = try ballast([
            "risk-model", "--prices", "Tests/Fixtures/ragged_prices.csv", "--covariance", "ledoit-wolf", "--missing", "pairwise",
        ])
        #expect(r.status == 1)
        #expect(r.stderr.contains("--missing drop-rows"))
        let window = try ballast(["risk-model", "--start", "2030-01-01"])
        #expect(window.status == 1)
        #expect(window.stderr.contains("1990-01-02 to 2022-12-28"))
        let missing = try ballast(["risk-model", "--prices", "no/such/file.csv"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no such file"))
    }

    @Test(
        "usage errors exit 2",
        arguments: [
            ["risk-model", "--covariance", "magic"],
            ["risk-model", "--start", "2020-02-30"],
            ["risk-model", "--start", "2021-01-01", "--end", "2020-01-01"],
            ["risk-model", "--span", "10", "--half-life", "5"],
            ["risk-model", "--risk-free-rate", "2"],
            ["no-such-command"],
        ])
    func usage(_ args: [String]) throws {
        let r = try ballast(args)
        #expect(r.status == 2, "\(args): \(r.stderr)")
        #expect(!r.stderr.isEmpty)
    }

    @Test("optimize JSON matches the cvxpy fixture, and constraint files are read")
    func optimize() throws {
        struct Case: Decodable {
            let name: String
            let weights: [Double]
        }
        struct Reference: Decodable {
            let symbols: [String]
            let cases: [Case]
        }
        let ref = try TestSupport.fixture("optimizer_reference.json", as: Reference.self)
        let base = ["optimize", "--start", "2018-01-01", "--end", "2022-12-28", "--format", "json"]
        let sharpe = try ballast(base + ["--objective", "max-sharpe", "--risk-free-rate", "0.02"])
        #expect(sharpe.status == 0, "\(sharpe.stderr)")
        let json = try sharpe.json()
        #expect(json["status"] as? String == "optimal")
        let weights = try #require(json["weights"] as? [String: Double])
        let expected = try #require(ref.cases.first { $0.name == "max-sharpe rf 2%" })
        for (k, s) in ref.symbols.enumerated() { #expect(abs((weights[s] ?? .nan) - expected.weights[k]) <= 1e-8, "\(s)") }
        let diagnostics = try #require(json["diagnostics"] as? [String: Any])
        #expect((diagnostics["kktResidual"] as? Double ?? 1) <= 1e-10)
        // Groups from a file.
        let groups = try temporaryFile(
            "groups.json",
            #"[{"name": "tech", "members": ["AAPL", "AMD", "MSFT"], "maximum": 0.2}, {"name": "energy", "members": ["CVX", "XOM", "RRC"], "minimum": 0.1}]"#
        )
        let grouped = try ballast(base + ["--objective", "max-utility", "--risk-aversion", "2", "--groups", groups])
        #expect(grouped.status == 0, "\(grouped.stderr)")
        let gw = try #require(try grouped.json()["weights"] as? [String: Double])
        let gref = try #require(ref.cases.first { $0.name == "max-utility with groups" })
        for (k, s) in ref.symbols.enumerated() { #expect(abs((gw[s] ?? .nan) - gref.weights[k]) <= 1e-8, "\(s)") }
        // Per-symbol bounds from a CSV file.
        let bounds = try temporaryFile("bounds.csv", "symbol,lower,upper\nUNH,,0.1\nLLY,,0.1\n")
        let bounded = try ballast(base + ["--objective", "min-volatility", "--bounds", bounds])
        #expect(bounded.status == 0, "\(bounded.stderr)")
        let table = try ballast([
            "optimize", "--start", "2018-01-01", "--objective", "efficient-risk", "--target-volatility", "0.15", "--cash",
        ])
        #expect(table.status == 0)
        #expect(table.stdout.contains("CASH"))
        #expect(table.stdout.contains("polished"))
    }

    @Test("optimize errors: infeasible constraints exit 1 with a fix, missing targets exit 2")
    func optimizeErrors() throws {
        let infeasible = try ballast(["optimize", "--weight-bounds", "0.1,0.2"])
        #expect(infeasible.status == 1)
        #expect(infeasible.stderr.contains("lower bounds sum to 2"))
        let range = try ballast(["optimize", "--objective", "efficient-return", "--target-return", "0.9"])
        #expect(range.status == 1)
        #expect(range.stderr.contains("choose a target between"))
        let missing = try ballast(["optimize", "--objective", "efficient-risk"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("--target-volatility"))
        let badGroups = try temporaryFile("bad-groups.json", #"[{"name": "x", "members": "AAPL"}]"#)
        let groups = try ballast(["optimize", "--groups", badGroups])
        #expect(groups.status == 1)
        #expect(groups.stderr.contains("[0].members"))
    }

    @Test("frontier: exact turning points as JSON, sampled points, and an SVG chart")
    func frontier() throws {
        let exact = try ballast(["frontier", "--exact", "--start", "2018-01-01", "--end", "2022-12-28", "--format", "json"])
        #expect(exact.status == 0, "\(exact.stderr)")
        let points = try #require(try exact.json()["points"] as? [[String: Any]])
        #expect(points.count >= 10)
        let returns = points.compactMap { $0["expectedReturn"] as? Double }
        #expect(returns == returns.sorted())
        #expect((points.first?["weights"] as? [String: Double])?.count == 20)
        let sampled = try ballast(["frontier", "--points", "7", "--start", "2018-01-01", "--format", "json", "--weight-bounds", "0,0.3"])
        #expect(sampled.status == 0)
        #expect((try sampled.json()["points"] as? [[String: Any]])?.count == 7)
        let svgPath = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-frontier-\(getpid()).svg").path
        let chart = try ballast(["frontier", "--exact", "--start", "2018-01-01", "--svg", svgPath])
        #expect(chart.status == 0)
        let svg = try String(contentsOfFile: svgPath, encoding: .utf8)
        #expect(svg.hasPrefix("<svg"))
        #expect(svg.contains("maximum Sharpe") && svg.contains("minimum volatility") && svg.contains(">AAPL<"))
        #expect(chart.stdout.contains("turning points"))
        let both = try ballast(["frontier", "--exact", "--points", "5"])
        #expect(both.status == 2)
    }

    @Test("optimize --allocate gives whole shares within the amount")
    func allocate() throws {
        let r = try ballast([
            "optimize", "--start", "2018-01-01", "--objective", "min-volatility", "--allocate", "50000", "--format", "json",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let allocation = try #require(try r.json()["allocation"] as? [String: Any])
        let quantities = try #require(allocation["quantities"] as? [String: Double])
        #expect(!quantities.isEmpty)
        for (_, q) in quantities { #expect(q == q.rounded()) }
        let leftover = try #require(allocation["leftover"] as? Double)
        #expect(leftover >= 0 && leftover < 50000)
    }

    @Test("profile: JSON with a pseudonym, and no raw personal value in any output")
    func profileAndPrivacy() throws {
        let dir = TestSupport.path("profiles/customers")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".json") }.sorted()
        for f in files {
            let path = "profiles/customers/" + f
            let raw = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/" + f))) as! [String: Any]
            let personal = (raw["personal"] as? [String: String] ?? [:]).values.filter { $0.count >= 2 }
            let id = raw["id"] as! String
            for format in ["json", "table"] {
                let r = try ballast(["profile", path, "--format", format])
                #expect(r.status == 0 || f == "c1-asks-for-r4.json", "\(f): \(r.stderr)")
                for value in personal + [id] {
                    #expect(!r.stdout.contains(value) && !r.stderr.contains(value), "\(f) leaks \(value)")
                }
            }
        }
        let json = try ballast(["profile", "profiles/customers/panic-seller.json", "--format", "json"]).json()
        #expect(json["label"] as? String == "C3")
        #expect((json["customerRef"] as? String)?.hasPrefix("cust-") == true)
        #expect((json["flags"] as? [String])?.contains("panic-selling") == true)
        let scores = try #require(json["scores"] as? [String: Double])
        #expect(scores["willingness"] != nil && scores["capacity"] != nil && scores["consistency"] != nil)
        let parameters = try #require(json["parameters"] as? [String: Any])
        #expect(parameters["maxProductRating"] as? String == "R3")
        #expect(json["reassessBy"] as? String == "2010-06-30", "three months after the universe's last date, 2010-03-31")
        #expect((json["explanation"] as? [[String: Any]])?.isEmpty == false)
    }

    @Test("suitability: C1 asking for an R4 product is refused even with the acknowledgement")
    func suitability() throws {
        let refused = try ballast([
            "profile", "profiles/customers/c1-asks-for-r4.json", "--acknowledge-risk-warning",
        ])
        #expect(refused.status == 1)
        #expect(refused.stdout.contains("NOT suitable"))
        #expect(refused.stderr.contains("Risk warning"))
    }

    @Test("profile reports every problem of a bad customer file with its path")
    func badCustomer() throws {
        let path = try temporaryFile(
            "bad-customer.json", #"{"id": "X", "answers": {"q1": "z", "q99": "a"}, "cash": -3, "holdings": {"NOPE": 1}}"#)
        let r = try ballast(["profile", path, "--as-of", "2022-12-28"])
        #expect(r.status == 1)
        for p in ["answers.q1", "answers.q99", "answers.q2", "cash", "holdings.NOPE"] { #expect(r.stderr.contains(p), "\(p)") }
    }

    @Test("models: the menu in force, one entry per level with the caller's fields, risk rising from C1 to C5")
    func menu() throws {
        let r = try ballast(["models", "--format", "json", "--no-resampling"])
        #expect(r.status == 0, "\(r.stderr)")
        let list = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        #expect(list.map { $0["label"] as? String } == ["C1", "C2", "C3", "C4", "C5"])
        var previous = -1.0
        for m in list {
            for key in ["level", "weights", "assetClassWeights", "expectedReturn", "volatility", "volatilityCap", "assumptionsVersion"] {
                #expect(m[key] != nil, "\(key)")
            }
            let weights = try #require(m["weights"] as? [String: Double])
            #expect(abs(weights.values.reduce(0, +) - 1) < 1e-12)
            #expect(weights.values.allSatisfy { $0 >= 0.02 - 1e-12 && $0 <= 0.5 + 1e-12 }, "\(weights)")
            let vol = m["volatility"] as! Double
            #expect(vol <= (m["volatilityCap"] as! Double) + 1e-9 && vol >= previous - 1e-9)
            previous = vol
        }
        let c1 = try #require(list.first?["assetClassWeights"] as? [String: Double])
        #expect((c1["cash"] ?? 0) > 0 && (c1["government-bonds"] ?? 0) > 0, "C1 holds short bonds and cash: \(c1)")
        #expect(r.stdout.contains("\"assumptionsVersion\" : \"2026.12-1@2010-01-31\""), "the review in force on 2010-03-31")
    }

    @Test("models levels: every stock level, nested and monotone")
    func models() throws {
        let r = try ballast(["models", "levels", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let list = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        #expect(list.count == 5)
        var previous = (ret: -1.0, vol: -1.0)
        for m in list {
            let ret = m["expectedReturn"] as! Double
            let vol = m["volatility"] as! Double
            #expect(ret >= previous.ret - 1e-9 && vol >= previous.vol - 1e-9)
            #expect(vol <= (m["volatilityCap"] as! Double) + 1e-9)
            #expect((m["suitability"] as? [String: Any])?["passed"] as? Bool == true)
            previous = (ret, vol)
        }
        let c1 = try #require(list.first?["weights"] as? [String: Double])
        #expect(abs((c1["CASH"] ?? 0) - 1) < 1e-9, "C1 holds only R1 products: cash")
    }

    @Test("questionnaire: answers from the command line or from a terminal become a customer file")
    func questionnaireCommand() throws {
        let answers = "q1=b,q2=a,q3=c,q4=c,q5=b,q6=c,q7=b,q8=d,q9=c,q10=c,q11=c,q12=c,q13=b"
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-q-\(getpid()).json").path
        try? FileManager.default.removeItem(atPath: out)
        let r = try ballast(["questionnaire", "--id", "CUST-9", "--answers", answers, "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        let mode = (try FileManager.default.attributesOfItem(atPath: out)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o600)
        let profiled = try ballast(["profile", out, "--as-of", "2022-12-28", "--format", "json"])
        #expect(profiled.status == 0)
        let bad = try ballast(["questionnaire", "--id", "CUST-9", "--answers", "q1=z,q2=a"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("answers.q1") && bad.stderr.contains("answers.q3"))
        // Interactive: typed answers on standard input, one wrong answer retried.
        let p = Process()
        p.executableURL = ballastBinary
        p.arguments = ["questionnaire", "--id", "CUST-10", "--locale", "zh-Hans"]
        p.currentDirectoryURL = TestSupport.root
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        p.standardInput = input
        p.standardOutput = output
        p.standardError = errors
        try p.run()
        // A wrong letter, q1, back, q1 again in full width, q2-q13, q14 skipped, no amount, then from the review
        // q2 changed to b, and saved.
        input.fileHandleForWriting.write(Data("x\nb\n<\nＢ\na\nc\nc\nb\nc\nb\nd\nc\nc\nc\nc\nb\n\n\n2\nb\n\n".utf8))
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let prompts = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(prompts)")
        #expect(prompts.contains("您面临以下选择"))
        #expect(prompts.contains("第 1 题，共 14 题") && prompts.contains("不是选项") && prompts.contains("请核对您的答案"))
        #expect(text.contains("\"q1\" : \"b\"") && text.contains("\"q2\" : \"b\"") && text.contains("\"q13\" : \"b\""))
        #expect(!text.contains("\"q14\""))
    }

    @Test("rebalance: a plan for one account, money conserved to the cent")
    func rebalance() throws {
        let r = try ballast([
            "rebalance", "--universe", "stocks", "--account", "profiles/stock-accounts/drifted-balanced.json", "--as-of", "2022-12-28",
            "--format", "json", "--cost-bps",
            "10",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        let plan = try r.json()
        #expect(plan["status"] as? String == "rebalanced")
        let trades = try #require(plan["trades"] as? [[String: Any]])
        #expect(!trades.isEmpty)
        func cents(_ x: Any?) -> Int64 { Int64(((x as? Double ?? 0) * 100).rounded()) }
        var cash = cents(plan["cashBefore"]) + 500_000
        var sawBuy = false
        for t in trades {
            let side = t["side"] as! String
            if side == "buy" { sawBuy = true } else { #expect(!sawBuy, "sells first") }
            cash += (side == "sell" ? 1 : -1) * cents(t["value"]) - cents(t["cost"])
        }
        #expect(cash == cents(plan["cashAfter"]))
        #expect((plan["driftAfter"] as! Double) < (plan["driftBefore"] as! Double))
        let table = try ballast([
            "rebalance", "--universe", "stocks", "--account", "profiles/stock-accounts/drifted-balanced.json", "--as-of", "2022-12-28",
        ])
        #expect(table.stdout.contains("Trades (sells first)"))
        let missing = try ballast(["rebalance", "--universe", "stocks", "--account", "no-such-account.json"])
        #expect(missing.status == 1)
        let badPolicy = try ballast([
            "rebalance", "--universe", "stocks", "--account", "profiles/stock-accounts/drifted-balanced.json", "--band=-1",
        ])
        #expect(badPolicy.status == 2, "a bad flag is a usage error")
        #expect(badPolicy.stderr.contains("--band"))
    }

    @Test("batch rebalance: ordered JSON Lines, error records, and exactly-once output after kill -9 and --resume")
    func batchCrashAndResume() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-batch-\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let book = dir.appendingPathComponent("book.jsonl").path
        let gen = try ballast([
            "generate-accounts", "--universe", "stocks", "--count", "12000", "--seed", "11", "--broken", "4", "--out", book,
        ])
        #expect(gen.status == 0)
        // Uninterrupted reference run.
        let reference = dir.appendingPathComponent("reference.jsonl").path
        let full = try ballast([
            "rebalance", "--universe", "stocks", "--accounts", book, "--out", reference, "--as-of", "2022-12-28", "--jobs", "2",
        ])
        #expect(full.status == 1, "some lines are broken on purpose")
        #expect(full.stderr.contains("12000 accounts") && full.stderr.contains("4 errors"))
        let referenceText = try String(contentsOfFile: reference, encoding: .utf8)
        let lines = referenceText.split(separator: "\n")
        #expect(lines.count == 12000)
        #expect(
            lines[0].contains("ACC-00000001") && lines[11998].contains("ACC-00011999") && lines[11999].contains("\"line\":12000"),
            "output in input order")
        // Interrupted run, made deterministic: the book arrives through a pipe that the test
        // holds open after the first 6,000 lines, so the process is certainly mid-run when it
        // is killed with SIGKILL once a checkpoint exists. --resume then reads the whole file.
        let out = dir.appendingPathComponent("plans.jsonl").path
        let p = Process()
        p.executableURL = ballastBinary
        let crashAudit = dir.appendingPathComponent("audit.sqlite").path
        p.arguments = [
            "rebalance", "--universe", "stocks", "--accounts", "-", "--out", out, "--as-of", "2022-12-28", "--jobs", "2", "--quiet",
            "--audit-db", crashAudit,
        ]
        p.currentDirectoryURL = TestSupport.root
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_NUM_THREADS"] = "1"
        p.environment = env
        let feed = Pipe()
        p.standardInput = feed
        try p.run()
        let firstPart = 6_000
        let bookLines = try String(contentsOfFile: book, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        feed.fileHandleForWriting.write(Data((bookLines.prefix(firstPart).joined(separator: "\n") + "\n").utf8))
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: out + ".checkpoint") && p.isRunning && Date() < deadline { usleep(2000) }
        #expect(p.isRunning, "the run waits for the rest of its input")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal)
        #expect(FileManager.default.fileExists(atPath: out + ".checkpoint"))
        // A torn output (as after a machine crash without --fsync) is refused, not silently extended.
        let torn = dir.appendingPathComponent("torn.jsonl").path
        try FileManager.default.copyItem(atPath: out, toPath: torn)
        try FileManager.default.copyItem(atPath: out + ".checkpoint", toPath: torn + ".checkpoint")
        let tornHandle = try #require(FileHandle(forUpdatingAtPath: torn))
        try tornHandle.truncate(atOffset: try tornHandle.seekToEnd() / 2)
        try tornHandle.close()
        let refused = try ballast([
            "rebalance", "--universe", "stocks", "--accounts", book, "--out", torn, "--as-of", "2022-12-28", "--resume", "--no-audit",
        ])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("does not hold what the checkpoint recorded"))
        let resumed = try ballast([
            "rebalance", "--universe", "stocks", "--accounts", book, "--out", out, "--as-of", "2022-12-28", "--jobs", "2", "--resume",
            "--audit-db", crashAudit,
        ])
        #expect(resumed.status == 1)
        #expect(resumed.stderr.contains("12000 accounts") && resumed.stderr.contains("4 errors"), "counts carry over the restart")
        let text = try String(contentsOfFile: out, encoding: .utf8)
        #expect(text == referenceText, "the resumed output must equal the uninterrupted one, every account exactly once")
        #expect(FileManager.default.fileExists(atPath: out + ".checkpoint"), "kept, marked finished")
        // Resuming the finished run again changes nothing and records nothing.
        let again = try ballast([
            "rebalance", "--universe", "stocks", "--accounts", book, "--out", out, "--as-of", "2022-12-28", "--jobs", "2", "--resume",
            "--audit-db", crashAudit,
        ])
        #expect(again.status == 1 && again.stderr.contains("12000 accounts"))
        #expect(try String(contentsOfFile: out, encoding: .utf8) == referenceText)
        // The audit trail of the killed and resumed run: intact, one record per account line.
        let exported = try ballast(["audit", "export", "--format", "jsonl", "--audit-db", crashAudit])
        let records = exported.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let lineNumbers = records.filter { $0["block"] != nil }.compactMap { $0["line"] as? Int }
        #expect(
            lineNumbers.count == 12000 && Set(lineNumbers).count == 12000,
            "every account recorded exactly once: \(lineNumbers.count), \(Set(lineNumbers).count)")
        let verified = try ballast(["audit", "verify", "--audit-db", crashAudit])
        #expect(verified.status == 0 && verified.stdout.contains("chain intact"), "\(verified.stdout)")
        // --fsync gives the same output.
        let durable = dir.appendingPathComponent("durable.jsonl").path
        let synced = try ballast([
            "rebalance", "--universe", "stocks", "--accounts", book, "--out", durable, "--as-of", "2022-12-28", "--fsync", "--quiet",
        ])
        #expect(synced.status == 1)
        #expect(try String(contentsOfFile: durable, encoding: .utf8) == referenceText)
        // As a pipe stage.
        let small = dir.appendingPathComponent("small.jsonl").path
        _ = try ballast(["generate-accounts", "--universe", "stocks", "--count", "50", "--seed", "2", "--out", small])
        let piped = Process()
        piped.executableURL = ballastBinary
        let pipeAudit = dir.appendingPathComponent("pipe-audit.sqlite").path
        piped.arguments = [
            "rebalance", "--universe", "stocks", "--accounts", "-", "--out", "-", "--as-of", "2022-12-28", "--quiet", "--audit-db",
            pipeAudit,
        ]
        piped.currentDirectoryURL = TestSupport.root
        piped.standardInput = FileHandle(forReadingAtPath: small)
        let pipe = Pipe()
        piped.standardOutput = pipe
        try piped.run()
        let pipedText = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        piped.waitUntilExit()
        #expect(piped.terminationStatus == 0)
        #expect(pipedText.split(separator: "\n").count == 50)
        let pipeVerified = try ballast(["audit", "verify", "--audit-db", pipeAudit, "--format", "json"])
        let pipeRecords = try JSONSerialization.jsonObject(with: Data(pipeVerified.stdout.utf8)) as? [String: Any]
        #expect(
            pipeRecords?["intact"] as? Bool == true && pipeRecords?["records"] as? Int == 52,
            "a run record, a block record and one row per account")
    }

    @Test("help has examples and exit codes; version prints")
    func help() throws {
        let root = try ballast(["--help"])
        #expect(root.status == 0)
        #expect(root.stdout.contains("EXIT CODES"))
        // Each section of Help.md is the long help of its command: its first paragraph is shown (re-wrapped) by --help.
        let manual = try String(contentsOf: TestSupport.root.appendingPathComponent("Sources/BallastCLI/Help.md"), encoding: .utf8)
        let sections = manual.components(separatedBy: "\n# ").dropFirst().map { $0.split(separator: "\n", maxSplits: 1).map(String.init) }
        func words(_ text: String) -> String { text.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        var documented: Set<String> = []
        for section in sections where section.count == 2 && section[0] != "ballast" {
            let command = section[0].split(separator: " ").map(String.init)
            let first = section[1].trimmingCharacters(in: .newlines).split(separator: "\n").first.map(String.init) ?? ""
            let h = try ballast(command + ["--help"])
            #expect(h.status == 0, "\(command)")
            #expect(words(h.stdout).contains(words(first)), "\(command): its Help.md section is not its help")
            documented.insert(section[0])
        }
        for command in [
            "recommend", "profile", "models", "models build", "models validate", "models levels", "questionnaire", "rebalance", "monitor",
            "risk-model", "optimize", "frontier", "backtest", "generate-accounts", "data inspect", "data bond-returns", "audit",
            "audit verify", "assumptions build",
        ] {
            #expect(documented.contains(command), "\(command) has no section in Help.md")
            let h = try ballast(command.split(separator: " ").map(String.init) + ["--help"])
            #expect(h.stdout.contains("EXAMPLES"), "\(command)")
        }
        let v = try ballast(["--version"])
        #expect(v.status == 0)
        #expect(v.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)
    }

    @Test("every command's output fits 100 columns and carries no colour codes when redirected, even without NO_COLOR")
    func layout() throws {
        let commands = [
            ["profile", "profiles/customers/panic-seller.json"], ["models", "--no-resampling"],
            ["rebalance", "--universe", "stocks", "--account", "profiles/stock-accounts/drifted-balanced.json", "--as-of", "2022-12-28"],
            ["risk-model", "--start", "2013-01-01"], ["optimize", "--start", "2018-01-01", "--objective", "max-sharpe"],
            ["frontier", "--start", "2018-01-01", "--exact"], ["backtest", "--strategy", "equal-weight", "--start", "2016-01-01"],
            ["data", "inspect", "market-data/factors_etf5.csv"], ["risk-model", "--start", "2030-01-01"],
        ]
        for c in commands {
            let r = try ballast(c, environment: ["NO_COLOR": ""])
            #expect(r.stdout.split(separator: "\n").allSatisfy { $0.count <= 100 }, "\(c)")
            #expect(!r.stdout.contains("\u{1B}") && !r.stderr.contains("\u{1B}"), "\(c)")
        }
    }

    @Test(
        "on a terminal the error prefix is coloured, unless NO_COLOR is set",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs util-linux script(1) for a pseudo-terminal"))
    func colourOnTerminal() throws {
        for noColor in [false, true] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/script")
            p.arguments = ["-qec", "\(ballastBinary.path) risk-model --start 2030-01-01", "/dev/null"]
            p.currentDirectoryURL = TestSupport.root
            var env = ProcessInfo.processInfo.environment
            env["NO_COLOR"] = noColor ? "1" : nil
            env["TERM"] = "xterm"
            p.environment = env
            let out = Pipe()
            p.standardOutput = out
            try p.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(text.contains("error:"))
            #expect(text.contains("\u{1B}[1;31merror:") == !noColor, "NO_COLOR=\(noColor): \(text.debugDescription)")
        }
    }

    @Test("shell completion scripts")
    func completions() throws {
        for shell in ["bash", "zsh", "fish"] {
            let r = try ballast(["--generate-completion-script", shell])
            #expect(r.status == 0 && r.stdout.contains("recommend") && r.stdout.contains("backtest"), "\(shell)")
        }
    }
}
