import BallastBacktest
import BallastMarketData
import BallastProfiling
import BallastRebalancing
import BallastTestSupport
import Foundation
import Testing

@testable import BallastWorkflows

/// A monitor over hand-made targets and prices on the stock catalogue (KO, PG R3; USMV R2;
/// AMD R5) and the bundled levels (C1 allows R1 ... C5 R5).
func tinyMonitor(policy: RebalancePolicy = RebalancePolicy()) throws -> BookMonitor {
    let catalog = try ProductCatalog.read(path: TestSupport.path("market-data/catalog.json"))
    let levels = try RiskLevels.read(path: TestSupport.path("profiles/levels.json"))
    return BookMonitor(
        planner: RebalancePlanner(policy: policy, lotSizes: catalog.lotSizes),
        targets: ["C3": ["KO": 0.6, "PG": 0.3, "CASH": 0.1], "C1": ["USMV": 0.5, "CASH": 0.5]],
        prices: ["KO": 10, "PG": 20, "USMV": 1, "AMD": 50], asOf: MarketDate(iso: "2022-12-30")!, catalog: catalog, levels: levels)
}

@Suite("Book monitor")
struct BookMonitorTests {
    /// Tracking error and dispersion against pandas and numpy (Tests/Fixtures/make_monitor_risk_fixture.py).
    @Test func trackingErrorAndDispersionMatchNumpy() throws {
        struct Reference: Decodable {
            struct Account: Decodable { let trackingError: Double }
            let accounts: [String: Account]
            let meanTrackingError: Double
            let dispersion: Double
        }
        let reference = try JSONDecoder().decode(
            Reference.self, from: Data(contentsOf: URL(fileURLWithPath: TestSupport.path("Tests/Fixtures/monitor_risk_reference.json"))))
        var monitor = try tinyMonitor()
        monitor.asOf = MarketDate(iso: "2022-12-28")!
        monitor.riskHistory = try PriceFileSet(paths: [TestSupport.path("market-data/sp500_20.csv")], rule: nil).table
        let book = """
            {"id": "A", "model": "C3", "cash": 100, "holdings": {"KO": 60, "PG": 15}}
            {"id": "B", "model": "C3", "cash": 100, "holdings": {"KO": 80, "PG": 5}}
            {"id": "E", "model": "C3", "cash": 50, "holdings": {"KO": 100, "PG": 10}}
            """
        let r = monitor.run(lines: book)
        let c3 = try #require(r.byLevel.first { $0.name == "C3" })
        #expect(reference.accounts["A"]!.trackingError == 0, "account A is on target")
        #expect(abs(try #require(c3.trackingError) - reference.meanTrackingError) < 1e-10)
        #expect(abs(try #require(c3.returnDispersion) - reference.dispersion) < 1e-10)
        #expect(abs(try #require(r.trackingError) - reference.meanTrackingError) < 1e-10)
        // Without a history, nothing is made up.
        let plain = try tinyMonitor().run(lines: book)
        #expect(plain.trackingError == nil && plain.returnDispersion == nil && plain.byLevel.allSatisfy { $0.trackingError == nil })
    }

