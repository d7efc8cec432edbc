import Foundation

/// What the values of a wide CSV file are. Always said, never guessed from the numbers.
///
/// Every kind shares the price file's format (`date,COL1,COL2,...`, ISO dates, empty fields
/// for missing values, the same precise errors); only the meaning and the checks differ.
public enum SeriesKind: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// Prices or index levels: finite and positive.
    case prices
    /// Simple returns per period as fractions (`0.0296` is 2.96%), each above -1.
    case returns
    /// Simple returns per period in percent (`2.96` is 2.96%), each above -100.
    case percentReturns = "percent-returns"
    /// Annual yields as fractions (`0.0783` is 7.83%); the column names give the maturities.
    case yields
    /// Annual yields in percent (`7.83` is 7.83%).
    case percentYields = "percent-yields"

    /// The kind's name in files and on the command line.
    public var description: String { rawValue }

    /// The factor that turns a file value into a fraction: 1, or 1/100 for percent.
    var scale: Double { self == .percentReturns || self == .percentYields ? 0.01 : 1 }
}

/// Reads value files of every ``SeriesKind`` and turns returns into index levels.
public enum SeriesFile {
    /// Reads a file of the given kind; returns and yields come back as fractions.
    ///
    /// Prices go through ``PriceCSV`` unchanged. Returns must be above -100%, and a column
    /// of fractions whose median size is above 25% a period is refused as percent; yields must
    /// lie between -10% and 100% a year once scaled, which catches a percent file read as
    /// fractions (and the reverse) with a message that names the unit to state instead.
    ///
    /// - Throws: ``MarketDataError`` naming the file, the column and the date.
    public static func read(path: String, kind: SeriesKind) throws(MarketDataError) -> PriceTable {
        if kind == .prices { return try PriceCSV.read(path: path) }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            _ = try PriceCSV.read(path: path)  // the reader's own message for a missing or unreadable file
            throw MarketDataError(.unreadableFile, file: path, message: "the file cannot be read", fix: "pass a file that you may read")
        }
        return try parse(data, source: path, kind: kind)
    }

    /// Parses bytes of the given kind (see ``read(path:kind:)``).
    public static func parse(_ data: Data, source: String = "<input>", kind: SeriesKind) throws(MarketDataError) -> PriceTable {
        if kind == .prices { return try PriceCSV.parse(data, source: source) }
        let raw = try PriceCSV.parse(data, source: source, signed: true)
        var values = raw.values
        let scale = kind.scale
        let n = raw.rowCount
        for j in 0..<raw.symbolCount {
            for i in 0..<n {
                let v = values[i + j * n]
                if v.isNaN { continue }
                let x = v * scale
                switch kind {
                case .returns, .percentReturns:
                    if !(x > -1) {
                        throw MarketDataError(
                            .invalidReturn, file: source, field: raw.symbols[j], date: raw.dates[i],
                            message: "return \(v)\(kind == .percentReturns ? "%" : "") is a loss of 100% or more",
                            fix: kind == .returns
                                ? "returns are fractions (0.03 is 3%); if the file holds percent, read it as percent-returns"
                                : "check the value; a simple return is always above -100%")
                    }
                case .yields, .percentYields:
                    if !(x >= -0.1 && x <= 1) {
                        throw MarketDataError(
                            .invalidYield, file: source, field: raw.symbols[j], date: raw.dates[i],
                            message: "yield \(v) is \(x * 100)% a year, outside -10% to 100%",
                            fix: kind == .yields
                                ? "yields are fractions (0.0783 is 7.83%); if the file holds percent, read it as percent-yields"
                                : "check the value; percent yields are written as 7.83 for 7.83%")
                    }
                case .prices: break
                }
                values[i + j * n] = x
            }
        }
        if kind == .returns {
            // A typical period return of more than 25% is a percent file read as fractions.
            for j in 0..<raw.symbolCount {
                var magnitudes = values[(j * n)..<((j + 1) * n)].filter { !$0.isNaN }.map(Swift.abs)
                guard !magnitudes.isEmpty else { continue }
                magnitudes.sort()
                let median = magnitudes[magnitudes.count / 2]
                if median > 0.25 {
                    throw MarketDataError(
                        .invalidReturn, file: source, field: raw.symbols[j],
                        message: "the typical return is \(median * 100)% a period, so these look like percent, not fractions",
                        fix: "read the file as percent-returns, or write returns as fractions (0.03 is 3%)")
                }
            }
        }
        if kind == .percentYields {
            // Yields that never reach 0.2% a year and are typically below 0.05% are fractions
            // read as percent.
            for j in 0..<raw.symbolCount {
                var magnitudes = values[(j * n)..<((j + 1) * n)].filter { !$0.isNaN }.map(Swift.abs)
                guard !magnitudes.isEmpty else { continue }
                magnitudes.sort()
                if magnitudes.last! < 0.002 && magnitudes[magnitudes.count / 2] < 0.0005 {
                    throw MarketDataError(
                        .invalidYield, file: source, field: raw.symbols[j],
                        message: "the yields never reach 0.2% a year when read as percent, so they look like fractions",
                        fix: "read the file as yields (fractions: 0.0783 is 7.83%)")
                }
            }
        }
        return PriceTable(unchecked: raw.symbols, dates: raw.dates, values: values)
    }

    /// Index levels from simple returns: `base` on the period before the first return, then
    /// compounded (`L_t = L_{t-1} (1 + r_t)`), so that the returns of the levels are the
    /// returns given, each one.
    ///
    /// A column may start later and end earlier than others (missing there), but a gap
    /// inside its history would break the chain and lose a return; it is refused. The base
    /// row's date is the calendar end of the previous month for monthly data, otherwise the
    /// first date moved back by the first gap between dates.
    ///
    /// - Throws: ``MarketDataError/Code/invalidReturn`` for a gap inside a column,
    ///   ``MarketDataError/Code/insufficientData`` for fewer than two rows.
    public static func indexLevels(fromReturns returns: PriceTable, base: Double = 100, source: String? = nil) throws(MarketDataError)
        -> PriceTable
    {
        let n = returns.rowCount
        guard n >= 2 else {
            throw MarketDataError(
                .insufficientData, file: source, message: "a return series needs at least two rows to place its dates",
                fix: "supply more rows")
        }
        let first = returns.dates[0]
        let baseDate: MarketDate
        if returns.inferredFrequency == .monthly {
            let c = first.components
            let prior = MarketDate(year: c.year, month: c.month, day: 1)!.adding(days: -1)
            baseDate = prior
        } else {
            baseDate = first.adding(days: -(returns.dates[1].dayNumber - first.dayNumber))
        }
        let m = n + 1
        var levels = [Double](repeating: .nan, count: m * returns.symbolCount)
        for j in 0..<returns.symbolCount {
            let column = returns.prices(atColumn: j)
            guard let start = column.firstIndex(where: { !$0.isNaN }) else { continue }
            let end = column.lastIndex(where: { !$0.isNaN })!
            if let gap = column[start...end].firstIndex(where: { $0.isNaN }) {
                throw MarketDataError(
                    .invalidReturn, file: source, field: returns.symbols[j], date: returns.dates[gap - column.startIndex],
                    message: "the return series has a gap inside its history",
                    fix: "fill the gap in the source or start the series after it; a gap cannot be bridged without inventing a return")
            }
            var level = base
            let s = start - column.startIndex
            let e = end - column.startIndex
            levels[s + j * m] = level  // the row before the first return
            for i in s...e {
                level *= 1 + column[column.startIndex + i]
                levels[i + 1 + j * m] = level
            }
        }
        return PriceTable(unchecked: returns.symbols, dates: [baseDate] + returns.dates, values: levels)
    }
}
