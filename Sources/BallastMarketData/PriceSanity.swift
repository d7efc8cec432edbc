import Foundation

/// A price that moved implausibly far from the one before it: most often a data error (a
/// misplaced decimal point, a tick of `1e-10`, a stale field read as a price).
public struct PriceOutlier: Sendable, Codable, Equatable, CustomStringConvertible {
    /// The file the price came from, when known.
    public var file: String?
    /// The symbol.
    public var symbol: String
    /// The date of the suspect price.
    public var date: MarketDate
    /// The suspect price.
    public var price: Double
    /// The previous present price of the symbol and its date.
    public var previousPrice: Double
    /// The date of ``previousPrice``.
    public var previousDate: MarketDate
    /// `price / previousPrice - 1`.
    public var simpleReturn: Double
    /// Which limit it breaks, in words.
    public var rule: String

    /// `file: SYM on DATE: price ... after ... on ... (a move of ...), beyond ...; fix`.
    public var description: String {
        let move =
            !simpleReturn.isFinite
            ? "an infinite move"
            : abs(simpleReturn) < 10
                ? String(format: "a move of %+.1f%%", simpleReturn * 100)
                : "a rise by a factor of \(Self.number(simpleReturn + 1))"
        return
            "\(file.map { "\($0): " } ?? "")\(symbol) on \(date): price \(Self.number(price)) after \(Self.number(previousPrice)) on \(previousDate) (\(move)), \(rule); correct or remove the price"
    }

    static func number(_ x: Double) -> String { String(format: "%.6g", x) }
}

/// The documented rule by which prices are checked before any estimate or trade.
///
/// A move from one present price of a symbol to its next is an outlier when
/// - its simple return is above ``maximumReturn`` (+900% by default) or below
///   ``minimumReturn`` (-95%): no listed fund or share moves that far between two closes
///   without a corporate action the data should already adjust for; or
/// - it is at least ``robustRuleFloor`` (25%) in absolute size *and* its log return lies more
///   than ``robustVolatilityMultiple`` (50) robust standard deviations from the symbol's
///   median log return, the robust standard deviation being `1.4826 × MAD` over the whole
///   file. The multiple is set so that every move in the bundled 1990-2022 data passes (the
///   largest there is 46, an early, coarsely rounded price), while a price off by a factor of
///   ten in a series of 2% daily volatility scores above 100.
public struct PriceSanityRule: Sendable, Codable, Equatable {
    /// Largest plausible simple return between two consecutive prices (default 9, +900%).
    public var maximumReturn = 9.0
    /// Smallest plausible simple return (default -0.95).
    public var minimumReturn = -0.95
    /// How many robust standard deviations a move may lie from the median (default 50).
    public var robustVolatilityMultiple = 50.0
    /// The robust rule applies only to moves at least this large (default 0.25).
    public var robustRuleFloor = 0.25

    /// The default rule.
    public init() {}

    /// Every outlier in `table`, in column then date order.
    ///
    /// - Parameters:
    ///   - table: the prices to check.
    ///   - file: the file's name, for the messages.
    /// - Complexity: O(rows × symbols × log rows) (a median per symbol).
    public func outliers(in table: PriceTable, file: String? = nil) -> [PriceOutlier] {
        var out: [PriceOutlier] = []
        for (j, symbol) in table.symbols.enumerated() {
            var rows: [Int] = []
            var logs: [Double] = []
            var previous: Int?
            for i in 0..<table.rowCount {
                let p = table[i, j]
                guard p.isFinite else { continue }
                if let k = previous {
                    rows.append(i)
                    logs.append(Foundation.log(p / table[k, j]))
                }
                previous = i
            }
            guard !logs.isEmpty else { continue }
            let median = Self.median(logs)
            let spread = 1.4826 * Self.median(logs.map { abs($0 - median) })
            var last: Int?
            var k = 0
            for i in 0..<table.rowCount where table[i, j].isFinite {
                defer { last = i }
                guard let before = last else { continue }
                let r = table[i, j] / table[before, j] - 1
                let z = spread > 0 ? abs(logs[k] - median) / spread : (abs(logs[k] - median) > 0 ? .infinity : 0)
                k += 1
                var rule: String?
                if !(r <= maximumReturn) {
                    rule = String(format: "above the limit of %+.0f%% between two prices", maximumReturn * 100)
                } else if !(r >= minimumReturn) {
                    rule = String(format: "below the limit of %+.0f%% between two prices", minimumReturn * 100)
                } else if abs(r) >= robustRuleFloor && z > robustVolatilityMultiple {
                    rule = String(
                        format: "%.0f robust standard deviations from the symbol's typical move (limit %.0f)", z, robustVolatilityMultiple)
                }
                if let rule {
                    out.append(
                        PriceOutlier(
                            file: file, symbol: symbol, date: table.dates[i], price: table[i, j], previousPrice: table[before, j],
                            previousDate: table.dates[before], simpleReturn: r, rule: rule))
                }
            }
        }
        return out
    }