    /// Drift of each account computed by hand, independently of the planner: values from
    /// quantity x price, weights over the total with cash, half the sum of |w - w*|.
    @Test func driftMatchesAHandComputation() throws {
        let book = """
            {"id": "A", "model": "C3", "cash": 100, "holdings": {"KO": 60, "PG": 15}}
            {"id": "B", "model": "C3", "cash": 100, "holdings": {"KO": 80, "PG": 5}}
            {"id": "C", "model": "C3", "cash": 500, "holdings": {}}
            {"id": "D", "model": "C3", "cash": 0, "holdings": {"KO": 33, "PG": 20, "USMV": 7}}
            """
        let r = try tinyMonitor().run(lines: book)
        let target = ["KO": 0.6, "PG": 0.3, "CASH": 0.1]
        let price = ["KO": 10.0, "PG": 20.0, "USMV": 1.0]
        func hand(_ cash: Double, _ holdings: [String: Double]) -> Double {
            var values = holdings.mapValues { _ in 0.0 }
            for (s, q) in holdings { values[s] = q * price[s]! }
            let total = values.values.reduce(0, +) + cash
            var d = abs(cash / total - target["CASH"]!)
            for s in Set(values.keys).union(["KO", "PG"]) { d += abs((values[s] ?? 0) / total - (target[s] ?? 0)) }
            return d / 2
        }
        let expected = [
            hand(100, ["KO": 60, "PG": 15]), hand(100, ["KO": 80, "PG": 5]), hand(500, [:]), hand(0, ["KO": 33, "PG": 20, "USMV": 7]),
        ]
        // 0, 0.2, 0.9 and (|330/737-0.6| + |400/737-0.3| + 7/737 + 0.1) / 2 = 0.2522.
        #expect(abs(expected[1] - 0.2) < 1e-12 && abs(expected[2] - 0.9) < 1e-12)
        #expect(r.accounts == 4 && r.problems == 0)
        #expect(abs(r.drift.mean! - expected.reduce(0, +) / 4) < 1e-12)
        #expect(abs(expected[3] - 0.2522) < 1e-4)
        #expect(abs(r.drift.max! - 0.9) < 1e-12)
        // Nearest rank: the 2nd smallest of 4 for the median, within half a bin (0.00005).
        let sorted = expected.sorted()
        #expect(abs(r.drift.quantiles["p50"]! - sorted[1]) <= 0.00005)
        #expect(abs(r.drift.quantiles["p75"]! - sorted[2]) <= 0.00005)
        #expect(abs(r.drift.quantiles["p10"]! - sorted[0]) <= 0.00005)
        #expect(r.drift.histogram.map(\.count).reduce(0, +) == 4)
        #expect(r.drift.histogram[0].count == 1 && r.drift.histogram[20].count == 1 && r.drift.histogram[25].count == 2)
        #expect(abs(r.value - (1000 + 1000 + 500 + 737)) < 1e-9)
        // Each account's drift is the planner's (its plan's driftBefore).
        let planner = try tinyMonitor().planner
        let d = try planner.plan(
            for: Account(id: "D", cash: 0, holdings: ["KO": 33, "PG": 20, "USMV": 7]), toward: target, at: price,
            asOf: MarketDate(iso: "2022-12-30")!)
        #expect(abs(d.driftBefore - expected[3]) < 1e-12)
    }

    /// One account just inside the absolute band and one just outside: the planner's trigger
    /// decides, and the plans agree.
    @Test func bandEdgeDecidesOutOfBand() throws {
        var policy = RebalancePolicy()
        policy.trigger = .absoluteBand
        let monitor = try tinyMonitor(policy: policy)
        // USMV at 1.00: 54.90% (0.049 from the 50% target) and 55.10% (0.051).
        let book = """
            {"id": "in", "model": "C1", "cash": 4510, "holdings": {"USMV": 5490}}
            {"id": "out", "model": "C1", "cash": 4490, "holdings": {"USMV": 5510}}
            """
        let r = monitor.run(lines: book)
        #expect(r.accounts == 2 && r.outOfBand == 1 && r.outOfBandShare == 0.5)
        let group = try #require(r.byModel.first { $0.name == "C1" })
        #expect(group.outOfBand == 1 && group.accounts == 2)
        let usmv = try #require(r.byProduct.first { $0.symbol == "USMV" })
        #expect(usmv.outsideBand == 1 && usmv.accounts == 2 && usmv.holders == 2)
        let asOf = MarketDate(iso: "2022-12-30")!
        let target = monitor.targets["C1"]!
        let inside = try monitor.planner.plan(
            for: Account(id: "in", cash: 4510, holdings: ["USMV": 5490]), toward: target, at: monitor.prices, asOf: asOf)
        let outside = try monitor.planner.plan(
            for: Account(id: "out", cash: 4490, holdings: ["USMV": 5510]), toward: target, at: monitor.prices, asOf: asOf)
        #expect(inside.status == .withinBand && outside.status == .rebalanced)
        let review = try monitor.planner.review(
            Account(id: "out", cash: 4490, holdings: ["USMV": 5510]), toward: target, at: monitor.prices, asOf: asOf)
        #expect(review.outOfBand && review.outsideBand == ["USMV"] && abs(review.drift - 0.051) < 1e-12)
    }

