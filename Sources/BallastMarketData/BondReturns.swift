import Foundation

/// Total returns of constant-maturity government bonds from their par yields.
///
/// A par-yield curve says at what coupon a new bond of each maturity sells at par. The
/// return of holding "the M-year bond" over one period is computed as a bank's bond desk
/// would (DOMAIN: bond math from yields):
///
/// 1. At the start of the period buy at 100 the par bond of maturity `M`: its coupon is
///    the start yield `y0`, paid semi-annually (`100 y0 / 2` every half year).
/// 2. At the end, `dt` years later (calendar days / 365.25), the same bond has `M - dt`
///    years left. Price its remaining cash flows at the end yield `y1` (bond-equivalent,
///    semi-annual compounding), with the fractional first period:
///    `P = sum_k C/(1 + y1/2)^(2 f + k) + 100/(1 + y1/2)^(2 (M - dt))`, `f` the time to the
///    next coupon. `P` is the dirty price: clean price plus the coupon accrued over `dt`.
/// 3. The period's total return is `(P + coupons paid during the period) / 100 - 1`.
///
/// With an unchanged yield this is exactly `(1 + y/2)^(2 dt) - 1`, the growth of a par bond
/// at its own yield; the duration-convexity expansion `y dt - D dy + C dy²/2` is its
/// second-order approximation. The end yield of maturity `M` stands in for the yield of a
/// bond of maturity `M - dt` (the curve's roll-down over one month is ignored), and coupons
/// are not reinvested within the period: the usual constant-maturity construction, which
/// tracks observed Treasury index returns closely but not exactly.
///
/// Missing yields stay missing: a return needs a yield at both ends of its period.
public enum BondReturns {
    /// The dirty price per 100 face of a bond paying `coupon` a year (a fraction) in two
    /// half-yearly payments, with `maturity` years left, at the annual yield `yield`
    /// (semi-annual compounding).
    ///
    /// - Precondition: `maturity > 0` and `yield > -2`.
    public static func dirtyPrice(coupon: Double, maturity: Double, yield: Double) -> Double {
        precondition(maturity > 0 && yield > -2, "dirtyPrice needs a positive maturity and a yield above -200%")
        let halfYears = maturity * 2
        let payments = Swift.max(1, Int((halfYears - 1e-9).rounded(.up)))  // coupons still to come
        let firstTime = halfYears - Double(payments - 1)  // in half-years, in (0, 1]
        let v = 1 + yield / 2
        let c = 100 * coupon / 2
        var price = 0.0
        for k in 0..<payments {
            price += c / Foundation.pow(v, firstTime + Double(k))
        }
        return price + 100 / Foundation.pow(v, halfYears)
    }

    /// The total return over `elapsed` years of a par bond of `maturity` years bought at the
    /// yield `previousYield` and revalued at `currentYield` (fractions a year).
    ///
    /// - Precondition: `maturity` is a whole number of half-years and `0 < elapsed < maturity`.
    public static func parBondReturn(maturity: Double, previousYield: Double, currentYield: Double, elapsed: Double) -> Double {
        precondition(elapsed > 0 && elapsed < maturity, "the period must be shorter than the bond's maturity")
        let paid = (elapsed * 2 + 1e-12).rounded(.down)  // half-yearly coupons paid within the period
        let coupons = paid * 100 * previousYield / 2
        let price = dirtyPrice(coupon: previousYield, maturity: maturity - elapsed, yield: currentYield)
        return (price + coupons) / 100 - 1
    }

    /// The maturity in years that a yield column's name states: `2year`, `30year`,
    /// `6month`, `10y`, `3m`, `UST10Y` (a leading word is ignored); nil when it states none.
    public static func maturity(ofColumn name: String) -> Double? {
        var rest = Substring(name.lowercased().trimmingCharacters(in: .whitespaces))
        var unit = ""
        while let last = rest.last, last.isLetter {
            unit = String(last) + unit
            rest = rest.dropLast()
        }
        var digits = ""
        while let last = rest.last, last.isNumber || last == "." {
            digits = String(last) + digits
            rest = rest.dropLast()
        }
        guard rest.allSatisfy({ $0.isLetter || $0 == "_" || $0 == "-" }) else { return nil }
        guard let n = Double(digits), n > 0 else { return nil }
        switch unit {
        case "y", "yr", "yrs", "year", "years": return n
        case "m", "mo", "month", "months": return n / 12
        default: return nil
        }
    }

    /// The column name for a maturity: `UST2Y` for whole years, `UST6M` otherwise.
    public static func symbol(forMaturity years: Double, prefix: String = "UST") -> String {
        if years == years.rounded() { return "\(prefix)\(Int(years))Y" }
        return "\(prefix)\(Int((years * 12).rounded()))M"
    }

