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

func ballast(_ arguments: [String], environment: [String: String] = [:]) throws -> CLIResult {
    let p = Process()
    p.executableURL = ballastBinary
    p.arguments = arguments
    p.currentDirectoryURL = TestSupport.root
    var env = ProcessInfo.processInfo.environment
    env["NO_COLOR"] = "1"
    env["OPENBLAS_NUM_THREADS"] = "1"
    for (k, v) in environment { env[k] = v }
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

    @Test("help has examples and exit codes; version prints")
    func help() throws {
        let root = try ballast(["--help"])
        #expect(root.status == 0)
        #expect(root.stdout.contains("EXIT CODES"))
        for command in [["risk-model"], ["optimize"], ["frontier"], ["data", "inspect"]] {
            let h = try ballast(command + ["--help"])
            #expect(h.status == 0)
            #expect(h.stdout.contains("EXAMPLES"), "\(command)")
        }
        let v = try ballast(["--version"])
        #expect(v.status == 0)
        #expect(v.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)
    }
}
