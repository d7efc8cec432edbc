/// A table of prices: dates (rows) by symbols (columns), `NaN` for a missing price.
///
/// Prices are stored column-major (`values[row + column * dates.count]`), so each symbol's
/// history is contiguous. Dates are strictly increasing and symbols unique; the initialiser
/// checks both. Every present price is finite and positive.
public struct PriceTable: Sendable, Equatable {
    /// The column names, in file order.
    public let symbols: [String]
    /// The row dates, strictly increasing.
    public let dates: [MarketDate]
    /// Prices in column-major order; `NaN` marks a missing price.
    public let values: [Double]

    /// Creates a table, checking its invariants.
    ///
    /// - Throws: ``MarketDataError`` for duplicate symbols, unordered dates, or a price that
    ///   is not finite and positive.
    /// - Precondition: `values.count == dates.count * symbols.count`.
    public init(symbols: [String], dates: [MarketDate], values: [Double]) throws(MarketDataError) {
        precondition(
            values.count == dates.count * symbols.count, "PriceTable needs \(dates.count * symbols.count) values, got \(values.count)")
        var seen = Set<String>()
        for s in symbols where !seen.insert(s).inserted {
            throw MarketDataError(
                .duplicateSymbol, field: s, message: "symbol \(s) appears twice", fix: "give every column a unique symbol")
        }
        for i in dates.indices.dropFirst() where dates[i] <= dates[i - 1] {
            throw MarketDataError(
                dates[i] == dates[i - 1] ? .duplicateDate : .unorderedDate, date: dates[i],
                message: "dates must be strictly increasing, but \(dates[i]) follows \(dates[i - 1])",
                fix: "sort the rows by date and remove duplicates")
        }
        let n = dates.count
        for (k, v) in values.enumerated() where !v.isNaN && !(v.isFinite && v > 0) {
            throw MarketDataError(
                v.isFinite ? .nonPositivePrice : .nonFiniteNumber, field: symbols[k / Swift.max(n, 1)],
                date: dates[k % Swift.max(n, 1)], message: "price \(v) is not a finite positive number",
                fix: "correct the price or leave it empty to mark it missing")
        }
        self.symbols = symbols
        self.dates = dates
        self.values = values
    }

    /// Internal initialiser for data already known to be valid.
    init(unchecked symbols: [String], dates: [MarketDate], values: [Double]) {
        self.symbols = symbols
        self.dates = dates
        self.values = values
    }

    /// Number of dates (rows).
    public var rowCount: Int { dates.count }
    /// Number of symbols (columns).
    public var symbolCount: Int { symbols.count }

    /// The zero-based column of a symbol.
    public func index(of symbol: String) -> Int? { symbols.firstIndex(of: symbol) }

    /// The prices of one column.
    public func prices(atColumn j: Int) -> ArraySlice<Double> {
        values[(j * rowCount)..<((j + 1) * rowCount)]
    }

    /// The prices of a symbol.
    ///
    /// - Throws: ``MarketDataError/Code/unknownSymbol`` naming the symbols that exist.
    public func prices(of symbol: String) throws(MarketDataError) -> ArraySlice<Double> {
        guard let j = index(of: symbol) else { throw unknownSymbolError(symbol) }
        return prices(atColumn: j)
    }

    /// The price at a row and column (NaN when missing).
    public subscript(row: Int, column: Int) -> Double { values[row + column * rowCount] }

