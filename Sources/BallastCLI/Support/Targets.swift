import ArgumentParser
import Ballast
import Foundation

/// Where target weights and the prices at a date come from: `ballast rebalance` and
/// `ballast generate-accounts`.
struct TargetOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Model portfolios: JSON object of model id to {symbol: weight}.", valueName: "file"))
    var models: String?

    @Option(help: ArgumentHelp("Prices as a JSON map {symbol: price} instead of price files.", valueName: "file"))
    var priceMap: String?

    @Option(
        parsing: .upToNextOption, help: ArgumentHelp("Price files; the last row on or before --as-of is used.", valueName: "file"))
    var prices: [String] = ["market-data/sp500_20.csv", "market-data/factors_etf5.csv"]

    @Option(
        help: ArgumentHelp(
            "Date of the prices, of calendar triggers and of generated last-rebalance dates (default: the last date in the prices).",
            valueName: "date"))
    var asOf: MarketDate?

    @OptionGroup(title: "Price checks") var check: PriceCheckOptions

    /// Prices at the date: the last present price on or before it in the files, or the map.
    func loadPrices() throws -> (prices: [String: Double], date: MarketDate) {
        if let priceMap {
            guard let d = FileManager.default.contents(atPath: priceMap), let m = try? JSONDecoder().decode([String: Double].self, from: d)
            else {
                throw InputFileError(description: "\(priceMap): expected a JSON object {symbol: price}")
            }
            return (m, asOf ?? today())
        }
        let set = try check.load(prices)
        let table = set.table
        let day = asOf ?? table.dates.last!
        let suspect = set.outliers(inForceAt: day)
        if !suspect.isEmpty {
            throw InputFileError(
                description: "refusing to trade on implausible prices in force on \(day):\n  "
                    + suspect.map(\.description).joined(separator: "\n  ") + "\nfix the prices or choose another --as-of")
        }
        let priceAt = table.lastPrices(onOrBefore: day)
        if priceAt.isEmpty { throw InputFileError(description: "no prices on or before \(day); the files start \(table.dates.first!)") }
        return (priceAt, day)
    }

    /// Target weights by model id: the --models file, or the levels' model portfolios built
    /// on the bundled data (`only`: just that level).
    func loadTargets(day: MarketDate, catalog: ProductCatalog, files: ProfilingFiles, only: String? = nil) throws -> [String: [String:
        Double]]
    {
        if let models {
            guard let d = FileManager.default.contents(atPath: models),
                let m = try? JSONDecoder().decode([String: [String: Double]].self, from: d)
            else {
                throw InputFileError(description: "\(models): expected a JSON object of model id to {symbol: weight}")
            }
            return m.mapValues { $0.filter { $0.value > 1e-9 } }
        }
        let levels = try files.loadLevels()
        let table = try PriceCSV.read(path: "market-data/sp500_20.csv").merged(
            with: try PriceCSV.read(path: "market-data/factors_etf5.csv"))
        let builder = try ModelPortfolioBuilder(prices: table, through: day, catalog: catalog, levels: levels)
        var out: [String: [String: Double]] = [:]
        for level in levels.levels where only == nil || only == level.label {
            out[level.label] = try builder.portfolio(for: level).weights.filter { $0.value > 1e-9 }
        }
        return out
    }
}
