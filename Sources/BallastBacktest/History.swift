import BallastMarketData

/// The prices a strategy may see at a decision date: every row up to and including that date,
/// nothing after it.
///
/// The simulator builds one for each decision; the rows after the date are out of reach of
/// the strategy's code (they are private and every accessor stops at ``date``), so a strategy
/// cannot look ahead even by mistake.
public struct PriceHistory: Sendable {
    private let table: PriceTable
    private let last: Int

    /// The decision date (the last row visible).
    public var date: MarketDate { table.dates[last] }
    /// The symbols of the price table (also those without a price on the decision date).
    public var symbols: [String] { table.symbols }
    /// Number of rows visible.
    public var rowCount: Int { last + 1 }
    /// The holdings as given, or by column of the table (the simulator's, built into a
    /// dictionary only when a strategy asks).
    private let given: [String: Double]?
    private let quantities: [Double]

    /// The portfolio's quantities by symbol at the decision date, before any trade: what a
    /// live rebalancer sees of the account (empty before the first trade).
    public var holdings: [String: Double] {
        if let given { return given }
        var h: [String: Double] = [:]
        for (j, q) in quantities.enumerated() where q != 0 { h[table.symbols[j]] = q }
        return h
    }
    /// The portfolio's cash at the decision date, before any trade.
    public let cash: Double

    /// A history of `table` up to row `last`, with the portfolio held then.
    public init(_ table: PriceTable, through last: Int, holdings: [String: Double] = [:], cash: Double = 0) {
        precondition(last >= 0 && last < table.rowCount, "row \(last) outside the table")
        self.table = table
        self.last = last
        self.given = holdings
        self.quantities = []
        self.cash = cash
    }

    /// A history with the quantities held by column of `table`.
    init(_ table: PriceTable, through last: Int, quantities: [Double], cash: Double) {
        precondition(last >= 0 && last < table.rowCount, "row \(last) outside the table")
        precondition(quantities.count == table.symbolCount, "one quantity per column")
        self.table = table
        self.last = last
        self.given = nil
        self.quantities = quantities
        self.cash = cash
    }

    /// The last `rows` rows up to the decision date (fewer when the history is shorter).
    public func trailing(_ rows: Int) -> PriceTable {
        table.selectingRows(max(0, last + 1 - rows)..<(last + 1))
    }

    /// Every visible row.
    public var all: PriceTable { table.selectingRows(0..<(last + 1)) }

    /// The price of each symbol on the decision date (`nil` when missing that day).
    public func price(_ symbol: String) -> Double? {
        guard let j = table.index(of: symbol) else { return nil }
        let p = table[last, j]
        return p.isFinite && p > 0 ? p : nil
    }

    /// The symbols with a price on the decision date.
    public var tradable: [String] { table.symbols.filter { price($0) != nil } }
}