    /// Malformed lines, unknown models and missing prices are counted and listed with their
    /// line numbers; blank lines are not lines of the book's accounts.
    @Test func problemsAreCountedWithLineNumbers() throws {
        let book = """
            {"id": "A", "model": "C3", "cash": 100, "holdings": {"KO": 60, "PG": 15}}
            {"id": "B", "model": "C3", "cash": 100, "holdings": {"KO": 60,}}

            {"id": "C", "model": "nope", "cash": 100, "holdings": {}}
            {"id": "D", "model": "C3", "cash": 100, "holdings": {"XOM": 3}}
            {"id": "E", "model": "C3", "cash": 100, "holdings": {}, "lastRebalance": "2099-01-01"}
            """
        let r = try tinyMonitor().run(lines: book)
        #expect(r.lines == 5 && r.accounts == 1 && r.problems == 4)
        #expect(r.problemList.map(\.line) == [2, 4, 5, 6])
        #expect(r.problemList.map(\.kind) == [.malformed, .unknownModel, .missingPrice, .invalid])
        #expect(r.problemList.map(\.accountId) == ["B", "C", "D", "E"])
        #expect(r.problemList[0].message.contains("column"))
        #expect(r.problemList[1].message.contains("known models: C1, C3"))
        #expect(r.problemList[2].message.contains("prices.XOM"))
        #expect(r.problemsByKind == ["malformed": 1, "unknown-model": 1, "missing-price": 1, "invalid": 1])
    }

    /// The streaming reader over a file gives the figures of the in-memory run, whatever the
    /// block size, and counts a line over the limit as a problem with its number.
    @Test func streamingMatchesInMemory() throws {
        var lines: [String] = []
        for k in 1...200 {
            let ko = 40 + k % 37
            lines.append(
                k == 77
                    ? "{\"id\": \"bad-\(k)\""
                    : "{\"id\": \"A\(k)\", \"model\": \"C3\", \"cash\": \(k * 3), \"holdings\": {\"KO\": \(ko), \"PG\": \(10 + k % 11)}}")
        }
        let text = lines.joined(separator: "\n") + "\n"
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("monitor-stream-\(getpid()).jsonl").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var monitor = try tinyMonitor()
        let expected = monitor.run(lines: text)
        #expect(expected.problems == 1 && expected.problemList.first?.line == 77)
        for (block, jobs) in [(97, 1), (4096, 2), (1 << 20, 3)] {
            monitor.blockSize = block
            monitor.jobs = jobs
            #expect(try monitor.run(input: .file(path)) == expected)
        }
        monitor.blockSize = 50
        monitor.maxLineBytes = 64
        let long = try monitor.run(input: .file(path))
        #expect(long.lines == 200 && long.problems == 200)
        #expect(long.problemList.first?.message.contains("longer than 64 bytes") == true)
        #expect(long.problemList.map(\.line) == Array(1...200))
    }

