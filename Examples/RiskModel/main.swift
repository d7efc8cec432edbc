// Embedding Ballast: estimate a risk model from a price file in a few lines.
//
//   swift run ballast-example-risk-model [prices.csv]
import Ballast

let path = CommandLine.arguments.dropFirst().first ?? "market-data/sp500_20.csv"
do {
    let prices = try PriceCSV.read(path: path)

    var model = RiskModelConfiguration()
    model.start = MarketDate(iso: "2018-01-01")
    model.covariance = .ledoitWolf(.constantCorrelation)
    model.expectedReturns = .geometric

    let distribution = try model.estimate(prices: prices)
    print("\(distribution.assets.count) assets, \(distribution.window?.observations ?? 0) daily returns")
    print("shrinkage intensity:", distribution.provenance.shrinkage ?? 0)
    for (asset, (mu, sigma)) in zip(distribution.assets, zip(distribution.expectedReturns, distribution.volatilities)).prefix(5) {
        print(asset, "expected", (mu * 1000).rounded() / 10, "% volatility", (sigma * 1000).rounded() / 10, "%")
    }
} catch {
    print("error: \(error)")
}
