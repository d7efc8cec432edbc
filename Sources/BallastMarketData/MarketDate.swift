import Foundation

/// A calendar date without a time zone (a trading day), stored as a day number.
///
/// Market data is daily and exchange-local, so Ballast never converts dates through time
/// zones: `2022-12-28` is the same day everywhere. The text form is ISO 8601 (`YYYY-MM-DD`).
public struct MarketDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// Days since 1970-01-01 (negative before it).
    public let dayNumber: Int

    /// Today's date in UTC (the default as-of date of a new customer file).
    public static var today: MarketDate {
        MarketDate(dayNumber: Int((Date().timeIntervalSince1970 / 86_400).rounded(.down)))
    }

    /// Creates a date from its day number (days since 1970-01-01).
    public init(dayNumber: Int) { self.dayNumber = dayNumber }

    /// Creates a date from a year, month and day, or returns `nil` when no such day exists
    /// (for example February 30 or month 13).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1,
            day <= MarketDate.daysIn(month: month, year: year)
        else { return nil }
        self.dayNumber = MarketDate.daysFromCivil(year: year, month: month, day: day)
    }

    /// Parses a strict ISO date `YYYY-MM-DD`; `nil` for anything else.
    public init?(iso text: some StringProtocol) {
        let bytes = Array(text.utf8)
        guard let d = bytes.withUnsafeBufferPointer({ MarketDate.parseISO($0[...]) }) else { return nil }
        self = d
    }

    /// Year, month (1-12) and day (1-31).
    public var components: (year: Int, month: Int, day: Int) {
        MarketDate.civil(fromDays: dayNumber)
    }

    /// The year.
    public var year: Int { components.year }
    /// The month, 1-12.
    public var month: Int { components.month }

    /// ISO weekday: 1 = Monday ... 7 = Sunday.
    public var isoWeekday: Int {
        // 1970-01-01 was a Thursday (4).
        let w = (dayNumber + 3) % 7
        return (w < 0 ? w + 7 : w) + 1
    }

    /// The text form, `YYYY-MM-DD`.
    public var description: String {
        let (y, m, d) = components
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: Swift.max(0, width - s.count)) + s
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
    }

    /// The date `days` later (earlier when negative).
    public func adding(days: Int) -> MarketDate { MarketDate(dayNumber: dayNumber + days) }

    /// The same day `months` months later, clamped to the end of a shorter month.
    public func adding(months: Int) -> MarketDate {
        let (y, m, d) = components
        let total = y * 12 + (m - 1) + months
        let ny = total / 12
        let nm = total % 12 + 1
        let nd = Swift.min(d, MarketDate.daysIn(month: nm, year: ny))
        return MarketDate(year: ny, month: nm, day: nd)!
    }

    /// Earlier dates first.
    public static func < (lhs: MarketDate, rhs: MarketDate) -> Bool { lhs.dayNumber < rhs.dayNumber }

    /// Decodes an ISO date string (`YYYY-MM-DD`).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        guard let d = MarketDate(iso: s) else {
            throw DecodingError.dataCorruptedError(
                in: c, debugDescription: "'\(s)' is not a valid ISO date; write YYYY-MM-DD, e.g. 2022-12-30")
        }
        self = d
    }

    /// Encodes as an ISO date string.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    // MARK: Calendar arithmetic (proleptic Gregorian; H. Hinnant's days-from-civil algorithm)

    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    /// Parses exactly ten bytes `YYYY-MM-DD`.
    @inline(__always)
    package static func parseISO(_ b: Slice<UnsafeBufferPointer<UInt8>>) -> MarketDate? {
        guard b.count == 10 else { return nil }
        let s = b.startIndex
        guard b[s + 4] == UInt8(ascii: "-"), b[s + 7] == UInt8(ascii: "-") else { return nil }
        @inline(__always) func digits(_ o: Int, _ n: Int) -> Int? {
            var x = 0
            for i in 0..<n {
                let c = b[s + o + i]
                guard c >= 48 && c <= 57 else { return nil }
                x = x * 10 + Int(c - 48)
            }
            return x
        }
        guard let y = digits(0, 4), let m = digits(5, 2), let d = digits(8, 2) else { return nil }
        return MarketDate(year: y, month: m, day: d)
    }
}
