import BallastMarketData
import Foundation

/// Computes ``BehaviourSignals`` from an account history and market data.
///
/// Definitions:
/// - **Fall**: a trading day on which the market index is at least 10% below its highest
///   close of the previous 252 trading days (one year).
/// - **Panic selling**: sales of risky products (every product but cash) that, within 30
///   calendar days starting at a sale made during a fall, add up to at least half of the
///   risky holdings' value the day before that sale. Holdings in the past are reconstructed
///   by undoing the trades since, from the current holdings.
/// - **Trades per year**: number of trades over the years from the first trade to `asOf`
///   (at least one month).
/// - **Annual turnover**: half the traded value per year divided by the current portfolio
///   value (holdings at their latest price, plus cash).
/// - **Concentration**: Herfindahl index `Σ s_i²` of the risky holdings' shares of their total.
/// - **Highest rating held**: the highest product rating among current holdings and traded
///   products.
/// - **Views during falls**: account views per fall day divided by views per calm day, over the
///   trading days from the first view to `asOf`.
public struct BehaviourAnalyzer: Sendable {
    /// Market index prices (one column), e.g. `market-data/sp500_index.csv`.
    public var market: PriceTable
    /// Prices for valuing holdings (any number of tables; the first that has a symbol wins).
    public var prices: [PriceTable]
    /// Products with their ratings and asset classes.
    public var catalog: ProductCatalog

    /// An analyzer with the market index, the product prices and the catalogue.
    public init(market: PriceTable, prices: [PriceTable], catalog: ProductCatalog) {
        self.market = market
        self.prices = prices
        self.catalog = catalog
    }

    /// The fall days of the market up to `asOf` (as a set of day numbers).
    func fallDays(until asOf: MarketDate) -> Set<Int> {
        var out = Set<Int>()
        let values = market.prices(atColumn: 0)
        let base = values.startIndex
        var window: [Double] = []
        for (i, d) in market.dates.enumerated() where d <= asOf {
            let v = values[base + i]
            if v.isNaN { continue }
            window.append(v)
            if window.count > 252 { window.removeFirst() }
            if let peak = window.max(), v <= 0.9 * peak { out.insert(d.dayNumber) }
        }
        return out
    }

    /// The price of a symbol at a date: the last close on or before it, else the last trade
    /// price known from the history, else nil.
    func price(_ symbol: String, at date: MarketDate, history: [CustomerTrade]) -> Double? {
        if symbol == "CASH" { return 1 }
        for table in prices {
            guard let j = table.index(of: symbol), let i = table.lastIndex(onOrBefore: date) else { continue }
            let column = table.prices(atColumn: j)
            var k = i
            while k >= 0 {
                let v = column[column.startIndex + k]
                if !v.isNaN { return v }
                k -= 1
            }
        }
        return history.last { $0.symbol == symbol && $0.date <= date }?.price
    }

    func isRisky(_ symbol: String) -> Bool { !(catalog.product(symbol)?.isCash ?? (symbol == "CASH")) }

    /// Computes the signals.
    public func signals(for customer: CustomerFile, asOf: MarketDate) -> BehaviourSignals {
        let history = customer.behaviour ?? BehaviourHistory()
        let trades = history.trades.filter { $0.date <= asOf }
        let falls = fallDays(until: asOf)
        // Current values.
        var values: [String: Double] = [:]
        for (s, q) in customer.holdings { values[s] = q * (price(s, at: asOf, history: trades) ?? 0) }
        // Sums run in symbol order so that the same holdings always give the same bits.
        let valued = values.sorted { $0.key < $1.key }
        let portfolioValue = valued.reduce(0) { $0 + $1.value } + customer.cash
        let risky = valued.filter { isRisky($0.key) }.map(\.value)
        let riskyTotal = risky.reduce(0, +)
        let concentration = riskyTotal > 0 ? risky.reduce(0) { $0 + ($1 / riskyTotal) * ($1 / riskyTotal) } : 0
        // Holdings at the start of a date, by undoing later trades.
        func holdings(before date: MarketDate) -> [String: Double] {
            var h = customer.holdings
            for t in trades where t.date >= date {
                h[t.symbol, default: 0] -= t.side == .buy ? t.quantity : -t.quantity
            }
            return h
        }
        var panicDate: MarketDate?
        for t in trades where t.side == .sell && isRisky(t.symbol) && falls.contains(t.date.dayNumber) {
            let before = holdings(before: t.date)
            let dayBefore = t.date.adding(days: -1)
            var riskyValue = 0.0
            for (s, q) in before.sorted(by: { $0.key < $1.key }) where isRisky(s) && q > 0 {
                riskyValue += q * (price(s, at: dayBefore, history: trades) ?? t.price)
            }
            let end = t.date.adding(days: 30)
            let sold = trades.filter { $0.side == .sell && isRisky($0.symbol) && $0.date >= t.date && $0.date <= end }.reduce(0) {
                $0 + $1.quantity * $1.price
            }
            if riskyValue > 0 && sold >= 0.5 * riskyValue {
                panicDate = t.date
                break
            }
        }
        var tradesPerYear = 0.0
        var turnover = 0.0
        if let first = trades.first?.date {
            let years = Double(max(asOf.dayNumber - first.dayNumber, 30)) / 365.25
            tradesPerYear = Double(trades.count) / years
            let traded = trades.reduce(0) { $0 + $1.quantity * $1.price }
            turnover = portfolioValue > 0 ? traded / 2 / years / portfolioValue : 0
        }
        let symbols = Set(customer.holdings.keys).union(trades.map(\.symbol))
        let highest = symbols.compactMap { catalog.product($0)?.riskRating }.max()
        var ratio: Double?
        let views = history.accountViews.filter { $0 <= asOf }
        if let firstView = views.first {
            let span = market.dates.filter { $0 >= firstView && $0 <= asOf }
            let fallCount = span.filter { falls.contains($0.dayNumber) }.count
            let calmCount = span.count - fallCount
            let inFalls = views.filter { falls.contains($0.dayNumber) }.count
            let inCalm = views.count - inFalls
            if fallCount > 0 && calmCount > 0 && inCalm > 0 {
                ratio = (Double(inFalls) / Double(fallCount)) / (Double(inCalm) / Double(calmCount))
            }
        }
        return BehaviourSignals(
            panicSelling: panicDate != nil, panicSellingDate: panicDate, tradesPerYear: tradesPerYear, annualTurnover: turnover,
            concentration: concentration, highestRatingHeld: highest, viewsInFallsRatio: ratio)
    }
}
