import Ballast
import BallastTestSupport
import Foundation
import Testing

@testable import BallastWorkflows

@Suite("Capital-market assumptions")
struct AssumptionsTests {
    static let specPath = TestSupport.path("market-data/multi-asset/assumptions.json")

    struct Reference: Decodable {
        struct Case: Decodable {
            var asOf: String
            var symbols: [String]
            var windowStart: String
            var months: Int
            var riskFreeRate: Double
            var riskAversion: Double
            var covariance: [[Double]]
            var prior: [Double]
            var posterior: [Double]
            var historicalMean: [Double]
        }
        var cases: [Case]
    }

    @Test("the bundled rule matches pandas, PyPortfolioOpt's Ledoit-Wolf and Black-Litterman (Idzorek) to 1e-10 on two dates")
    func matchesReference() throws {
        let reference = try TestSupport.fixture("assumptions_reference.json", as: Reference.self)
        let builder = try AssumptionsBuilder(path: Self.specPath)
        for c in reference.cases {
            let a = try builder.build(asOf: try #require(MarketDate(iso: c.asOf)))
            #expect(a.symbols == c.symbols)
            #expect(a.window.start.description == c.windowStart && a.window.observations == c.months)
            #expect(abs(a.method.riskFreeRate - c.riskFreeRate) <= 1e-11 * abs(c.riskFreeRate), "stored to 12 digits")
            #expect(abs(try #require(a.method.riskAversion) - c.riskAversion) < 1e-10 * c.riskAversion)
            let cov = a.covariance.flatMap { $0 }
            #expect(TestSupport.maxRelativeError(cov, c.covariance.flatMap { $0 }) < 1e-10, "\(c.asOf) covariance")
            #expect(TestSupport.maxRelativeError(a.assets.map { $0.equilibriumReturn! }, c.prior) < 1e-10, "\(c.asOf) prior")
            #expect(TestSupport.maxRelativeError(a.assets.map(\.expectedReturn), c.posterior) < 1e-10, "\(c.asOf) posterior")
            #expect(
                TestSupport.maxRelativeError(a.assets.map(\.historicalMean), c.historicalMean) < 1e-11,
                "\(c.asOf) mean (stored to 12 digits)")
        }
    }

    @Test("assumptions use no data after their date: changing later prices changes nothing")
    func noLookAhead() throws {
        let builder = try AssumptionsBuilder(path: Self.specPath)
        let day = try #require(MarketDate(iso: "2004-06-30"))
        let a = try builder.build(asOf: day)
        var shaken = builder
        let t = builder.universe.levels
        var v = t.values
        let last = try #require(t.lastIndex(onOrBefore: day))
        for j in 0..<t.symbolCount { for i in (last + 1)..<t.rowCount { v[i + j * t.rowCount] *= 1 + 0.1 * Double((i + j) % 3) } }
        shaken.universe.levels = try PriceTable(symbols: t.symbols, dates: t.dates, values: v)
        #expect(try shaken.build(asOf: day) == a)
    }

    @Test("a file carries its inputs' digests and its own; an edited number is refused on reading")
    func digests() throws {
        let a = try AssumptionsBuilder(path: Self.specPath).build()
        #expect(a.inputs.count == 5 && a.inputs.allSatisfy { $0.sha256.count == 64 })
        #expect(a.digest == a.contentDigest && a.approval.status == .draft)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-cma-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("a.json").path
        try CapitalMarketAssumptions.encoder.encode(a).write(to: URL(fileURLWithPath: file))
        #expect(try CapitalMarketAssumptions.read(path: file) == a)
        var edited = a
        edited.assets[5].expectedReturn += 0.01
        try CapitalMarketAssumptions.encoder.encode(edited).write(to: URL(fileURLWithPath: file))
        do {
            _ = try CapitalMarketAssumptions.read(path: file)
            Issue.record("an edited expected return must not pass")
        } catch {
            #expect(error.description.contains("does not match their digest"))
        }
    }

    @Test("bad specifications name the field: an unknown view member, a confidence above 1, missing market weights")
    func errors() throws {
        let builder = try AssumptionsBuilder(path: Self.specPath)
        var s = builder.specification
        s.expectedReturns.views![3].long = "NOPE"
        #expect(throws: InvestmentProcessError.self) { try AssumptionsBuilder(specification: s, universe: builder.universe) }
        s = builder.specification
        s.expectedReturns.views![0].confidence = 1.5
        do {
            _ = try AssumptionsBuilder(specification: s, universe: builder.universe)
            Issue.record("confidence 1.5")
        } catch { #expect(error.field == "expectedReturns.views[0].confidence") }
        s = builder.specification
        s.expectedReturns.marketWeights!["OIL"] = nil
        do {
            _ = try AssumptionsBuilder(specification: s, universe: builder.universe)
            Issue.record("no weight for OIL")
        } catch { #expect(error.description.contains("OIL has no market weight")) }
    }

    @Test("the alternatives: James-Stein lies between the historical mean and its target; CAPM is rf plus beta times the premium")
    func alternatives() throws {
        let builder = try AssumptionsBuilder(path: Self.specPath)
        var s = builder.specification
        s.expectedReturns.method = .jamesStein
        let js = try AssumptionsBuilder(specification: s, universe: builder.universe).build()
        let spread = { (x: [Double]) in x.max()! - x.min()! }
        #expect(spread(js.assets.map(\.expectedReturn)) < spread(js.assets.map(\.historicalMean)))
        s.expectedReturns.method = .capm
        s.expectedReturns.capmMarket = "USEQ"
        let capm = try AssumptionsBuilder(specification: s, universe: builder.universe).build()
        let eq = try #require(capm.assets.first { $0.symbol == "USEQ" })
        #expect(abs(eq.expectedReturn - eq.historicalMean) < 1e-12, "the market's CAPM return is its own mean")
    }

    @Test("a spec naming its universe by an absolute path works from anywhere; a date after the data is dated by the data")
    func absoluteUniverseAndLateDate() throws {
        var spec = try JSONDecoder().decode(AssumptionsSpecification.self, from: try Data(contentsOf: URL(fileURLWithPath: Self.specPath)))
        spec.universe = TestSupport.path("market-data/multi-asset/universe.json")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-spec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("spec.json")
        try JSONEncoder().encode(spec).write(to: file)
        let late = try AssumptionsBuilder(path: file.path).build(asOf: try #require(MarketDate(iso: "2030-01-01")))
        #expect(late.asOf.description == "2010-03-31" && late.version.hasSuffix("@2010-03-31"))
    }
}