    /// The byte-level kernel (plain lines) and the strict reader (lines it declines, here by an
    /// escaped key) give the same figures to the bit.
    @Test func fastAndGeneralPathsAgree() throws {
        var plain: [String] = []
        for k in 1...60 {
            let model = k % 3 == 0 ? "C1" : "C3"
            let holdings =
                model == "C1"
                ? "{\"USMV\": \(4000 + 37 * k)}" : "{\"KO\": \(40 + k % 17), \"PG\": \(10 + k % 7)\(k % 5 == 0 ? ", \"AMD\": 1" : "")}"
            plain.append(
                "{\"id\": \"A\(k)\", \"model\": \"\(model)\", \"cash\": \(k * 7).25, \"holdings\": \(holdings)\(k % 4 == 0 ? ", \"lastRebalance\": \"2022-01-31\"" : "")}"
            )
        }
        let escaped = plain.map { $0.replacingOccurrences(of: "\"cash\"", with: "\"c\\u0061sh\"") }
        for trigger in RebalanceTrigger.allCases {
            var policy = RebalancePolicy()
            policy.trigger = trigger
            let monitor = try tinyMonitor(policy: policy)
            #expect(monitor.run(lines: plain[0]).accounts == 1)
            var a = monitor.run(lines: plain.joined(separator: "\n"))
            var b = monitor.run(lines: escaped.joined(separator: "\n"))
            #expect(a.accounts == 60 && a.problems == 0)
            (a.inputDigest, b.inputDigest) = ("", "")
            #expect(a == b, "\(trigger)")
        }
        // The kernel takes the plain lines, the strict reader declines none of the escaped ones.
        let fast = try BatchPlanner(
            planner: try tinyMonitor().planner, targets: try tinyMonitor().targets, prices: try tinyMonitor().prices,
            asOf: MarketDate(iso: "2022-12-30")!)
        var scratch = BatchPlanner.Scratch()
        for (p, e) in zip(plain, escaped) {
            #expect(Array(p.utf8).withUnsafeBufferPointer { fast.review(line: $0, scratch: &scratch) } != nil)
            #expect(Array(e.utf8).withUnsafeBufferPointer { fast.review(line: $0, scratch: &scratch) } == nil)
        }
    }

    /// Products above the level's rating limit are suitability exceptions.
    @Test func suitabilityExceptions() throws {
        let book = """
            {"id": "ok", "model": "C3", "cash": 100, "holdings": {"KO": 60, "PG": 15}}
            {"id": "usmv", "model": "C1", "cash": 500, "holdings": {"USMV": 500}}
            {"id": "amd", "model": "C3", "cash": 100, "holdings": {"KO": 60, "AMD": 2}}
            {"id": "cash", "model": "C1", "cash": 500, "holdings": {"USMV": 0}}
            """
        let r = try tinyMonitor().run(lines: book)
        #expect(r.accounts == 4 && r.suitabilityExceptions == 2 && r.withoutLevel == 0)
        #expect(r.suitabilityList.map(\.accountId) == ["usmv", "amd"])
        #expect(r.suitabilityList.map(\.line) == [2, 3])
        #expect(r.suitabilityList[0].products == ["USMV R2"] && r.suitabilityList[0].limit == "R1")
        #expect(r.suitabilityList[1].products == ["AMD R5"] && r.suitabilityList[1].limit == "R3")
        #expect(r.byProduct.first { $0.symbol == "AMD" }?.aboveLevel == 1)
        #expect(r.byLevel.map(\.suitabilityExceptions) == [1, 1])
    }

    /// Customer files profiled as of their `profiledOn`: overdue and due re-assessments by the
    /// profile's own date, and accounts without a file counted.
    @Test func customerReassessments() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("monitor-customers-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let sample =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: TestSupport.path("profiles/stock-customers/cautious-saver.json"))))
            as! [String: Any]
        let dates = ["old": "2020-01-02", "soon": "2022-01-20", "fresh": "2022-12-01"]
        for (id, day) in dates {
            var c = sample
            c["profiledOn"] = day
            try JSONSerialization.data(withJSONObject: c).write(to: dir.appendingPathComponent("\(id).json"))
        }
        try Data("{\"id\": 3}".utf8).write(to: dir.appendingPathComponent("broken.json"))
        var monitor = try tinyMonitor()
        let questionnaire = try Questionnaire.read(path: TestSupport.path("profiles/questionnaire-v1.json"))
        let market = try PriceCSV.read(path: TestSupport.path("market-data/sp500_index.csv"))
        let prices = try PriceCSV.read(path: TestSupport.path("market-data/sp500_20.csv"))
        monitor.customers = BookMonitor.CustomerFolder(
            directory: dir.path, questionnaire: questionnaire, market: market, prices: prices,
            pseudonymKey: Array("monitor-test-key-01".utf8))
        let book = ["old", "soon", "fresh", "nobody", "broken"].map {
            "{\"id\": \"\($0)\", \"model\": \"C3\", \"cash\": 100, \"holdings\": {\"KO\": 60, \"PG\": 15}}"
        }.joined(separator: "\n")
        let r = monitor.run(lines: book)
        let c = try #require(r.customers)
        #expect(c.profiled == 3 && c.withoutFile == 1 && c.undated == 0)
        #expect(r.problems == 1 && r.problemList.first?.kind == .customerFile && r.problemList.first?.line == 5)
        // The expected status of each from its own profile's re-assessment date.
        var expected: [String: String] = [:]
        for (id, day) in dates {
            let file = try CustomerFile.read(
                path: dir.appendingPathComponent("\(id).json").path, questionnaire: questionnaire, catalog: monitor.catalog,
                asOf: monitor.asOf)
            let on = MarketDate(iso: day)!
            let signals = BehaviourAnalyzer(market: market, prices: [prices], catalog: monitor.catalog).signals(for: file, asOf: on)
            let p = RiskProfiler(questionnaire: questionnaire, levels: monitor.levels).profile(
                file, behaviour: signals, asOf: on, pseudonym: "x")
            let days = p.reassessBy.dayNumber - monitor.asOf.dayNumber
            if days < 0 { expected[id] = "overdue" } else if days <= 30 { expected[id] = "due" }
        }
        #expect(expected["old"] == "overdue" && expected["fresh"] == nil)
        let listed = Dictionary(uniqueKeysWithValues: c.reassessments.map { ($0.accountId, $0.status) })
        #expect(listed == expected)
        #expect(c.reassessmentsOverdue == expected.values.filter { $0 == "overdue" }.count)
        #expect(c.reassessmentsDue == expected.values.filter { $0 == "due" }.count)
        #expect(c.reassessments.allSatisfy { $0.customerRef.hasPrefix("cust-") })
    }
}

