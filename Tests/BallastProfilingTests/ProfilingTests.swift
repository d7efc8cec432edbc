import BallastMarketData
import BallastTestSupport
import Crypto
import Foundation
import Testing

@testable import BallastProfiling

let questionnaire = try! Questionnaire.read(path: TestSupport.path("profiles/questionnaire-v1.json"))
let levels = try! RiskLevels.read(path: TestSupport.path("profiles/levels.json"))
let catalog = try! ProductCatalog.read(path: TestSupport.path("market-data/catalog.json"))
let asOf = MarketDate(iso: "2022-12-28")!
let profiler = RiskProfiler(questionnaire: questionnaire, levels: levels)

/// A complete set of answers with every item at the same rank: 0 takes each item's
/// lowest-scoring option, 4 its highest, 2 the option at the middle rank (rounded down).
func uniformAnswers(_ k: Int) -> [String: String] {
    Dictionary(
        uniqueKeysWithValues: questionnaire.items.map { item in
            let ranked = item.options.sorted { $0.score < $1.score }
            let index = Int((Double(k) / 4 * Double(ranked.count - 1) + 1e-9).rounded(.down))
            return (item.id, ranked[index].id)
        })
}

func profile(_ answers: [String: String], behaviour: BehaviourSignals? = nil) -> RiskProfile {
    profiler.profile(CustomerFile(id: "T", answers: answers), behaviour: behaviour, asOf: asOf, pseudonym: "cust-test")
}

struct ScoringCase: CustomTestStringConvertible, Sendable {
    let name: String
    let changes: [String: String]
    let base: Int
    let level: Int
    let decidedBy: String
    var testDescription: String { name }
}

@Suite("Scoring: answers to scores to levels")
struct ScoringTests {
    @Test(
        "table of answer sets",
        arguments: [
            ScoringCase(name: "all lowest", changes: [:], base: 0, level: 1, decidedBy: "willingness and capacity agree"),
            ScoringCase(name: "all highest", changes: [:], base: 4, level: 5, decidedBy: "willingness and capacity agree"),
            ScoringCase(name: "highest but money needed in 1-3 years", changes: ["q8": "b"], base: 4, level: 2, decidedBy: "horizon gate"),
            ScoringCase(name: "highest but money needed within a year", changes: ["q8": "a"], base: 4, level: 1, decidedBy: "horizon gate"),
            ScoringCase(
                name: "high willingness, no capacity", changes: ["q7": "e", "q9": "a", "q10": "a", "q11": "a", "q12": "a", "q13": "a"],
                base: 4, level: 1,
                decidedBy: "capacity"),
            // Middle rank: every 4-option willingness item scores 1 of 3 (33%, C2); capacity
            // 7 of 18 (39%, C2); the horizon answer (3-5 years) sets no cap.
            ScoringCase(name: "middle answers", changes: [:], base: 2, level: 2, decidedBy: "willingness and capacity agree"),
            ScoringCase(
                name: "middle attitude, top capacity", changes: ["q7": "a", "q9": "d", "q10": "d", "q11": "d", "q12": "d", "q13": "c"],
                base: 2, level: 2, decidedBy: "willingness"),
        ])
    func table(_ c: ScoringCase) {
        var answers = uniformAnswers(c.base)
        for (k, v) in c.changes { answers[k] = v }
        let p = profile(answers)
        #expect(p.level == c.level, "\(p.willingness) \(p.capacity)")
        #expect(p.decidedBy == c.decidedBy)
        #expect(p.label == "C\(c.level)")
        #expect(p.explanation.count >= 4)
        #expect(p.reassessBy == asOf.adding(months: 12))
    }