    static func median(_ x: [Double]) -> Double {
        let s = x.sorted()
        let n = s.count
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
    }
}

/// Price files read, checked and joined on their dates: the one way every command and
/// workflow loads prices.
public struct PriceFileSet: Sendable {
    /// The joined table.
    public var table: PriceTable
    /// Every outlier found, file by file (empty when the check was off).
    public var outliers: [PriceOutlier]

    /// Reads `paths` (each a wide price CSV), checks each file with `rule` (`nil`: no check)
    /// and joins them on their dates.
    ///
    /// - Throws: `MarketDataError` for a file that cannot be read or tables that cannot be
    ///   joined (the same symbol in two files).
    public init(paths: [String], rule: PriceSanityRule? = PriceSanityRule()) throws(MarketDataError) {
        precondition(!paths.isEmpty, "at least one price file")
        var joined: PriceTable?
        var outliers: [PriceOutlier] = []
        for path in paths {
            let t = try PriceCSV.read(path: path)
            if let rule { outliers += rule.outliers(in: t, file: path) }
            joined = try joined.map { (j) throws(MarketDataError) in try j.merged(with: t) } ?? t
        }
        self.table = joined!
        self.outliers = outliers
    }

    /// The outliers whose suspect price is the one in force for its symbol at `date` (the last
    /// present price on or before it): prices that must not be traded on.
    public func outliers(inForceAt date: MarketDate) -> [PriceOutlier] {
        outliers.filter { o in
            guard let j = table.index(of: o.symbol), let i = table.lastIndex(onOrBefore: date) else { return false }
            var row = i
            while row >= 0 && !table[row, j].isFinite { row -= 1 }
            return row >= 0 && table.dates[row] == o.date
        }
    }
}

/// The date a result is computed for: the latest data on or before the requested `--as-of`.
public struct AsOfDate: Sendable, Equatable {
    /// The date asked for (`nil`: the latest data).
    public var requested: MarketDate?
    /// The last date of the prices on or before it: every figure is as of this date.
    public var date: MarketDate
    /// Set when the prices end well before the requested date (more than
    /// ``PriceTable/stalenessToleranceDays`` calendar days): how stale they are.
    public var staleness: String?
}

extension PriceTable {
    /// Calendar days the latest price may lie before a requested date without a warning (a
    /// long weekend with a holiday).
    public static let stalenessToleranceDays = 4

    /// The date every command computes for when asked for `requested`: the last date of the
    /// table on or before it (the latest date when `nil`), with a warning when the data are
    /// stale. Commands treat `--as-of` alike through this one function.
    ///
    /// - Throws: `MarketDataError` when the table has no date on or before `requested`.
    public func resolveAsOf(_ requested: MarketDate?) throws(MarketDataError) -> AsOfDate {
        guard let first = dates.first, let last = dates.last else {
            throw MarketDataError(.emptyWindow, message: "the prices have no rows", fix: "give a price file with data")
        }
        guard let requested else { return AsOfDate(requested: nil, date: last, staleness: nil) }
        guard let i = lastIndex(onOrBefore: requested) else {
            throw MarketDataError(
                .emptyWindow, date: requested, message: "there are no prices on or before \(requested); they start on \(first)",
                fix: "choose an --as-of date on or after \(first)")
        }
        let date = dates[i]
        let gap = requested.dayNumber - date.dayNumber
        let staleness =
            gap > Self.stalenessToleranceDays
            ? "the prices end on \(date), \(gap) days before the requested date \(requested): every figure is as of \(date); supply newer prices for a current result"
            : nil
        return AsOfDate(requested: requested, date: date, staleness: staleness)
    }
}
