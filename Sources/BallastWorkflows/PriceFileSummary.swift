import BallastMarketData
import Foundation

/// One symbol of a price file's summary.
public struct SymbolSummary: Encodable, Sendable {
    /// The symbol.
    public let symbol: String
    /// Number of prices present.
    public let prices: Int
    /// Number of rows without a price.
    public let missing: Int
    /// The first valid date.
    public let firstValidDate: String?
    /// The last valid date.
    public let lastValidDate: String?
    /// Number of returns.
    public let returns: Int
    /// The annual return.
    @ExplicitNull public var annualReturn: Double?
    /// The annual volatility.
    @ExplicitNull public var annualVolatility: Double?
    /// Why the annual figures are null, when they are.
    @ExplicitNull public var undefined: String?
}

/// What `ballast data inspect` reports on a price file: per symbol the prices, the missing
/// ones, the first and last valid dates, and the annual return and volatility (`nil`, with the
/// reason, under a year of prices).
public struct PriceFileSummary: Encodable, Sendable {
    /// The file.
    public let file: String
    /// The rows.
    public let rows: Int
    /// The start.
    public let start: String
    /// The end.
    public let end: String
    /// The symbols.
    public let symbols: [SymbolSummary]
    /// The periods per year.
    public let periodsPerYear: Double

    /// The summary of `table` (read from `file`), annualised with `periodsPerYear`.
    ///
    /// - Throws: the returns' errors (a table of one row has none, which is not an error).
    public init(_ table: PriceTable, file: String, periodsPerYear: Double) throws {
        let r = table.rowCount >= 2 ? try table.returns(periodsPerYear: periodsPerYear) : nil
        var out: [SymbolSummary] = []
        for (j, s) in table.symbols.enumerated() {
            let col = table.prices(atColumn: j)
            let firstValid = col.firstIndex { !$0.isNaN }.map { table.dates[$0 - col.startIndex].description }
            let lastValid = col.lastIndex { !$0.isNaN }.map { table.dates[$0 - col.startIndex].description }
            let x = r.map { Array($0.column(j).filter { !$0.isNaN }) } ?? []
            let mean = x.isEmpty ? Double.nan : x.reduce(0, +) / Double(x.count)
            let variance = x.count < 2 ? Double.nan : x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(x.count - 1)
            let first = col.firstIndex { !$0.isNaN }.map { table.dates[$0 - col.startIndex] }
            let last = col.lastIndex { !$0.isNaN }.map { table.dates[$0 - col.startIndex] }
            let days = first.flatMap { f in last.map { $0.dayNumber - f.dayNumber } } ?? 0
            let long = days >= MarketConventions.minimumAnnualisationDays
            out.append(
                SymbolSummary(
                    symbol: s, prices: col.filter { !$0.isNaN }.count, missing: col.filter(\.isNaN).count, firstValidDate: firstValid,
                    lastValidDate: lastValid, returns: x.count, annualReturn: long && mean.isFinite ? mean * periodsPerYear : nil,
                    annualVolatility: long && variance.isFinite ? (variance * periodsPerYear).squareRoot() : nil,
                    undefined: long
                        ? nil
                        : "\(days) calendar day\(days == 1 ? "" : "s") of prices; annual figures need \(MarketConventions.minimumAnnualisationDays) (a year)"
                ))
        }
        self.file = file
        rows = table.rowCount
        start = table.dates.first!.description
        end = table.dates.last!.description
        symbols = out
        self.periodsPerYear = periodsPerYear
    }
}