    /// The rows whose dates fall in `start...end` (both inclusive, either optional).
    ///
    /// - Throws: ``MarketDataError/Code/invalidWindow`` when `start > end`,
    ///   ``MarketDataError/Code/emptyWindow`` when no date falls inside (the message gives the
    ///   file's range).
    public func window(start: MarketDate? = nil, end: MarketDate? = nil) throws(MarketDataError) -> PriceTable {
        if let start, let end, start > end {
            throw MarketDataError(
                .invalidWindow, message: "the window start \(start) is after its end \(end)", fix: "swap --start and --end")
        }
        let lo = start.map { s in firstIndex(onOrAfter: s) } ?? 0
        let hi = end.map { e in lastIndex(onOrBefore: e).map { $0 + 1 } ?? 0 } ?? rowCount
        guard lo < hi else {
            let range = dates.isEmpty ? "no dates" : "\(dates.first!) to \(dates.last!)"
            throw MarketDataError(
                .emptyWindow,
                message: "no price falls in the window \(start?.description ?? "(start)") to \(end?.description ?? "(end)")",
                fix: "choose dates within the data's range, \(range)")
        }
        return selectingRows(lo..<hi)
    }

    /// The table restricted to a range of rows.
    public func selectingRows(_ range: Range<Int>) -> PriceTable {
        var v = [Double]()
        v.reserveCapacity(range.count * symbolCount)
        for j in 0..<symbolCount {
            v.append(contentsOf: values[(j * rowCount + range.lowerBound)..<(j * rowCount + range.upperBound)])
        }
        return PriceTable(unchecked: symbols, dates: Array(dates[range]), values: v)
    }

    /// The table restricted to the given rows (increasing indices).
    func selectingRows(_ rows: [Int]) -> PriceTable {
        var v = [Double]()
        v.reserveCapacity(rows.count * symbolCount)
        for j in 0..<symbolCount {
            let base = j * rowCount
            for i in rows { v.append(values[base + i]) }
        }
        return PriceTable(unchecked: symbols, dates: rows.map { dates[$0] }, values: v)
    }

    /// The table restricted to some symbols, in the order given.
    ///
    /// - Throws: ``MarketDataError/Code/unknownSymbol``.
    public func selecting(symbols wanted: [String]) throws(MarketDataError) -> PriceTable {
        var v = [Double]()
        v.reserveCapacity(wanted.count * rowCount)
        for s in wanted {
            guard let j = index(of: s) else { throw unknownSymbolError(s) }
            v.append(contentsOf: prices(atColumn: j))
        }
        return try PriceTable(symbols: wanted, dates: dates, values: v)
    }

