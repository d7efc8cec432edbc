import BallastTestSupport
import Foundation
import Testing

@testable import BallastMarketData

@Suite("Price sanity")
struct PriceSanityTests {
    static let stocks = try! PriceCSV.read(path: TestSupport.path("market-data/sp500_20.csv"))

    /// The bundled table with one price of `symbol` on row `row` replaced by `value`.
    static func corrupted(_ symbol: String, row: Int, _ value: (Double) -> Double) throws -> PriceTable {
        let t = stocks
        var values = t.values
        let j = try #require(t.index(of: symbol))
        values[row + j * t.rowCount] = value(values[row + j * t.rowCount])
        return try PriceTable(symbols: t.symbols, dates: t.dates, values: values)
    }

    @Test("every bundled price file passes the default rule")
    func bundledDataPasses() throws {
        for file in ["market-data/sp500_20.csv", "market-data/factors_etf5.csv", "market-data/sp500_index.csv"] {
            let table = try PriceCSV.read(path: TestSupport.path(file))
            #expect(PriceSanityRule().outliers(in: table).isEmpty, "\(file)")
        }
    }

    @Test(
        "a price times 1000, set to 1e-10 or to 1e300, or off by a factor of ten, is named with its symbol and date",
        arguments: [1000.0, 1e-10, 1e300, 10.0])
    func outliersAreNamed(_ factor: Double) throws {
        let row = 7600
        let table = try Self.corrupted("AAPL", row: row) { factor >= 1e-10 && factor < 1 ? factor : $0 * factor }
        let found = PriceSanityRule().outliers(in: table, file: "prices.csv")
        #expect(!found.isEmpty)
        #expect(found.allSatisfy { $0.symbol == "AAPL" && $0.file == "prices.csv" })
        #expect(found.contains { $0.date == table.dates[row] }, "the suspect date is named: \(found)")
        #expect(found.first!.description.contains("prices.csv: AAPL on \(table.dates[row])"))
        // A real 52% fall (AAPL, 2000-09-29) is not an outlier.
        #expect(PriceSanityRule().outliers(in: Self.stocks).isEmpty)
    }

    @Test("the limits are configurable and the fixed limits hold for any series")
    func limits() throws {
        let dates = (0..<4).map { MarketDate(iso: "2021-01-04")!.adding(days: $0) }
        let t = try PriceTable(symbols: ["X"], dates: dates, values: [10, 10.5, 110, 111])
        let found = PriceSanityRule().outliers(in: t)
        #expect(found.count == 1 && found[0].date == dates[2] && found[0].previousPrice == 10.5)
        var loose = PriceSanityRule()
        loose.maximumReturn = 20
        loose.robustVolatilityMultiple = 1e9
        #expect(loose.outliers(in: t).isEmpty)
    }

    @Test("the price in force at a date is refused only when it is the suspect one")
    func inForce() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-sanity-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("p.csv").path
        try "date,X,Y\n2021-01-04,10,5\n2021-01-05,10.1,5\n2021-01-06,1e-10,5.1\n2021-01-07,10.2,5\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        let set = try PriceFileSet(paths: [path])
        #expect(set.outliers.count == 2)
        #expect(set.outliers(inForceAt: MarketDate(iso: "2021-01-06")!).map(\.symbol) == ["X"])
        #expect(set.outliers(inForceAt: MarketDate(iso: "2021-01-05")!).isEmpty)
        #expect(try PriceFileSet(paths: [path], rule: nil).outliers.isEmpty)
    }
}