@Suite("Monitor alerts")
struct MonitorAlertTests {
    static let book = """
        {"id": "in", "model": "C1", "cash": 4510, "holdings": {"USMV": 5490}}
        {"id": "out", "model": "C1", "cash": 4490, "holdings": {"USMV": 5510}}
        {"id": "x", "model": "C1", "cash": 4490, "holdings": {"USMV": 5510,}}
        """

    /// A threshold just under the figure fires; the figure itself does not (strictly above).
    @Test func firesAboveAndJustDoesNot() throws {
        var policy = RebalancePolicy()
        policy.trigger = .absoluteBand
        let r = try tinyMonitor(policy: policy).run(lines: Self.book)
        let rules = try MonitorAlerts.decode(
            Data(
                """
                {"rules": [
                  {"name": "C1 drifting", "metric": "outOfBandShare", "level": "C1", "above": 0.49},
                  {"metric": "outOfBandShare", "level": "C1", "above": 0.5},
                  {"metric": "problems", "above": 0},
                  {"metric": "accounts", "below": 2},
                  {"metric": "outOfBandShare", "level": "C5", "above": 0},
                  {"metric": "outOfBand", "product": "USMV", "above": 0}
                ]}
                """.utf8))
        let outcomes = MonitorAlerts.evaluate(rules, on: r)
        #expect(outcomes.map(\.fired) == [true, false, true, false, false, true])
        #expect(outcomes[0].name == "C1 drifting" && outcomes[0].value == 0.5)
        #expect(outcomes[0].evidence == "outOfBandShare of level C1 is 50.00% (1 of 2 accounts), above 49.00%")
        #expect(outcomes[1].evidence.hasSuffix("not above 50.00%"))
        #expect(outcomes[2].evidence == "problems of book is 1 (of 3 lines), above 0")
        #expect(outcomes[4].value == nil && outcomes[4].evidence.contains("nothing to compare"))
    }

    /// Every problem of a rules file at once, with the rule's index and field.
    @Test func badRulesAreNamed() throws {
        let bad = """
            {"rules": [{"metric": "outOfBandShar", "above": 0.2}, {"metric": "problems"}, {"metric": "problems", "level": "C3", "above": 1},
              {"metric": "meanDrift", "above": "high", "colour": "red"}]}
            """
        #expect {
            try MonitorAlerts.decode(Data(bad.utf8), source: "alerts.json")
        } throws: { error in
            let text = "\(error)"
            return text.hasPrefix("alerts.json:")
                && text.contains("rules[0].metric: outOfBandShar is not a figure of monitor; use one of accounts, outOfBand")
                && text.contains("rules[1]: give a threshold, above or below")
                && text.contains("rules[2].metric: problems is a figure of the whole book")
                && text.contains("rules[3].above: must be a number") && text.contains("rules[3].colour: unknown field")
        }
    }

    /// The summary kept in the audit trail compares two runs figure by figure.
    @Test func summariesCompare() throws {
        var policy = RebalancePolicy()
        policy.trigger = .absoluteBand
        let monitor = try tinyMonitor(policy: policy)
        let before = MonitorSummary(monitor.run(lines: Self.book))
        let after = MonitorSummary(monitor.run(lines: String(Self.book.split(separator: "\n")[0])))
        let changes = after.changes(since: before)
        let share = try #require(changes.first { $0.scope == "book" && $0.metric == "outOfBandShare" })
        #expect(share.previous == 0.5 && share.current == 0)
        let problems = try #require(changes.first { $0.scope == "book" && $0.metric == "problems" })
        #expect(problems.previous == 1 && problems.current == 0)
    }
}