    /// Maturities in years from text such as `2,5,10,30`: every one a whole number of
    /// half-years from 0.5 to 50, none twice.
    ///
    /// - Throws: ``SettingProblem`` (field `maturities`) saying which maturity is wrong.
    public static func maturities(parsing text: String) throws(SettingProblem) -> [Double] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        var out: [Double] = []
        for p in parts {
            guard let m = Double(p), m >= 0.5, m <= 50, (m * 2).rounded() == m * 2 else {
                throw SettingProblem(
                    field: "maturities",
                    message: "`\(p)` is not a whole number of half-years from 0.5 to 50 (list years, for example 2,5,10,30)")
            }
            if out.contains(m) { throw SettingProblem(field: "maturities", message: "lists \(p) twice") }
            out.append(m)
        }
        return out
    }

    /// Constant-maturity total returns for the chosen maturities from a table of par
    /// yields (fractions; see ``SeriesFile/read(path:kind:)``), at `frequency`.
    ///
    /// The yields are first sampled at the frequency (each column's last yield in each week
    /// or month, with its own date, which sets `dt`); each return then needs the yields at
    /// both ends of its period. The result's rows are the periods' end dates (the last date
    /// of the period in the table), from the second period on.
    ///
    /// - Throws: ``MarketDataError/Code/invalidYield`` when a maturity has no column, or is
    ///   not a whole number of half-years from 0.5 to 50 years.
    public static func fromYields(
        _ yields: PriceTable, maturities: [Double], frequency: Frequency = .monthly, prefix: String = "UST", source: String? = nil
    ) throws(MarketDataError) -> PriceTable {
        var columns: [Int] = []
        let available = yields.symbols.map { maturity(ofColumn: $0) }
        for m in maturities {
            guard m >= 0.5, m <= 50, (m * 2).rounded() == m * 2 else {
                throw MarketDataError(
                    .invalidYield, file: source, field: String(m),
                    message: "maturity \(m) years is not a whole number of half-years from 0.5 to 50",
                    fix: "give maturities such as 2,5,10,30 (years) or 0.5; a bond pays coupons every half year")
            }
            guard let j = available.firstIndex(where: { $0 != nil && Swift.abs($0! - m) < 1e-9 }) else {
                let named = zip(yields.symbols, available).map { $0.1 == nil ? "\($0.0) (no maturity)" : $0.0 }
                throw MarketDataError(
                    .invalidYield, file: source, field: String(m),
                    message: "the yields have no \(formatYears(m)) column (they have \(named.joined(separator: ", ")))",
                    fix: "choose maturities the file has; yields are never interpolated between maturities")
            }
            columns.append(j)
        }
        // Sample each column at the frequency, keeping each sample's own date.
        func key(_ d: MarketDate) -> Int {
            switch frequency {
            case .daily: return d.dayNumber
            case .weekly: return d.dayNumber - (d.isoWeekday - 1)
            case .monthly: return d.year * 12 + d.month
            }
        }
        var ends: [Int] = []
        for i in yields.dates.indices where i == yields.rowCount - 1 || key(yields.dates[i]) != key(yields.dates[i + 1]) {
            ends.append(i)
        }
        let periods = ends.count
        guard periods >= 2 else {
            throw MarketDataError(
                .insufficientData, file: source, message: "the yields cover \(periods) period\(periods == 1 ? "" : "s") at \(frequency)",
                fix: "supply yields over at least two periods")
        }
        let rows = periods - 1
        var out = [Double](repeating: .nan, count: rows * maturities.count)
        for (c, j) in columns.enumerated() {
            let m = maturities[c]
            var sample: [(y: Double, day: Int)?] = []
            var start = 0
            for e in ends {
                var found: (Double, Int)?
                var i = e
                while i >= start {
                    let y = yields[i, j]
                    if !y.isNaN {
                        found = (y, yields.dates[i].dayNumber)
                        break
                    }
                    i -= 1
                }
                sample.append(found.map { (y: $0.0, day: $0.1) })
                start = e + 1
            }
            for p in 1..<periods {
                guard let a = sample[p - 1], let b = sample[p] else { continue }
                let dt = Double(b.day - a.day) / 365.25
                guard dt > 0, dt < m else { continue }
                out[(p - 1) + c * rows] = parBondReturn(maturity: m, previousYield: a.y, currentYield: b.y, elapsed: dt)
            }
        }
        let symbols = maturities.map { symbol(forMaturity: $0, prefix: prefix) }
        return PriceTable(unchecked: symbols, dates: ends.dropFirst().map { yields.dates[$0] }, values: out)
    }

    static func formatYears(_ m: Double) -> String {
        m == m.rounded() ? "\(Int(m))-year" : "\(Int((m * 12).rounded()))-month"
    }
}
