import BallastMarketData
import BallastTestSupport
import Foundation
import Testing

@Suite("Product catalogue")
struct CatalogTests {
    let catalog = try! ProductCatalog.read(path: TestSupport.path("market-data/catalog.json"))

    @Test("every price column has a product, and there is a cash product rated R1")
    func coverage() throws {
        for file in ["sp500_20.csv", "factors_etf5.csv"] {
            let t = try PriceCSV.read(path: TestSupport.path("market-data/" + file))
            for s in t.symbols { #expect(catalog.product(s) != nil, "\(s) has no catalogue entry") }
        }
        let cash = try #require(catalog.product("CASH"))
        #expect(cash.isCash)
        #expect(cash.riskRating == .r1)
    }

    @Test("each rating follows the documented rule on the bundled data")
    func ratingsFollowTheRule() throws {
        let rule = catalog.ratingRule
        for file in ["sp500_20.csv", "factors_etf5.csv"] {
            let r = try PriceCSV.read(path: TestSupport.path("market-data/" + file))
                .window(start: rule.start, end: rule.end).returns(periodsPerYear: 252)
            for (j, s) in r.symbols.enumerated() {
                let x = r.column(j).filter { !$0.isNaN }
                let mean = x.reduce(0, +) / Double(x.count)
                let sigma = (x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(x.count - 1) * 252).squareRoot()
                let product = try #require(catalog.product(s))
                #expect(product.riskRating == rule.rating(forVolatility: sigma), "\(s): volatility \(sigma)")
                #expect(abs((product.ratedVolatility ?? 0) - sigma) < 5e-5, "\(s): recorded volatility")
            }
        }
    }

    @Test(
        "bad catalogues name the JSON path",
        arguments: [
            (
                #"{"version":"1","ratingRule":{"description":"x","start":"2014-01-01","end":"2022-12-31","upperBounds":[0.1]},"products":[{"symbol":"A","name":"A","assetClass":"us-equity","currency":"USD","lotSize":1,"riskRating":"R9"}]}"#,
                "products[0].riskRating"
            ),
            (
                #"{"version":"1","ratingRule":{"description":"x","start":"2014-01-01","end":"2022-12-31","upperBounds":[0.1]},"products":[{"symbol":"A","name":"A","assetClass":"us-equity","currency":"USD","lotSize":0,"riskRating":"R2"}]}"#,
                "products[0].lotSize"
            ),
            (
                #"{"version":"1","ratingRule":{"description":"x","start":"2014-01-01","end":"2022-12-31","upperBounds":[0.1]},"products":[{"symbol":"A","assetClass":"us-equity","currency":"USD","lotSize":1,"riskRating":"R2"}]}"#,
                "products[0].name"
            ),
            (
                #"{"version":"1","ratingRule":{"description":"x","start":"2014-01-01","end":"2022-12-31","upperBounds":[0.1]},"products":[{"symbol":"CASH","name":"c","assetClass":"cash","currency":"USD","lotSize":1,"riskRating":"R3"}]}"#,
                "products[0].riskRating"
            ),
            (
                #"{"version":"1","ratingRule":{"description":"x","start":"2014-13-01","end":"2022-12-31","upperBounds":[0.1]},"products":[]}"#,
                "ratingRule.start"
            ),
        ])
    func badCatalogue(_ input: (String, String)) {
        do {
            _ = try ProductCatalog.decode(Data(input.0.utf8), source: "catalog.json")
            Issue.record("accepted a bad catalogue")
        } catch {
            #expect(error.code == .invalidCatalog)
            #expect(error.field == input.1, "\(error)")
        }
    }
}