    @Test("a more risk-tolerant answer never lowers willingness or the level", arguments: 1...20)
    func monotone(_ seed: Int) {
        var g = SeededGenerator(seed: UInt64(seed))
        var answers: [String: String] = [:]
        for item in questionnaire.items { answers[item.id] = item.options.randomElement(using: &g)!.id }
        let before = profile(answers)
        for item in questionnaire.items {
            guard let current = item.option(answers[item.id]!) else { continue }
            for better in item.options where better.score > current.score {
                var raised = answers
                raised[item.id] = better.id
                let after = profile(raised)
                if item.dimension == .willingness { #expect(after.willingness >= before.willingness) }
                if item.dimension == .capacity { #expect(after.capacity >= before.capacity) }
                if item.dimension != .willingness || !questionnaire.scoring.consistencyPairs.contains(where: { $0.items.contains(item.id) })
                {
                    #expect(after.level >= before.level, "\(item.id) \(current.id)->\(better.id)")
                }
            }
        }
    }

    @Test("behaviour never raises the level and lowers it by at most one", arguments: 0...4)
    func behaviourOnlyLowers(_ base: Int) {
        var answers = uniformAnswers(base)
        answers["q8"] = "e"
        let calm = profile(answers)
        let signals = [
            BehaviourSignals(
                panicSelling: true, panicSellingDate: MarketDate(iso: "2020-03-16"), tradesPerYear: 80, annualTurnover: 5,
                concentration: 0.9,
                highestRatingHeld: .r5, viewsInFallsRatio: 6),
            BehaviourSignals(
                panicSelling: false, panicSellingDate: nil, tradesPerYear: 1, annualTurnover: 0.1, concentration: 0.1,
                highestRatingHeld: .r1,
                viewsInFallsRatio: 1),
        ]
        for s in signals {
            let p = profile(answers, behaviour: s)
            #expect(p.level <= calm.level)
            #expect(p.level >= calm.level - 1)
            if s.panicSelling && calm.level > 1 { #expect(p.level == calm.level - 1 && p.flags.contains(.panicSelling)) }
            if s.panicSelling { #expect(p.reassessBy < asOf.adding(months: 12)) }
        }
    }

    @Test("inconsistent answers are flagged")
    func inconsistency() {
        var answers = uniformAnswers(2)
        answers["q1"] = "a"
        answers["q2"] = "d"
        answers["q3"] = "d"
        answers["q5"] = "a"
        let p = profile(answers)
        #expect(p.consistency < 60)
        #expect(p.flags.contains(.inconsistentAnswers))
    }

    @Test("the profile is deterministic")
    func deterministic() {
        let a = profile(uniformAnswers(3))
        #expect(profile(uniformAnswers(3)) == a)
    }
}

struct BadCustomer: CustomTestStringConvertible, Sendable {
    let name: String
    let json: String
    let paths: [String]
    var testDescription: String { name }
}

@Suite("Customer file validation reports every problem with its path")
struct ValidationTests {
    static let base =
        #""id": "X", "answers": {"q1":"a","q2":"a","q3":"a","q4":"a","q5":"a","q6":"a","q7":"a","q8":"a","q9":"a","q10":"a","q11":"a","q12":"a","q13":"a"}"#

    @Test(
        "bad inputs",
        arguments: [
            BadCustomer(name: "unknown item", json: #"{"id": "X", "answers": {"q99": "a"}}"#, paths: ["answers.q99"]),
            BadCustomer(
                name: "missing required answers", json: #"{"id": "X", "answers": {"q1": "a"}}"#, paths: ["answers.q2", "answers.q13"]),
            BadCustomer(name: "option not offered", json: #"{"id": "X", "answers": {"q1": "z"}}"#, paths: ["answers.q1"]),
            BadCustomer(
                name: "wrong type", json: #"{"id": 7, "answers": {"q1": 1}, "cash": "lots"}"#, paths: ["id", "answers.q1", "cash"]),
            BadCustomer(name: "date in the future", json: "{\(base), \"birthDate\": \"2030-01-01\"}", paths: ["birthDate"]),
            BadCustomer(
                name: "negative amount", json: "{\(base), \"cash\": -5, \"holdings\": {\"AAPL\": -1}}", paths: ["cash", "holdings.AAPL"]),
            BadCustomer(name: "symbol not in the catalogue", json: "{\(base), \"holdings\": {\"ZZZZ\": 3}}", paths: ["holdings.ZZZZ"]),
            BadCustomer(name: "unknown field", json: "{\(base), \"nickname\": \"x\"}", paths: ["nickname"]),
            BadCustomer(
                name: "bad trade",
                json:
                    "{\(base), \"behaviour\": {\"trades\": [{\"date\": \"2020-13-01\", \"symbol\": \"AAPL\", \"side\": \"hold\", \"quantity\": 1}]}}",
                paths: ["behaviour.trades[0].date", "behaviour.trades[0].side", "behaviour.trades[0].price"]),
            BadCustomer(name: "not an object", json: "[1, 2]", paths: ["(root)"]),
            BadCustomer(
                name: "deeply wrong", json: #"{"id": "X", "answers": [["a"]], "holdings": 5, "behaviour": "yes"}"#,
                paths: ["answers", "holdings", "behaviour"]),
        ])
    func bad(_ c: BadCustomer) {
        do {
            _ = try CustomerFile.parse(Data(c.json.utf8), source: "c.json", questionnaire: questionnaire, catalog: catalog, asOf: asOf)
            Issue.record("accepted a bad customer file")
        } catch {
            let paths = error.issues.map(\.path)
            for p in c.paths { #expect(paths.contains(p), "\(p) not in \(paths)") }
            #expect(error.description.hasPrefix("c.json: "))
        }
    }

    @Test("every sample customer is valid")
    func samples() throws {
        let dir = TestSupport.path("profiles/stock-customers")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".json") }
        #expect(files.count >= 8)
        for f in files {
            let c = try CustomerFile.read(path: dir + "/" + f, questionnaire: questionnaire, catalog: catalog, asOf: asOf)
            #expect(c.demonstrates?.isEmpty == false, "\(f) should say what it demonstrates")
        }
    }
}

@Suite("Behaviour signals")
struct BehaviourTests {
    let analyzer = BehaviourAnalyzer(
        market: try! PriceCSV.read(path: TestSupport.path("market-data/sp500_index.csv")),
        prices: [try! PriceCSV.read(path: TestSupport.path("market-data/sp500_20.csv"))], catalog: catalog)

    func customer(_ name: String) throws -> CustomerFile {
        try CustomerFile.read(
            path: TestSupport.path("profiles/stock-customers/\(name).json"), questionnaire: questionnaire, catalog: catalog, asOf: asOf)
    }

    @Test func panicSeller() throws {
        let s = analyzer.signals(for: try customer("panic-seller"), asOf: asOf)
        #expect(s.panicSelling)
        #expect(s.panicSellingDate?.description == "2020-03-12")
        #expect((s.viewsInFallsRatio ?? 0) > 3)
        #expect(s.highestRatingHeld == .r4)
        #expect(s.tradesPerYear > 1 && s.tradesPerYear < 2)
    }

    @Test func calmInvestor() throws {
        let s = analyzer.signals(for: try customer("growth-investor"), asOf: asOf)
        #expect(!s.panicSelling)
        #expect(s.tradesPerYear == 0)
        #expect(s.concentration > 0 && s.concentration < 1)
    }

    @Test("a sale outside a fall is not panic selling")
    func saleInCalmMarket() {
        let c = CustomerFile(
            id: "calm", answers: [:], holdings: [:], cash: 10000,
            behaviour: BehaviourHistory(trades: [
                CustomerTrade(date: MarketDate(iso: "2019-01-02")!, symbol: "KO", side: .buy, quantity: 100, price: 45),
                CustomerTrade(date: MarketDate(iso: "2019-07-01")!, symbol: "KO", side: .sell, quantity: 100, price: 52),
            ]))
        #expect(!analyzer.signals(for: c, asOf: asOf).panicSelling)
    }
}

@Suite("Suitability and privacy")
struct SuitabilityTests {
    @Test("C1 never gets anything above R1, even with an acknowledgement")
    func c1() {
        let r = Suitability.check(
            weights: ["AAPL": 0.1, "CASH": 0.9], volatility: 0.03, level: levels.parameters(1), catalog: catalog, acknowledged: true)
        #expect(!r.passed)
        #expect(r.issues.contains { $0.kind == .productRating && $0.symbol == "AAPL" })
        #expect(r.warning?.contains("AAPL (R4)") == true)
    }

    @Test("a higher level may take a product above it only with an acknowledged warning")
    func acknowledged() {
        let level = levels.parameters(3)
        let without = Suitability.check(weights: [:], volatility: nil, level: level, catalog: catalog, requested: ["AMD"])
        #expect(!without.passed)
        let with = Suitability.check(weights: [:], volatility: nil, level: level, catalog: catalog, requested: ["AMD"], acknowledged: true)
        #expect(with.passed && with.acknowledged)
        let tooVolatile = Suitability.check(weights: ["KO": 1], volatility: 0.5, level: level, catalog: catalog, acknowledged: true)
        #expect(!tooVolatile.passed)
    }

    @Test("masks keep only what the formats allow")
    func masks() {
        #expect(Privacy.maskIdentifier("110101199003071234") == "110***********1234")
        #expect(Privacy.maskPhone("13812345678") == "138****5678")
        #expect(Privacy.maskName("王小明") == "王**")
        #expect(Privacy.maskName("王") == "王*")
        #expect(Privacy.maskEmail("wang.xm@example.com") == "w******@example.com")
    }

    @Test("pseudonyms are keyed, stable and never the raw id")
    func pseudonyms() throws {
        let key = SymmetricKey(data: Data("0123456789abcdef0123".utf8))
        let other = SymmetricKey(data: Data("fedcba9876543210fedc".utf8))
        let a = Privacy.pseudonym(of: "CUST-1001", key: key)
        #expect(a == Privacy.pseudonym(of: "CUST-1001", key: key))
        #expect(a != Privacy.pseudonym(of: "CUST-1001", key: other))
        #expect(!a.contains("1001"))
        #expect(a.hasPrefix("cust-") && a.count == 29)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-key-\(getpid())")
        let file = dir.appendingPathComponent("pseudonym.key").path
        let k1 = try Privacy.pseudonymKey(keyFile: file, environment: [:])
        let k2 = try Privacy.pseudonymKey(keyFile: file, environment: [:])
        #expect(Privacy.pseudonym(of: "x", key: k1) == Privacy.pseudonym(of: "x", key: k2))
        let mode = (try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o600)
    }

    @Test(
        "pseudonymisation keys: created 0600 in a 0700 folder, never overwritten; short, low-variety and group-readable keys and no location are errors"
    )
    func pseudonymKeys() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-keys-\(getpid())").path
        try? FileManager.default.removeItem(atPath: dir)
        let file = dir + "/keys/pseudonym.key"
        _ = try Privacy.pseudonymKey(keyFile: file, environment: [:])
        func mode(_ p: String) throws -> Int {
            (try FileManager.default.attributesOfItem(atPath: p)[.posixPermissions] as! NSNumber).intValue & 0o777
        }
        #expect(try mode(file) == 0o600 && mode(dir + "/keys") == 0o700)
        func message(_ body: () throws -> Void) -> String {
            do { try body() } catch { return "\(error)" }
            return "no error"
        }
        chmod(file, 0o644)
        #expect(message { _ = try Privacy.pseudonymKey(keyFile: file, environment: [:]) }.contains("readable by other users (mode 644)"))
        let short = dir + "/short.key"
        FileManager.default.createFile(atPath: short, contents: Data("tooshort".utf8), attributes: [.posixPermissions: 0o600])
        #expect(
            message { _ = try Privacy.pseudonymKey(keyFile: short, environment: [:]) }.contains(
                "8 bytes, shorter than 16; it is never replaced"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: short)) == Data("tooshort".utf8), "a short key file is left as it is")
        #expect(
            message { _ = try Privacy.pseudonymKey(keyFile: file, environment: ["BALLAST_PSEUDONYM_KEY": "aaaaaaaaaaaaaaaa"]) }.contains(
                "too little variety"))
        #expect(
            message { _ = try Privacy.pseudonymKey(keyFile: file, environment: ["BALLAST_PSEUDONYM_KEY": "short"]) }.contains(
                "BALLAST_PSEUDONYM_KEY"))
        #expect(message { _ = try Privacy.pseudonymKey(keyFile: "", environment: [:]) }.contains("HOME is not set"))
    }
}