@Suite("Model performance")
struct ModelPerformanceTests {
    /// The benchmark's figures over each window against an independent computation from the
    /// index file (daily simple returns between the window's dates, ddof 1, x sqrt(252); the
    /// largest fall from a running peak), and the model's within their definitions.
    @Test func windowsAndBenchmarkFigures() throws {
        let setup = BacktestSetup(
            sources: .init(
                resolve: { TestSupport.path($0) }, prices: { try PriceFileSet(paths: $0.map(TestSupport.path)).table },
                process: { throw BacktestSetupError("no process in this test") },
                levels: { try RiskLevels.read(path: TestSupport.path("profiles/levels.json")) },
                catalog: { try ProductCatalog.read(path: TestSupport.path("market-data/catalog.json")) }))
        var request = BacktestRequest(strategy: "equal-weight")
        request.prices = ["market-data/factors_etf5.csv"]
        let asOf = MarketDate(iso: "2022-12-28")!
        let figures = try ModelPerformance.measure(models: [("EW", "equal-weight")], asOf: asOf, setup: setup, request: request)
        #expect(figures.map(\.years) == [1, 3])
        let index = try PriceCSV.read(path: TestSupport.path("market-data/sp500_index.csv"))
        for f in figures {
            #expect(
                f.end == asOf && f.start >= asOf.adding(months: -12 * f.years)
                    && f.start <= asOf.adding(months: -12 * f.years).adding(days: 4))
            #expect(f.benchmark == "SP500")
            let from = index.firstIndex(onOrAfter: f.start)
            let to = try #require(index.lastIndex(onOrBefore: f.end))
            let p = (from...to).map { index[$0, 0] }
            let r = zip(p.dropFirst(), p).map { $0 / $1 - 1 }
            let mean = r.reduce(0, +) / Double(r.count)
            let vol = (r.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(r.count - 1)).squareRoot() * 252.0.squareRoot()
            var peak = p[0]
            var drawdown = 0.0
            for x in p {
                peak = max(peak, x)
                drawdown = min(drawdown, x / peak - 1)
            }
            #expect(abs(f.benchmarkVolatility! - vol) < 1e-10)
            #expect(abs(f.benchmarkMaxDrawdown! - drawdown) < 1e-12)
            #expect(abs(f.benchmarkTotalReturn! - (p.last! / p[0] - 1)) < 1e-12)
            #expect(f.maxDrawdown <= 0 && f.volatility! > 0)
            #expect(f.costDrag == 0 && f.turnover! > 0, "no costs: no drag")
        }
        // With a proportional cost of c, every traded unit of value costs c: the drag is c times
        // the value traded per year over the mean value, which is at most 1 + 2 x turnover x
        // years (the first purchase, then both sides of each rebalance) over the years, give or
        // take the portfolio's swings around its mean value, and above the turnover's share alone.
        request.costBps = 10
        let costed = try ModelPerformance.measure(models: [("EW", "equal-weight")], asOf: asOf, setup: setup, request: request)
        for f in costed {
            let years = Double(f.years)
            let drag = try #require(f.costDrag)
            #expect(
                drag > 0.001 * 2 * f.turnover! * 0.9 && drag <= 0.001 * (1 + 2 * f.turnover! * years) / years * 1.3,
                "drag \(drag) turnover \(f.turnover!) years \(years)")
        }
    }
}
