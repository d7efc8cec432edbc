import BallastTestSupport
import Foundation
import Testing

@testable import BallastMarketData

@Suite("Return series, yields and bond returns")
struct SeriesAndBondTests {
    static let yieldsPath = TestSupport.path("market-data/multi-asset/ust_par_yields_daily_1990_2017.csv")

    @Test("constant-maturity returns match the independent cash-flow valuation (pandas) to 1e-13, missing yields stay missing")
    func matchesReference() throws {
        let yields = try SeriesFile.read(path: Self.yieldsPath, kind: .yields)
        let ours = try BondReturns.fromYields(yields, maturities: [2, 5, 10, 30], frequency: .monthly)
        let reference = try SeriesFile.read(path: TestSupport.path("Tests/Fixtures/bond_returns_reference.csv"), kind: .returns)
        #expect(ours.dates == reference.dates)
        #expect(ours.symbols == reference.symbols)
        var worst = 0.0
        var missing = 0
        for i in 0..<ours.values.count {
            let a = ours.values[i]
            let b = reference.values[i]
            #expect(a.isNaN == b.isNaN, "row \(i % ours.rowCount) of \(ours.symbols[i / ours.rowCount])")
            if a.isNaN { missing += 1 } else { worst = max(worst, abs(a - b)) }
        }
        #expect(worst < 1e-13, "largest difference \(worst)")
        #expect(missing == 48, "the 30-year yield is missing from 2002-02 to 2006-02")
    }

    @Test("an unchanged yield earns exactly the bond's own growth (1 + y/2)^(2 dt) - 1", arguments: [0.5, 2.0, 10.0, 30.0])
    func unchangedYield(maturity: Double) {
        for y in [-0.005, 0.0, 0.01, 0.0783, 0.15] {
            for dt in [1.0 / 365.25, 31 / 365.25, 0.2] where dt < maturity {
                let r = BondReturns.parBondReturn(maturity: maturity, previousYield: y, currentYield: y, elapsed: dt)
                let exact = Foundation.pow(1 + y / 2, 2 * dt) - 1
                #expect(abs(r - exact) < 1e-14, "M \(maturity) y \(y) dt \(dt): \(r) vs \(exact)")
            }
        }
    }

    @Test("the duration-convexity expansion is within its third-order error of the exact return")
    func durationConvexity() {
        // Modified duration and convexity of a 10-year par bond at 4%, by finite differences of
        // the price, then the second-order expansion for a 10 bp move over one month.
        let m = 10.0
        let y = 0.04
        let dt = 1.0 / 12
        let h = 1e-4
        let p0 = BondReturns.dirtyPrice(coupon: y, maturity: m - dt, yield: y)
        let up = BondReturns.dirtyPrice(coupon: y, maturity: m - dt, yield: y + h)
        let down = BondReturns.dirtyPrice(coupon: y, maturity: m - dt, yield: y - h)
        let duration = (down - up) / (2 * h * p0)
        let convexity = (up + down - 2 * p0) / (h * h * p0)
        let dy = 0.001
        let exact = BondReturns.parBondReturn(maturity: m, previousYield: y, currentYield: y + dy, elapsed: dt)
        let carry = p0 / 100 - 1
        let approximate = carry + (p0 / 100) * (-duration * dy + convexity * dy * dy / 2)
        #expect(duration > 7.5 && duration < 8.5)
        #expect(abs(exact - approximate) < 1e-6, "\(exact) vs \(approximate)")
        #expect(exact < carry, "a rising yield loses against carry")
    }

    @Test("yield columns name their maturities; a missing maturity or a bad one is refused with the columns there are")
    func maturities() throws {
        #expect(BondReturns.maturity(ofColumn: "2year") == 2)
        #expect(BondReturns.maturity(ofColumn: "6month") == 0.5)
        #expect(BondReturns.maturity(ofColumn: "UST10Y") == 10)
        #expect(BondReturns.maturity(ofColumn: "3m") == 0.25)
        #expect(BondReturns.maturity(ofColumn: "yield") == nil)
        #expect(BondReturns.maturity(ofColumn: "10") == nil)
        let yields = try SeriesFile.read(path: Self.yieldsPath, kind: .yields)
        do {
            _ = try BondReturns.fromYields(yields, maturities: [4])
            Issue.record("a 4-year maturity is not in the file")
        } catch {
            #expect(error.code == .invalidYield)
            #expect(error.description.contains("no 4-year column") && error.description.contains("30year"))
        }
        do {
            _ = try BondReturns.fromYields(yields, maturities: [0.1])
            Issue.record("0.1 years is not a whole number of half-years")
        } catch {
            #expect(error.description.contains("half-years"))
        }
    }

    @Test("percent files read as fractions, and fractions read as percent, are refused naming the unit to state")
    func units() throws {
        let percent = "date,RF\n2020-01-31,150\n2020-02-29,0.2\n"
        #expect(throws: MarketDataError.self) { try SeriesFile.parse(Data(percent.utf8), kind: .returns) }
        let r = try SeriesFile.parse(Data(percent.utf8), kind: .percentReturns)
        #expect(r.values == [1.5, 0.002])
        let y = "date,2year\n2020-01-31,7.83\n"
        do {
            _ = try SeriesFile.parse(Data(y.utf8), source: "y.csv", kind: .yields)
            Issue.record("7.83 as a fraction is 783%")
        } catch {
            #expect(error.code == .invalidYield && error.description.contains("percent-yields") && error.description.contains("y.csv"))
        }
        let lost = "date,X\n2020-01-31,-1\n"
        do {
            _ = try SeriesFile.parse(Data(lost.utf8), kind: .returns)
            Issue.record("-100% is not a return")
        } catch {
            #expect(error.code == .invalidReturn && error.description.contains("2020-01-31"))
        }
        // Negative returns and zero yields are data, not errors.
        let ok = try SeriesFile.parse(Data("date,A\n2020-01-31,-0.05\n2020-02-29,0\n".utf8), kind: .returns)
        #expect(ok.values == [-0.05, 0])
    }

