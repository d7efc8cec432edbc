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
        parsing: .upToNextOption,
        help: ArgumentHelp(
            "Price files; the last row on or before --as-of is used (implies --universe stocks; default: the universe's prices).",
            valueName: "file"))
    var prices: [String] = []

    @OptionGroup(title: "Model source") var source: ModelSourceOptions

    @Option(
        help: ArgumentHelp(
            "Date of the prices, of calendar triggers and of generated last-rebalance dates (default: the last date in the prices).",
            valueName: "date"))
    var asOf: MarketDate?

    @OptionGroup(title: "Price checks") var check: PriceCheckOptions

    /// The catalogue of the run: the process's on the date, or the catalogue file.
    func catalog(_ market: PlanMarket, files: ProfilingFiles) throws -> ProductCatalog {
        try market.catalog ?? files.loadCatalog()
    }

    func validate() throws { try source.check(prices: prices) }

    /// The prices in force at the date and the history, with the date resolved as every command
    /// resolves `--as-of`; a stale date or an implausible price is a warning on standard error.
    func load() throws -> PlanMarket {
        let process = try source.process(prices: prices)
        let files = try (prices.isEmpty ? Self.bundledPrices : prices).map { try bundled($0) }
        let origin: PlanMarket.Source =
            if let priceMap { .priceMap(try bundled(priceMap), process: process, history: files) } else if let process {
                .process(process)
            } else { .files(files) }
        let market = try PlanMarket.load(origin, asOf: asOf, check: check.checker)
        for w in market.warnings { printError("warning: \(w)") }
        return market
    }

    /// The bundled price files the level models are built from by default.
    static let bundledPrices = ["market-data/sp500_20.csv", "market-data/factors_etf5.csv"]

    /// Target weights by model id (`only`: just that level).
    func loadTargets(_ market: PlanMarket, catalog: ProductCatalog, files: ProfilingFiles, only: String? = nil) throws -> [String: [String:
        Double]]
    {
        try market.targets(models: try models.map { try bundled($0) }, levels: try files.loadLevels(), catalog: catalog, only: only)
    }
}