    /// Index of the first date on or after `date` (`rowCount` when none).
    public func firstIndex(onOrAfter date: MarketDate) -> Int {
        var lo = 0
        var hi = dates.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if dates[mid] < date { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Index of the last date on or before `date`, or `nil` when every date is later.
    public func lastIndex(onOrBefore date: MarketDate) -> Int? {
        let i = firstIndex(onOrAfter: date.adding(days: 1))
        return i == 0 ? nil : i - 1
    }

    /// Each symbol's last present price on or before `date` (symbols with none are absent).
    ///
    /// - Complexity: O(symbols x log rows) plus the gaps skipped.
    public func lastPrices(onOrBefore date: MarketDate) -> [String: Double] {
        guard let row = lastIndex(onOrBefore: date) else { return [:] }
        var out: [String: Double] = [:]
        for (j, s) in symbols.enumerated() {
            var i = row
            while i >= 0 && self[i, j].isNaN { i -= 1 }
            if i >= 0 { out[s] = self[i, j] }
        }
        return out
    }

    func unknownSymbolError(_ s: String) -> MarketDataError {
        MarketDataError(
            .unknownSymbol, field: s, message: "symbol \(s) is not in the price table",
            fix: "use one of: \(symbols.prefix(30).joined(separator: ", "))\(symbols.count > 30 ? ", ..." : "")")
    }
}

// MARK: - Combining tables

extension PriceTable {
    /// The outer join of two tables on their dates: every date of either, every symbol of
    /// both, `NaN` where a table has no price for a date.
    ///
    /// - Throws: ``MarketDataError/Code/duplicateSymbol`` when both tables have a symbol.
    /// - Complexity: O((rows₁ + rows₂) x (symbols₁ + symbols₂)).
    public func merged(with other: PriceTable) throws(MarketDataError) -> PriceTable {
        if let clash = symbols.first(where: { other.symbols.contains($0) }) {
            throw MarketDataError(
                .duplicateSymbol, field: clash, message: "symbol \(clash) is in both price files", fix: "give each symbol in one file only")
        }
        let allDates = Array(Set(dates).union(other.dates)).sorted()
        let t = allDates.count
        var values = [Double](repeating: .nan, count: t * (symbolCount + other.symbolCount))
        for (source, offset) in [(self, 0), (other, symbolCount)] {
            var position = 0
            for (i, d) in source.dates.enumerated() {
                while allDates[position] < d { position += 1 }
                for j in 0..<source.symbolCount { values[position + (offset + j) * t] = source[i, j] }
            }
        }
        return PriceTable(unchecked: symbols + other.symbols, dates: allDates, values: values)
    }
}

// MARK: - Resampling

/// A sampling frequency of prices and returns.
public enum Frequency: String, Sendable, Codable, CaseIterable {
    /// Every row; the last row of each week; the last row of each month.
    case daily, weekly, monthly

    /// The conventional number of periods per year: 252 trading days, 52 weeks, 12 months.
    public var periodsPerYear: Double {
        switch self {
        case .daily: 252
        case .weekly: 52
        case .monthly: 12
        }
    }
}

extension PriceTable {
    /// The frequency of the rows, read from the dates: the median gap between consecutive dates
    /// of up to 4 days is daily, up to 10 weekly, otherwise monthly. A table of fewer than two
    /// rows is daily. Annualisation uses its ``Frequency/periodsPerYear`` (252, 52 or 12), so
    /// that a monthly back-test annualises with 12.
    public var inferredFrequency: Frequency {
        guard dates.count >= 2 else { return .daily }
        // The median gap (element count/2 of the sorted gaps) is at most x exactly when more
        // than count/2 gaps are at most x: two counts, no sort.
        let count = dates.count - 1
        var upTo4 = 0
        var upTo10 = 0
        for k in 1..<dates.count {
            let gap = dates[k].dayNumber - dates[k - 1].dayNumber
            if gap <= 4 { upTo4 += 1 }
            if gap <= 10 { upTo10 += 1 }
        }
        return upTo4 > count / 2 ? .daily : upTo10 > count / 2 ? .weekly : .monthly
    }

    /// Resamples to a lower frequency, keeping the **last price of each period** for every
    /// symbol (pandas' `resample(...).last()`, which takes each column's last present value
    /// in the period); a symbol with no price in a period stays missing there.
    ///
    /// Weeks run Monday to Sunday; months are calendar months. Each row is labelled with the
    /// last trading date of its period in the table (pandas labels with the calendar end of
    /// the period instead; the values are the same).
    ///
    /// - Complexity: O(rows x symbols).
    public func resampled(to frequency: Frequency) -> PriceTable {
        guard frequency != .daily, !dates.isEmpty else { return self }
        func key(_ d: MarketDate) -> Int {
            switch frequency {
            case .daily: return d.dayNumber
            case .weekly: return (d.dayNumber - (d.isoWeekday - 1))  // Monday of the week
            case .monthly:
                let c = d.components
                return c.year * 12 + c.month
            }
        }
        // Period boundaries: [starts[p], ends[p]] inclusive.
        var ends: [Int] = []
        for i in dates.indices where i == dates.count - 1 || key(dates[i]) != key(dates[i + 1]) {
            ends.append(i)
        }
        var v = [Double]()
        v.reserveCapacity(ends.count * symbolCount)
        for j in 0..<symbolCount {
            let base = j * rowCount
            var start = 0
            for e in ends {
                var last = Double.nan
                var i = e
                while i >= start {
                    if !values[base + i].isNaN {
                        last = values[base + i]
                        break
                    }
                    i -= 1
                }
                v.append(last)
                start = e + 1
            }
        }
        return PriceTable(unchecked: symbols, dates: ends.map { dates[$0] }, values: v)
    }
}
