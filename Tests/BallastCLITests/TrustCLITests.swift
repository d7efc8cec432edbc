import BallastTestSupport
import Foundation
import Testing

/// Results a professional can trust: each test names a wrong, misleading or silently
/// accepted result and fails if it comes back.
@Suite("Results a professional can trust")
struct TrustCLITests {
    /// The bundled stock prices with one AAPL price replaced (row 7600 is 2020-03-02).
    static func corruptedPrices(_ value: String, name: String) throws -> String {
        var lines = try String(contentsOfFile: TestSupport.path("market-data/sp500_20.csv"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var fields = lines[7600].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        #expect(fields[0] == "2020-03-02")
        fields[1] = value
        lines[7600] = fields.joined(separator: ",")
        return try temporaryFile(name, lines.joined(separator: "\n"))
    }

    @Test("the stated risk-free rate is used and echoed by every objective")
    func riskFreeRate() throws {
        for objective in ["min-volatility", "max-utility", "max-sharpe"] {
            let r = try ballast(["optimize", "--objective", objective, "--risk-free-rate", "0.05", "--format", "json"])
            #expect(r.status == 0, "\(r.stderr)")
            let j = try r.json()
            let rf = try #require(j["riskFreeRate"] as? Double)
            #expect(rf == 0.05, "\(objective)")
            let ret = try #require(j["expectedReturn"] as? Double)
            let vol = try #require(j["volatility"] as? Double)
            let sharpe = try #require(j["sharpeRatio"] as? Double)
            #expect(abs(sharpe - (ret - 0.05) / vol) < 1e-12, "\(objective)")
        }
        let table = try ballast(["optimize", "--objective", "min-volatility", "--risk-free-rate", "0.05"])
        #expect(table.stdout.contains("risk-free rate 5.00%"))
    }

    @Test("an all-cash back-test has no Sharpe ratio: null in JSON, n/a in the table, never a 15-digit number")
    func undefinedSharpeOfCash() throws {
        let json = try ballast([
            "recommend", "profiles/stock-customers/conservative-retiree.json", "--universe", "stocks", "--format", "json", "--no-audit",
        ])
        #expect(json.status == 0, "\(json.stderr)")
        let backtest = try #require(try json.json()["backtest"] as? [String: Any])
        let metrics = try #require(backtest["metrics"] as? [String: Any])
        #expect(metrics.keys.contains("sharpeRatio") && metrics["sharpeRatio"] is NSNull, "\(String(describing: metrics["sharpeRatio"]))")
        #expect((metrics["undefined"] as? [String: String])?["sharpeRatio"] != nil)
        let table = try ballast(["recommend", "profiles/stock-customers/conservative-retiree.json", "--universe", "stocks", "--no-audit"])
        let modelRow = try #require(table.stdout.split(separator: "\n").first { $0.hasPrefix("model ") })
        #expect(modelRow.contains("n/a"), "\(modelRow)")
        #expect(!table.stdout.contains("e+") && !modelRow.contains("-227"), "\(modelRow)")
        #expect(table.stdout.contains("risk-free rate of 2.00%"))
    }

    @Test("back-test and recommendation share one risk-free rate, stated in the output")
    func oneRiskFreeRate() throws {
        let bt = try ballast([
            "backtest", "--strategy", "level:3", "--universe", "stocks", "--start", "2018-01-01", "--format", "json", "--no-audit",
        ])
        #expect(bt.status == 0, "\(bt.stderr)")
        let conventions = try #require(try bt.json()["conventions"] as? [String: Any])
        let rec = try ballast([
            "recommend", "profiles/stock-customers/balanced-saver.json", "--universe", "stocks", "--format", "json", "--no-audit",
        ])
        let recConventions = try #require((try rec.json()["backtest"] as? [String: Any])?["conventions"] as? [String: Any])
        #expect(conventions["annualRiskFreeRate"] as? Double == 0.02)
        #expect(recConventions["annualRiskFreeRate"] as? Double == conventions["annualRiskFreeRate"] as? Double)
        let table = try ballast(["backtest", "--strategy", "level:3", "--universe", "stocks", "--start", "2018-01-01", "--no-audit"])
        #expect(table.stdout.contains("Risk-free rate 2.00% a year"))
    }

    @Test("under a year of history nothing is annualised")
    func shortSamples() throws {
        let two = try String(contentsOfFile: TestSupport.path("market-data/sp500_20.csv"), encoding: .utf8)
            .split(separator: "\n").prefix(3).joined(separator: "\n")
        let path = try temporaryFile("two-rows.csv", two + "\n")
        let inspect = try ballast(["data", "inspect", path, "--format", "json"])
        let symbols = try #require(try inspect.json()["symbols"] as? [[String: Any]])
        #expect(symbols.allSatisfy { $0["annualReturn"] is NSNull && $0["undefined"] is String })
        let bt = try ballast(["backtest", "--strategy", "equal-weight", "--start", "2022-12-27", "--format", "json", "--no-audit"])
        #expect(bt.status == 0, "\(bt.stderr)")
        let metrics = try #require(try bt.json()["metrics"] as? [String: Any])
        #expect(metrics["cagr"] is NSNull && metrics["annualVolatility"] is NSNull && metrics["totalReturn"] is Double)
    }

    @Test("implausible prices are named with file, symbol and date; --strict refuses; rebalancing refuses to trade on them")
    func outlierPrices() throws {
        for (value, name) in [("1e-10", "tick.csv"), ("1e300", "huge.csv"), ("66915", "times1000.csv")] {
            let path = try Self.corruptedPrices(value, name: name)
            let warned = try ballast(["optimize", "--prices", path, "--objective", "min-volatility"])
            #expect(warned.stderr.contains("warning: implausible price: \(path): AAPL on 2020-03-02"), "\(warned.stderr)")
            let strict = try ballast(["risk-model", "--prices", path, "--strict"])
            #expect(strict.status == 1 && strict.stderr.contains("AAPL on 2020-03-02"), "\(strict.stderr)")
        }
        let path = try Self.corruptedPrices("1e-10", name: "tick.csv")
        // Optimising on it is refused with the asset named, never an inaccurate "optimal".
        let optimized = try ballast(["optimize", "--prices", path, "--objective", "min-volatility"])
        #expect(optimized.status == 1 && optimized.stderr.contains("the variance of AAPL"), "\(optimized.stderr)")
        let inspect = try ballast(["data", "inspect", path])
        #expect(inspect.stderr.contains("implausible price: \(path): AAPL on 2020-03-02"), "\(inspect.stderr)")
        // The level models leave the suspect product out instead of fleeing to cash.
        let models = try ballast(["models", "levels", "--prices", path, "market-data/factors_etf5.csv", "--format", "json"])
        let list = try #require(try JSONSerialization.jsonObject(with: Data(models.stdout.utf8)) as? [[String: Any]])
        let c3 = try #require(list.first { $0["label"] as? String == "C3" }?["weights"] as? [String: Double])
        #expect((c3["CASH"] ?? 1) < 0.9 && c3["AAPL"] == nil, "\(c3)")
        let plan = try ballast([
            "rebalance", "--universe", "stocks", "--account", "profiles/stock-accounts/drifted-balanced.json", "--prices", path,
            "market-data/factors_etf5.csv",
            "--as-of", "2020-03-02", "--no-audit",
        ])
        #expect(plan.status == 1 && plan.stderr.contains("refusing to trade on implausible prices"), "\(plan.stderr)")
        let rec = try ballast([
            "recommend", "profiles/stock-customers/balanced-saver.json", "--prices", path, "market-data/factors_etf5.csv", "--as-of",
            "2020-03-02",
            "--no-audit",
        ])
        #expect(rec.status == 1 && rec.stderr.contains("refusing to trade on implausible prices"), "\(rec.stderr)")
        let short = try ballast(["risk-model", "--start", "2022-12-20"])
        #expect(short.stderr.contains("under a year"), "\(short.stderr)")
    }
}

@Suite("Near-singular covariances are named")
struct SingularityCLITests {
    @Test("a duplicated column is named in a warning by risk-model, optimize and frontier, with the condition number and the fix")
    func duplicatedColumn() throws {
        let lines = try String(contentsOfFile: TestSupport.path("market-data/sp500_20.csv"), encoding: .utf8)
            .split(separator: "\n").map { line -> String in
                let first = line.split(separator: ",", omittingEmptySubsequences: false)[1]
                return line + "," + (first == "AAPL" ? "AAPL2" : first)
            }
        let path = try temporaryFile("duplicated.csv", lines.joined(separator: "\n") + "\n")
        for command in [["risk-model"], ["optimize", "--objective", "min-volatility"], ["frontier", "--points", "5"]] {
            let r = try ballast(command + ["--prices", path, "--start", "2018-01-01"])
            #expect(r.stderr.contains("numerically singular (condition number"), "\(command): \(r.stderr)")
            #expect(r.stderr.contains("AAPL and AAPL2") && r.stderr.contains("shrinkage"), "\(command): \(r.stderr)")
        }
        let risk = try ballast(["risk-model", "--prices", path, "--start", "2018-01-01"])
        #expect(!risk.stdout.contains("positive definite, condition"), "\(risk.stdout)")
        let clean = try ballast(["risk-model", "--start", "2018-01-01"])
        #expect(!clean.stderr.contains("singular"), "\(clean.stderr)")
    }
}

@Suite("One model per level, wherever it is shown or traded")
struct ModelConsistencyCLITests {
    func modelsJSON(_ arguments: [String]) throws -> [[String: Any]] {
        let r = try ballast(["models", "levels", "--format", "json"] + arguments)
        #expect(r.status == 0, "\(r.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
    }

    @Test("no solver dust: every weight is 0 or at least 0.5%, and products above a level's rating are exactly 0")
    func noDust() throws {
        let catalog = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: TestSupport.root.appendingPathComponent("market-data/catalog.json")))
                as? [String: Any])
        let products = try #require(catalog["products"] as? [[String: Any]])
        let rating = Dictionary(uniqueKeysWithValues: products.map { ($0["symbol"] as! String, $0["riskRating"] as! String) })
        for m in try modelsJSON([]) {
            let weights = try #require(m["weights"] as? [String: Double])
            let label = m["label"] as! String
            for (s, w) in weights {
                #expect(w == 0 || w >= 0.005 - 1e-15, "\(label) \(s) \(w)")
                if let r = rating[s], r > (m["maxProductRating"] as! String) { #expect(w == 0, "\(label) \(s) rated \(r): \(w)") }
            }
            #expect(abs(weights.values.reduce(0, +) - 1) < 1e-12)
        }
    }

