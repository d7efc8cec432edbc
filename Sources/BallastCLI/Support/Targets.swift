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

    /// The prices a plan trades at, and the history the level models are built from.
    struct Market {
        /// The last present price of each symbol on or before ``day``.
        var prices: [String: Double]
        /// The date of the plan: the last date of the prices on or before `--as-of`.
        var day: MarketDate
        /// The price history (the universe's, or the bundled files when prices come from a map).
        var history: PriceTable
        /// The investment process whose menu is traded to (`nil`: the stock universe).
        var process: InvestmentProcess?
        /// The products and their ratings on the date, when the process supplies them.
        var catalog: ProductCatalog?
    }

    /// The catalogue of the run: the process's on the date, or the catalogue file.
    func catalog(_ market: Market, files: ProfilingFiles) throws -> ProductCatalog {
        try market.catalog ?? files.loadCatalog()
    }

    func validate() throws { try source.check(prices: prices) }

    /// The prices in force at the date (the last on or before it in the files, or the map)
    /// and the history, with the date resolved as every command resolves `--as-of`
    /// (`PriceTable.resolveAsOf`): a stale date is a warning that names the staleness.
    func load() throws -> Market {
        let process = try source.process(prices: prices)
        if let process, priceMap == nil {
            let resolved = try process.prices.resolveAsOf(asOf)
            if let stale = resolved.staleness { printError("warning: \(stale)") }
            let day = resolved.date
            return Market(
                prices: process.prices.lastPrices(onOrBefore: day), day: day, history: process.prices, process: process,
                catalog: process.catalogInForce(asOf: day))
        }
        if let priceMap {
            guard let d = FileManager.default.contents(atPath: priceMap), let m = try? JSONDecoder().decode([String: Double].self, from: d)
            else {
                throw InputFileError(description: "\(priceMap): expected a JSON object {symbol: price}")
            }
            if let bad = m.first(where: { !($0.value > 0 && $0.value.isFinite) }) {
                throw InputFileError(description: "\(priceMap): \(bad.key): the price \(bad.value) is not a positive number")
            }
            // The models are built on the bundled history up to the same date, and each mapped
            // price is checked against the last close there by the same rule as price files.
            let history = try process?.prices ?? check.load(Self.bundledPrices).table
            let resolved = try history.resolveAsOf(asOf)
            let closes = history.lastPrices(onOrBefore: resolved.date)
            for (s, p) in m.sorted(by: { $0.key < $1.key }) {
                guard let close = closes[s] else { continue }
                let r = p / close - 1
                let rule = check.rule
                if !(r <= rule.maximumReturn && r >= rule.minimumReturn) {
                    throw InputFileError(
                        description:
                            "\(priceMap): \(s): the price \(p) is \(String(format: "%+.1f%%", r * 100)) from the last close \(close) on \(resolved.date), beyond the limits of the price check (+900%/-95%); correct the price"
                    )
                }
            }
            return Market(
                prices: m, day: asOf ?? resolved.date, history: history, process: process,
                catalog: process?.catalogInForce(asOf: asOf ?? resolved.date))
        }
        let set = try check.load(prices.isEmpty ? Self.bundledPrices : prices)
        let resolved = try set.table.resolveAsOf(asOf)
        if let stale = resolved.staleness { printError("warning: \(stale)") }
        let day = resolved.date
        try PriceCheckOptions.refuseTrading(set, on: day)
        return Market(prices: set.table.lastPrices(onOrBefore: day), day: day, history: set.table)
    }

    /// The bundled price files the level models are built from by default.
    static let bundledPrices = ["market-data/sp500_20.csv", "market-data/factors_etf5.csv"]

    /// Target weights by model id: the --models file (checked by `TargetWeights`), or the
    /// levels' model portfolios built from the price history up to the plan's date exactly
    /// as `recommend` builds them (`only`: just that level).
    func loadTargets(_ market: Market, catalog: ProductCatalog, files: ProfilingFiles, only: String? = nil) throws -> [String: [String:
        Double]]
    {
        if let models { return try TargetWeights.read(models: try bundled(models), known: Set(market.prices.keys)) }
        let levels = try files.loadLevels()
        let day = try market.history.resolveAsOf(market.day).date
        if let process = market.process {
            // The menu in force on the date, as `recommend` trades to it.
            let menu = try process.review(asOf: day).menu
            var out: [String: [String: Double]] = [:]
            for p in menu.portfolios where only == nil || only == p.label { out[p.label] = p.weights }
            return out
        }
        let builder = try ModelPortfolioBuilder(prices: market.history, through: day, catalog: catalog, levels: levels)
        var out: [String: [String: Double]] = [:]
        for level in levels.levels where only == nil || only == level.label {
            out[level.label] = try builder.portfolio(for: level).weights.filter { $0.value > 0 }
        }
        return out
    }
}