    @Test("index levels reproduce every return, start at the previous month end, and refuse a gap inside a series")
    func levels() throws {
        let text = "date,A,B\n2020-01-31,0.01,\n2020-02-29,-0.02,0.03\n2020-03-31,0.005,0.01\n"
        let r = try SeriesFile.parse(Data(text.utf8), kind: .returns)
        let l = try SeriesFile.indexLevels(fromReturns: r)
        #expect(l.dates.first?.description == "2019-12-31")
        #expect(l.rowCount == 4)
        for j in 0..<2 {
            for i in 1..<4 where !r[i - 1, j].isNaN {
                #expect(abs(l[i, j] / l[i - 1, j] - 1 - r[i - 1, j]) < 1e-15)
            }
        }
        #expect(l[0, 1].isNaN && l[1, 1] == 100)
        let gap = "date,A\n2020-01-31,0.01\n2020-02-29,\n2020-03-31,0.01\n"
        do {
            _ = try SeriesFile.indexLevels(fromReturns: try SeriesFile.parse(Data(gap.utf8), kind: .returns))
            Issue.record("a gap inside a return series cannot be bridged")
        } catch {
            #expect(error.code == .invalidReturn && error.description.contains("2020-02-29"))
        }
    }

    @Test("maturities from text: whole half-years from 0.5 to 50, each once, and the wrong one named")
    func maturityList() throws {
        #expect(try BondReturns.maturities(parsing: "2, 5,10,30") == [2, 5, 10, 30])
        #expect(try BondReturns.maturities(parsing: "0.5,1.5,50") == [0.5, 1.5, 50])
        for (text, named) in [("", "``"), ("2,,5", "``"), ("0.25", "0.25"), ("51", "51"), ("x", "x"), ("2.3", "2.3"), ("nan", "nan")] {
            do throws(SettingProblem) {
                _ = try BondReturns.maturities(parsing: text)
                Issue.record("\(text) was accepted")
            } catch { #expect(error.field == "maturities" && error.message.contains(named == "``" ? "``" : "`\(named)`"), "\(error)") }
        }
        do throws(SettingProblem) {
            _ = try BondReturns.maturities(parsing: "5,10,5")
            Issue.record("a repeated maturity was accepted")
        } catch { #expect(error.message.contains("twice")) }
    }
}

@Suite("Multi-asset universe")
struct UniverseTests {
    static let path = TestSupport.path("market-data/multi-asset/universe.json")

    @Test("the bundled universe covers 1990-01 to 2010-03 at month ends, and its returns are the sources' own")
    func bundled() throws {
        let u = try AssetUniverse.load(path: Self.path)
        #expect(u.levels.symbols.count == 10)
        #expect(u.levels.dates.first?.description == "1990-01-31")
        #expect(u.lastCommonDate.description == "2010-03-31")
        #expect(u.levels.rowCount == 243)
        #expect(!u.levels.values.contains { $0.isNaN })
        // The US market's return in 2008-10 is Mkt-RF + RF from the file: -17.23 + 0.08 percent.
        let i = try #require(u.levels.dates.firstIndex { $0.description == "2008-10-31" })
        let j = try #require(u.levels.index(of: "USEQ"))
        #expect(abs(u.levels[i, j] / u.levels[i - 1, j] - 1 - (-0.1723 + 0.0008)) < 1e-12)
        // World equity is the MSCI level's own change.
        let w = try #require(u.levels.index(of: "WORLDEQ"))
        #expect(abs(u.levels[1, w] / u.levels[0, w] - 1) < 0.2)
    }

    @Test("ratings use only data up to the date: cash is R1, two-year Treasuries R1, US equity R3, oil R5 (in 2009)")
    func ratings() throws {
        let u = try AssetUniverse.load(path: Self.path)
        let date = try #require(MarketDate(iso: "2009-03-31"))
        let c = u.catalog(asOf: date)
        #expect(c.product("TBILLS")?.riskRating == .r1)
        #expect(c.product("UST2Y")?.riskRating == .r1)
        #expect(c.product("OIL")?.riskRating == .r5)
        #expect(c.product("USEQ")?.riskRating == .r3)
        // Changing data after the date leaves the ratings unchanged.
        var values = u.levels.values
        let n = u.levels.rowCount
        let last = try #require(u.levels.lastIndex(onOrBefore: date))
        let j = try #require(u.levels.index(of: "UST2Y"))
        for i in (last + 1)..<n { values[i + j * n] *= i % 2 == 0 ? 1.5 : 0.7 }
        var shaken = u
        shaken.levels = try PriceTable(symbols: u.levels.symbols, dates: u.levels.dates, values: values)
        #expect(shaken.catalog(asOf: date) == c)
    }

    @Test("a member naming a missing column, or members without a common year, are refused with the field")
    func errors() throws {
        var spec = try JSONDecoder().decode(UniverseSpecification.self, from: try Data(contentsOf: URL(fileURLWithPath: Self.path)))
        let folder = URL(fileURLWithPath: Self.path).deletingLastPathComponent().path
        spec.members[5].source.columns = ["Mkt"]
        do {
            _ = try AssetUniverse.load(spec, folder: folder)
            Issue.record("column Mkt is not in the file")
        } catch {
            #expect(
                error.code == .invalidUniverse && error.description.contains("members[5].source.columns")
                    && error.description.contains("Mkt_RF"))
        }
    }
}
