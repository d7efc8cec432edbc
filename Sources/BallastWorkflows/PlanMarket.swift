import BallastMarketData
import BallastProfiling
import BallastRebalancing
import Foundation

/// How price files are checked for implausible moves before they are used: warn, or refuse
/// with `strict`; and never trade on a suspect price in force.
public struct PriceCheck: Sendable {
    /// The rule of implausible moves.
    public var rule = PriceSanityRule()
    /// Refuse files with implausible moves instead of warning.
    public var strict = false

    /// The default check: warn.
    public init() {}

    /// Reads, checks and joins the price files.
    ///
    /// - Returns: the files and one warning per implausible move (at most ten, then a count).
    /// - Throws: ``PlanMarketError`` listing the moves with `strict`, and the files' read errors.
    public func load(_ paths: [String]) throws -> (set: PriceFileSet, warnings: [String]) {
        let set = try PriceFileSet(paths: paths, rule: rule)
        guard !set.outliers.isEmpty else { return (set, []) }
        let shown = set.outliers.prefix(10).map(\.description)
        let more = set.outliers.count > 10 ? ["and \(set.outliers.count - 10) more"] : []
        if strict {
            throw PlanMarketError(
                "implausible prices (--strict):\n  " + (shown + more).joined(separator: "\n  ")
                    + "\nfix the prices, or run without --strict to use them with a warning")
        }
        return (set, (shown + more).map { "implausible price: \($0)" })
    }

    /// Refuses to trade when a price in force on `day` is a suspect one.
    ///
    /// - Throws: ``PlanMarketError`` naming each suspect price.
    public static func refuseTrading(_ set: PriceFileSet, on day: MarketDate) throws(PlanMarketError) {
        let suspect = set.outliers(inForceAt: day)
        if !suspect.isEmpty {
            throw PlanMarketError(
                "refusing to trade on implausible prices in force on \(day):\n  " + suspect.map(\.description).joined(separator: "\n  ")
                    + "\nfix the prices or choose another --as-of")
        }
    }
}

/// The prices a plan trades at and the models it trades to, on a date: from the investment
/// process's universe, from price files (the stock universe), or from a price map.
public struct PlanMarket: Sendable {
    /// The last present price of each symbol on or before ``day``.
    public var prices: [String: Double]
    /// The date of the plan: the last date of the prices on or before the requested date.
    public var day: MarketDate
    /// The price history (the universe's, or the price files).
    public var history: PriceTable
    /// The investment process whose menu is traded to (`nil`: the stock universe).
    public var process: InvestmentProcess?
    /// The products and their ratings on the date, when the process supplies them.
    public var catalog: ProductCatalog?
    /// What the caller should know: a stale date, implausible prices.
    public var warnings: [String] = []

    /// Where the prices come from.
    public enum Source: Sendable {
        /// The investment process's universe.
        case process(InvestmentProcess)
        /// Price files (the stock universe); the bundled files when empty.
        case files([String])
        /// A JSON object `{symbol: price}` in a file; the history for the models is the
        /// process's, or the given price files'.
        case priceMap(String, process: InvestmentProcess?, history: [String])
    }

    /// The market of `source` on `asOf` (default: the data's last date), resolved as every
    /// command resolves its date (`PriceTable.resolveAsOf`).
    ///
    /// - Throws: ``PlanMarketError`` for a bad price map or a suspect price in force, and the
    ///   price files' errors.
    public static func load(_ source: Source, asOf: MarketDate?, check: PriceCheck) throws -> PlanMarket {
        switch source {
        case .process(let process):
            let resolved = try process.prices.resolveAsOf(asOf)
            return PlanMarket(
                prices: process.prices.lastPrices(onOrBefore: resolved.date), day: resolved.date, history: process.prices,
                process: process, catalog: process.catalogInForce(asOf: resolved.date), warnings: resolved.staleness.map { [$0] } ?? [])
        case .files(let paths):
            let (set, warnings) = try check.load(paths)
            let resolved = try set.table.resolveAsOf(asOf)
            try PriceCheck.refuseTrading(set, on: resolved.date)
            return PlanMarket(
                prices: set.table.lastPrices(onOrBefore: resolved.date), day: resolved.date, history: set.table,
                warnings: warnings + (resolved.staleness.map { [$0] } ?? []))
        case .priceMap(let path, let process, let files):
            guard let d = FileManager.default.contents(atPath: path) else { throw PlanMarketError("\(path): no such file") }
            let m: [String: Double]
            do { m = try JSONDecoder().decode([String: Double].self, from: d) } catch {
                throw PlanMarketError("\(path): expected a JSON object {symbol: price}")
            }
            if let bad = m.sorted(by: { $0.key < $1.key }).first(where: { !($0.value > 0 && $0.value.isFinite) }) {
                throw PlanMarketError("\(path): \(bad.key): the price \(bad.value) is not a positive number")
            }
            // The models are built on the history up to the same date, and each mapped price is
            // checked against the last close there by the same rule as price files.
            var warnings: [String] = []
            let history: PriceTable
            if let process {
                history = process.prices
            } else {
                let loaded = try check.load(files)
                (history, warnings) = (loaded.set.table, loaded.warnings)
            }
            let resolved = try history.resolveAsOf(asOf)
            let closes = history.lastPrices(onOrBefore: resolved.date)
            for (s, p) in m.sorted(by: { $0.key < $1.key }) {
                guard let close = closes[s] else { continue }
                let r = p / close - 1
                if !(r <= check.rule.maximumReturn && r >= check.rule.minimumReturn) {
                    throw PlanMarketError(
                        "\(path): \(s): the price \(p) is \(String(format: "%+.1f%%", r * 100)) from the last close \(close) on \(resolved.date), beyond the limits of the price check (+900%/-95%); correct the price"
                    )
                }
            }
            let day = asOf ?? resolved.date
            return PlanMarket(
                prices: m, day: day, history: history, process: process, catalog: process?.catalogInForce(asOf: day), warnings: warnings)
        }
    }

    /// Target weights by model id: the `models` file (checked by `TargetWeights`), or the
    /// levels' models on the date exactly as `recommend` builds them (the menu in force, or the
    /// stock level models); `only`: just that level.
    public func targets(models: String?, levels: RiskLevels, catalog: ProductCatalog, only: String? = nil) throws -> [String: [String:
        Double]]
    {
        if let models { return try TargetWeights.read(models: models, known: Set(prices.keys)) }
        let day = try history.resolveAsOf(day).date
        var out: [String: [String: Double]] = [:]
        if let process {
            // The menu in force on the date, as `recommend` trades to it.
            for p in try process.review(asOf: day).menu.portfolios where only == nil || only == p.label { out[p.label] = p.weights }
            return out
        }
        let builder = try ModelPortfolioBuilder(prices: history, through: day, catalog: catalog, levels: levels)
        for level in levels.levels where only == nil || only == level.label {
            out[level.label] = try builder.portfolio(for: level).weights.filter { $0.value > 0 }
        }
        return out
    }
}

/// Prices or targets a plan cannot use, with the file, the symbol and the fix.
public struct PlanMarketError: Error, Sendable, CustomStringConvertible {
    /// The message.
    public let description: String
    /// An error with its message.
    public init(_ description: String) { self.description = description }
}
