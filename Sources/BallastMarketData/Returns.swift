import Foundation

/// How returns are computed from consecutive prices.
public enum ReturnKind: String, Sendable, Codable, CaseIterable {
    /// `p_t / p_{t-1} - 1` (the default, and what PyPortfolioOpt and empyrical use).
    case simple
    /// `log(p_t / p_{t-1})`.
    case log
}

/// What to do with missing returns when estimating statistics.
public enum MissingDataPolicy: String, Sendable, Codable, CaseIterable {
    /// Drop every row (date) in which any asset's return is missing (listwise deletion), so
    /// every statistic comes from the same dates.
    case dropRows = "drop-rows"
    /// pandas' pairwise-complete statistics: each covariance entry from the dates on which
    /// both assets have returns (ddof 1); each expected return from that asset's own returns.
    case pairwise
}

/// Periodic returns: dates (rows) by assets (columns), `NaN` where a return is missing.
///
/// The return dated `t` is the return from the previous row's close to the close of `t`. A
/// return is missing when either of the two prices is missing (pandas'
/// `pct_change(fill_method=None)`): Ballast never bridges a gap in a price series silently.
/// Values are stored column-major (`values[row + column * dates.count]`): each asset's
/// series is contiguous, which is the `observations x assets` layout the estimators use.
public struct ReturnSeries: Sendable, Equatable {
    /// The asset symbols (columns).
    public let symbols: [String]
    /// The date at the end of each period (rows).
    public let dates: [MarketDate]
    /// Returns in column-major order, `NaN` where missing; fractions, per period.
    public let values: [Double]
    /// Simple or log returns.
    public let kind: ReturnKind
    /// Number of periods in a year, used to annualise (252 for daily data by default).
    public let periodsPerYear: Double

    /// Creates a series from values in column-major order.
    ///
    /// - Precondition: `values.count == dates.count * symbols.count` and `periodsPerYear > 0`.
    public init(symbols: [String], dates: [MarketDate], values: [Double], kind: ReturnKind = .simple, periodsPerYear: Double) {
        precondition(
            values.count == dates.count * symbols.count, "ReturnSeries needs \(dates.count * symbols.count) values, got \(values.count)")
        precondition(periodsPerYear > 0, "periodsPerYear must be positive, got \(periodsPerYear)")
        self.symbols = symbols
        self.dates = dates
        self.values = values
        self.kind = kind
        self.periodsPerYear = periodsPerYear
    }

    /// Number of periods (rows).
    public var observationCount: Int { dates.count }
    /// Number of assets (columns).
    public var assetCount: Int { symbols.count }

    /// The return at a row and column (`NaN` when missing).
    public subscript(row: Int, column: Int) -> Double { values[row + column * observationCount] }

    /// One asset's returns.
    public func column(_ j: Int) -> ArraySlice<Double> {
        values[(j * observationCount)..<((j + 1) * observationCount)]
    }

    /// `true` when no return is missing.
    public var isComplete: Bool { !values.contains { $0.isNaN } }

    /// Number of present returns per asset.
    public var presentCounts: [Int] {
        (0..<assetCount).map { j in column(j).reduce(0) { $0 + ($1.isNaN ? 0 : 1) } }
    }

    /// The series without any row that has a missing return (listwise deletion).
    public func droppingIncompleteRows() -> ReturnSeries {
        let t = observationCount
        var keep = [Bool](repeating: true, count: t)
        for (k, v) in values.enumerated() where v.isNaN { keep[k % t] = false }
        if !keep.contains(false) { return self }
        var out = [Double]()
        for j in 0..<assetCount {
            let base = j * t
            for i in 0..<t where keep[i] { out.append(values[base + i]) }
        }
        let ds = dates.indices.filter { keep[$0] }.map { dates[$0] }
        return ReturnSeries(symbols: symbols, dates: ds, values: out, kind: kind, periodsPerYear: periodsPerYear)
    }

    /// Applies a missing-data policy: `dropRows` removes incomplete rows, `pairwise` keeps
    /// the series as it is (the estimators then use pairwise-complete statistics).
    public func applying(_ policy: MissingDataPolicy) -> ReturnSeries {
        policy == .dropRows ? droppingIncompleteRows() : self
    }

    /// The same series restricted to some assets, in the order given.
    public func selecting(columns: [Int]) -> ReturnSeries {
        var out = [Double]()
        out.reserveCapacity(columns.count * observationCount)
        for j in columns { out.append(contentsOf: column(j)) }
        return ReturnSeries(
            symbols: columns.map { symbols[$0] }, dates: dates, values: out, kind: kind, periodsPerYear: periodsPerYear)
    }
}

extension PriceTable {
    /// Periodic returns of every symbol.
    ///
    /// The first row has no return and is dropped, as is any later row in which every
    /// return is missing (PyPortfolioOpt's `returns_from_prices(...).dropna(how="all")`).
    ///
    /// - Parameters:
    ///   - kind: simple (default) or log returns.
    ///   - periodsPerYear: periods in a year for annualising; pass 252 for daily, 52 for
    ///     weekly, 12 for monthly data (``Frequency/periodsPerYear``).
    /// - Throws: ``MarketDataError/Code/insufficientData`` when there are fewer than two rows.
    /// - Complexity: O(rows x symbols).
    public func returns(kind: ReturnKind = .simple, periodsPerYear: Double) throws(MarketDataError) -> ReturnSeries {
        let t = rowCount
        let n = symbolCount
        guard t >= 2 else {
            throw MarketDataError(
                .insufficientData, message: "returns need at least two dates, the window has \(t)",
                fix: "widen the window (--start/--end)")
        }
        var r = [Double](repeating: .nan, count: (t - 1) * n)
        var rowHasValue = [Bool](repeating: false, count: t - 1)
        values.withUnsafeBufferPointer { p in
            r.withUnsafeMutableBufferPointer { out in
                for j in 0..<n {
                    let base = j * t
                    let ob = j * (t - 1)
                    for i in 1..<t {
                        let a = p[base + i - 1]
                        let b = p[base + i]
                        if a.isNaN || b.isNaN { continue }
                        out[ob + i - 1] = kind == .simple ? b / a - 1 : Foundation.log(b / a)
                        rowHasValue[i - 1] = true
                    }
                }
            }
        }
        let rowDates = Array(dates.dropFirst())
        if rowHasValue.allSatisfy({ $0 }) {
            return ReturnSeries(symbols: symbols, dates: rowDates, values: r, kind: kind, periodsPerYear: periodsPerYear)
        }
        let keep = rowHasValue.indices.filter { rowHasValue[$0] }
        var out = [Double]()
        out.reserveCapacity(keep.count * n)
        for j in 0..<n {
            for i in keep { out.append(r[j * (t - 1) + i]) }
        }
        return ReturnSeries(symbols: symbols, dates: keep.map { rowDates[$0] }, values: out, kind: kind, periodsPerYear: periodsPerYear)
    }
}