    @Test("models follows --prices: the stock file alone has no factor ETFs")
    func modelsFollowPrices() throws {
        for m in try modelsJSON(["--prices", "market-data/sp500_20.csv"]) {
            let weights = try #require(m["weights"] as? [String: Double])
            #expect(!weights.keys.contains("MTUM") && !weights.keys.contains("USMV"), "\(weights.keys.sorted())")
        }
    }

    @Test("models, recommend and rebalance show and trade to the same weights, also for a future --as-of")
    func sameWeights() throws {
        let models = try modelsJSON([])
        let c3 = try #require(models.first { $0["label"] as? String == "C3" }?["weights"] as? [String: Double])
        for asOf in ["2022-12-28", "2026-01-15"] {
            let plan = try ballast([
                "rebalance", "--universe", "stocks", "--account", "profiles/stock-accounts/drifted-balanced.json", "--as-of", asOf,
                "--format", "json", "--no-audit",
            ])
            #expect(plan.status == 0, "\(plan.stderr)")
            if asOf > "2022-12-28" { #expect(plan.stderr.contains("the prices end on 2022-12-28"), "\(plan.stderr)") }
            let target = try #require(try plan.json()["targetWeights"] as? [String: Double])
            for (s, w) in c3 where w > 0 { #expect(abs((target[s] ?? 0) - w) < 1e-12, "\(asOf) \(s)") }
            #expect(Set(target.filter { $0.value > 0 }.keys) == Set(c3.filter { $0.value > 0 }.keys))
        }
        let rec = try ballast([
            "recommend", "profiles/stock-customers/balanced-saver.json", "--universe", "stocks", "--format", "json", "--no-audit",
        ])
        let portfolio = try #require(try rec.json()["portfolio"] as? [String: Any])
        let weights = try #require(portfolio["weights"] as? [String: Double])
        for (s, w) in c3 where w > 0 { #expect(abs((weights[s] ?? 0) - w) < 1e-12, "recommend \(s)") }
    }

    @Test("on the multi-asset universe too, models, recommend, rebalance and the level back-test hold the same C3")
    func sameMenuWeights() throws {
        let models = try ballast(["models", "--format", "json", "--no-resampling"])
        let list = try #require(try JSONSerialization.jsonObject(with: Data(models.stdout.utf8)) as? [[String: Any]], "\(models.stderr)")
        let c3 = try #require(list.first { $0["label"] as? String == "C3" }?["weights"] as? [String: Double])
        let plan = try ballast([
            "rebalance", "--account", "profiles/accounts/drifted-balanced.json", "--format", "json", "--no-audit", "--no-resampling",
        ])
        let target = try #require(try plan.json()["targetWeights"] as? [String: Double], "\(plan.stderr)")
        let rec = try ballast(["recommend", "profiles/customers/balanced-saver.json", "--format", "json", "--no-audit", "--no-resampling"])
        let r = try rec.json()
        let weights = try #require((r["portfolio"] as? [String: Any])?["weights"] as? [String: Double], "\(rec.stderr)")
        #expect(r["assumptionsVersion"] as? String == list[2]["assumptionsVersion"] as? String)
        for s in Set(c3.keys).union(target.filter { $0.value > 0 }.keys).union(weights.keys) {
            #expect(abs((target[s] ?? 0) - (c3[s] ?? 0)) < 1e-12, "rebalance \(s)")
            #expect(abs((weights[s] ?? 0) - (c3[s] ?? 0)) < 1e-12, "recommend \(s)")
        }
        let bt = try ballast(["backtest", "--strategy", "level:3", "--no-resampling", "--format", "json", "--no-audit"])
        #expect(bt.status == 0, "\(bt.stderr)")
        #expect((try bt.json()["strategy"] as? String)?.contains("model menu") == true)
    }

    @Test("profile defaults to the data's last date, as recommend does")
    func profileAsOf() throws {
        let profile = try ballast(["profile", "profiles/customers/balanced-saver.json", "--format", "json", "--no-audit"])
        #expect(profile.status == 0, "\(profile.stderr)")
        #expect(try profile.json()["asOf"] as? String == "2010-03-31", "the multi-asset universe's last common date")
        let stocks = try ballast([
            "profile", "profiles/stock-customers/balanced-saver.json", "--universe", "stocks", "--format", "json", "--no-audit",
        ])
        #expect(try stocks.json()["asOf"] as? String == "2022-12-28")
    }
}

@Suite("One rule for weights files")
struct WeightsFileCLITests {
    @Test(
        "backtest fixed:FILE and rebalance --models refuse the same bad files, naming the problem",
        arguments: [
            (#"{"AAPL": -0.2, "MSFT": 1.2}"#, "negative"), (#"{"AAPL": 0.5, "NOPE": 0.5}"#, "NOPE: no prices"),
            (#"{"AAPL": 0.4, "MSFT": 0.4}"#, "sum to 0.8"), (#"{"AAPL": 0.5, "MSFT": "half"}"#, "MSFT: expected a weight"),
        ])
    func badWeights(_ body: String, _ message: String) throws {
        let fixed = try temporaryFile("weights-\(abs(body.hashValue)).json", body)
        let bt = try ballast(["backtest", "--strategy", "fixed:\(fixed)", "--no-audit"])
        #expect(bt.status == 1 && bt.stderr.contains(message), "\(bt.stderr)")
        let models = try temporaryFile("models-\(abs(body.hashValue)).json", #"{"M1": \#(body)}"#)
        let account = try temporaryFile(
            "acct-\(abs(body.hashValue)).json", #"{"id": "A-1", "model": "M1", "cash": 1000, "holdings": {"AAPL": 1}}"#)
        let rb = try ballast(["rebalance", "--universe", "stocks", "--account", account, "--models", models, "--no-audit"])
        #expect(rb.status == 1 && rb.stderr.contains("model M1: ") && rb.stderr.contains(message), "\(rb.stderr)")
    }

    @Test("weights that name their cash run; a first decision that fails exits 1 with the reason")
    func goodWeightsAndFirstFailure() throws {
        let fixed = try temporaryFile("weights-cash.json", #"{"AAPL": 0.4, "MSFT": 0.4, "CASH": 0.2}"#)
        let ok = try ballast(["backtest", "--strategy", "fixed:\(fixed)", "--start", "2020-01-01", "--no-audit"])
        #expect(ok.status == 0, "\(ok.stderr)")
        let early = try ballast([
            "backtest", "--strategy", "level:3", "--universe", "stocks", "--start", "1991-01-01", "--end", "1991-06-30", "--no-audit",
        ])
        #expect(early.status == 1 && early.stderr.contains("first decision"), "\(early.stderr)")
        // On the multi-asset universe there is no menu before the first review.
        let beforeMenu = try ballast(["backtest", "--strategy", "level:3", "--end", "1993-06-30", "--no-resampling", "--no-audit"])
        #expect(beforeMenu.status == 1 && beforeMenu.stderr.contains("1995-01-31"), "\(beforeMenu.stderr)")
    }
}

@Suite("A new prospect gets a recommendation")
struct ProspectCLITests {
    @Test("questionnaire records the investable amount; recommend plans its purchase; without it, the field is named")
    func prospect() throws {
        let answers = "q1=b,q2=a,q3=c,q4=c,q5=b,q6=c,q7=b,q8=d,q9=c,q10=c,q11=c,q12=c,q13=b"
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-prospect-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let withAmount = dir.appendingPathComponent("p1.json").path
        let q = try ballast(["questionnaire", "--id", "P-1", "--answers", answers, "--investable-amount", "100000", "--out", withAmount])
        #expect(q.status == 0, "\(q.stderr)")
        let rec = try ballast(["recommend", withAmount, "--format", "json", "--no-audit", "--no-resampling"])
        #expect(rec.status == 0, "\(rec.stderr)")
        let plan = try #require(try rec.json()["plan"] as? [String: Any])
        let trades = try #require(plan["trades"] as? [[String: Any]])
        #expect(!trades.isEmpty && trades.allSatisfy { $0["side"] as? String == "buy" })
        let without = dir.appendingPathComponent("p2.json").path
        _ = try ballast(["questionnaire", "--id", "P-2", "--answers", answers, "--out", without])
        let refused = try ballast(["recommend", without, "--no-audit", "--no-resampling"])
        #expect(refused.status == 1 && refused.stderr.contains("financial.investableAmount"), "\(refused.stderr)")
    }
}

@Suite("Options read as users write them")
struct OptionValueCLITests {
    @Test("negative values need no `=`, and defaults read as values, not as program types")
    func negativeValuesAndDefaults() throws {
        let flow = try ballast([
            "backtest", "--strategy", "equal-weight", "--start", "2020-01-01", "--contribution", "-5000/annual", "--no-audit",
        ])
        #expect(flow.status == 0, "\(flow.stderr)")
        let bounds = try ballast(["optimize", "--weight-bounds", "-0.1,0.5", "--start", "2020-01-01", "--format", "json"])
        #expect(bounds.status == 0, "\(bounds.stderr)")
        let help = try ballast(["optimize", "--help"])
        #expect(help.stdout.contains("(default: 0,1)") && !help.stdout.contains("WeightBounds("), "\(help.stdout)")
    }
}
