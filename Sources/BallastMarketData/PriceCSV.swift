import Foundation

/// Reads wide price CSV files: `date,SYM1,SYM2,...`, one row per date.
///
/// The format:
/// - The header's first field is `date` (any case); the others are unique, non-empty symbols.
/// - Each row has exactly as many fields as the header. Dates are ISO (`YYYY-MM-DD`), real
///   calendar days, strictly increasing.
/// - A price is a plain decimal (`123.45`, optionally with an exponent `1.2e3`), finite and
///   positive. An empty field marks a missing price. `NaN`, `inf`, `0` and negatives are
///   rejected: a missing value must be written as an empty field so that it is never
///   mistaken for data.
/// - A UTF-8 byte-order mark and CRLF line endings are accepted; blank lines are ignored;
///   spaces around a field are trimmed; a field may be wrapped in double quotes.
///
/// Every problem is reported as a ``MarketDataError`` naming the file, the 1-based line and
/// column, the symbol and the date where known, with a fix. Nothing is skipped silently.
public enum PriceCSV {
    /// Reads and parses a file.
    ///
    /// - Parameter path: the file's path; it is also the name used in error messages.
    /// - Throws: ``MarketDataError``.
    /// - Complexity: O(file size).
    public static func read(path: String) throws(MarketDataError) -> PriceTable {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            let exists = FileManager.default.fileExists(atPath: path)
            throw MarketDataError(
                .unreadableFile, file: path,
                message: exists ? "the file cannot be read (\(error.localizedDescription))" : "no such file",
                fix: exists ? "check the file's permissions" : "check the path; the bundled prices are in market-data/")
        }
        return try parse(data, source: path)
    }

    /// Parses CSV bytes.
    ///
    /// - Parameters:
    ///   - data: the file's bytes.
    ///   - source: the name used in error messages (a path, or e.g. `<stdin>`).
    /// - Throws: ``MarketDataError``.
    public static func parse(_ data: Data, source: String = "<input>") throws(MarketDataError) -> PriceTable {
        let result: Result<PriceTable, MarketDataError> = data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            var parser = Parser(bytes: bytes, source: source)
            do throws(MarketDataError) {
                return .success(try parser.run())
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Parses CSV text.
    public static func parse(_ text: String, source: String = "<input>") throws(MarketDataError) -> PriceTable {
        try parse(Data(text.utf8), source: source)
    }

    /// Writes a table as CSV text (`date,SYM...`, empty fields for missing prices).
    public static func format(_ table: PriceTable) -> String {
        var out = "date," + table.symbols.joined(separator: ",") + "\n"
        for i in 0..<table.rowCount {
            out += table.dates[i].description
            for j in 0..<table.symbolCount {
                let v = table[i, j]
                out += v.isNaN ? "," : "," + String(v)
            }
            out += "\n"
        }
        return out
    }
}

// MARK: - Parser

private struct Parser {
    let bytes: UnsafeBufferPointer<UInt8>
    let source: String
    var position = 0
    var line = 0

    init(bytes: UnsafeBufferPointer<UInt8>, source: String) {
        self.bytes = bytes
        self.source = source
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { position = 3 }
    }

    func error(
        _ code: MarketDataError.Code, line: Int? = nil, column: Int? = nil, field: String? = nil, date: MarketDate? = nil,
        _ message: String, fix: String
    ) -> MarketDataError {
        MarketDataError(code, file: source, line: line, column: column, field: field, date: date, message: message, fix: fix)
    }

    /// The next non-blank line as a byte range without its terminator, or nil at the end.
    mutating func nextLine() -> Range<Int>? {
        while position < bytes.count {
            line += 1
            let start = position
            var end = start
            while end < bytes.count && bytes[end] != 10 { end += 1 }
            position = end + 1
            var stop = end
            if stop > start && bytes[stop - 1] == 13 { stop -= 1 }
            // Blank (or whitespace-only) lines carry no record; skip them.
            var k = start
            while k < stop && (bytes[k] == 32 || bytes[k] == 9) { k += 1 }
            if k < stop { return start..<stop }
        }
        return nil
    }

    /// Splits a line into trimmed, unquoted field ranges.
    func fields(_ r: Range<Int>, into out: inout [Range<Int>]) {
        out.removeAll(keepingCapacity: true)
        var s = r.lowerBound
        var i = s
        while true {
            if i == r.upperBound || bytes[i] == 44 {
                var a = s
                var b = i
                while a < b && (bytes[a] == 32 || bytes[a] == 9) { a += 1 }
                while b > a && (bytes[b - 1] == 32 || bytes[b - 1] == 9) { b -= 1 }
                if b - a >= 2 && bytes[a] == 34 && bytes[b - 1] == 34 {
                    a += 1
                    b -= 1
                }
                out.append(a..<b)
                if i == r.upperBound { break }
                s = i + 1
            }
            i += 1
        }
    }

    func text(_ r: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[r]), as: UTF8.self)
    }

    mutating func run() throws(MarketDataError) -> PriceTable {
        guard let headerRange = nextLine() else {
            throw error(.emptyFile, "the file is empty", fix: "supply a header line `date,SYM1,SYM2,...` followed by one row per date")
        }
        if bytes[headerRange].contains(0) {
            throw error(.badHeader, line: line, "the file is binary, not CSV text", fix: "supply a UTF-8 CSV file")
        }
        var ranges: [Range<Int>] = []
        fields(headerRange, into: &ranges)
        let headerLine = line
        let first = text(ranges[0]).lowercased()
        guard first == "date" else {
            throw error(
                .badHeader, line: headerLine, column: 1, field: text(ranges[0]),
                "the first header field must be `date`", fix: "start the header with `date,` followed by the symbols")
        }
        guard ranges.count >= 2 else {
            throw error(
                .badHeader, line: headerLine, "the header names no symbols", fix: "list the symbols after `date`, separated by commas")
        }
        var symbols: [String] = []
        var seen: [String: Int] = [:]
        for (k, r) in ranges.enumerated().dropFirst() {
            let s = text(r)
            if s.isEmpty {
                throw error(.badHeader, line: headerLine, column: k + 1, "header column \(k + 1) has no symbol", fix: "name every column")
            }
            if let prior = seen[s] {
                throw error(
                    .duplicateSymbol, line: headerLine, column: k + 1, field: s,
                    "symbol \(s) appears twice (columns \(prior) and \(k + 1))", fix: "give every column a unique symbol")
            }
            seen[s] = k + 1
            symbols.append(s)
        }
        let n = symbols.count
        // Row-major staging; transposed once at the end.
        var staged: [Double] = []
        staged.reserveCapacity(Swift.max(16, bytes.count / Swift.max(1, n * 4)) * n)
        var dates: [MarketDate] = []
        dates.reserveCapacity(bytes.count / Swift.max(1, n * 6))
        var dateLines: [Int] = []
        while let r = nextLine() {
            fields(r, into: &ranges)
            if ranges.count != n + 1 {
                throw error(
                    .raggedRow, line: line, column: ranges.count > n + 1 ? n + 2 : ranges.count + 1,
                    "the row has \(ranges.count) fields but the header has \(n + 1)",
                    fix: "give every row a date and one field per symbol; leave a field empty for a missing price")
            }
            guard let date = MarketDate.parseISO(bytes[ranges[0]]) else {
                let t = text(ranges[0])
                let looksISO = t.utf8.count == 10 && t.split(separator: "-").count == 3
                throw error(
                    .invalidDate, line: line, column: 1, field: "date",
                    looksISO ? "`\(t)` is not a real calendar date" : "`\(t)` is not an ISO date",
                    fix: "write dates as YYYY-MM-DD with a valid month and day, e.g. 2022-12-30")
            }
            if let prev = dates.last, date <= prev {
                if date == prev {
                    throw error(
                        .duplicateDate, line: line, column: 1, date: date,
                        "date \(date) appears twice (lines \(dateLines.last!) and \(line))", fix: "keep one row per date")
                }
                throw error(
                    .unorderedDate, line: line, column: 1, date: date,
                    "date \(date) comes after \(prev) (line \(dateLines.last!)); dates must be strictly increasing",
                    fix: "sort the rows by date")
            }
            dates.append(date)
            dateLines.append(line)
            for k in 1...n {
                let fr = ranges[k]
                if fr.isEmpty {
                    staged.append(.nan)
                    continue
                }
                guard let v = parseNumber(fr) else {
                    let t = text(fr)
                    let lower = t.lowercased()
                    let nonFinite = ["nan", "-nan", "+nan", "inf", "-inf", "+inf", "infinity", "-infinity", "+infinity"].contains(lower)
                    throw error(
                        nonFinite ? .nonFiniteNumber : .invalidNumber, line: line, column: k + 1, field: symbols[k - 1], date: date,
                        nonFinite ? "`\(t)` is not a price" : "`\(t)` is not a number",
                        fix: nonFinite
                            ? "leave the field empty to mark a missing price" : "write the price as a plain decimal such as 123.45")
                }
                if !(v > 0) || !v.isFinite {
                    let overflow = !v.isFinite
                    throw error(
                        overflow ? .nonFiniteNumber : .nonPositivePrice, line: line, column: k + 1, field: symbols[k - 1],
                        date: date, overflow ? "`\(text(fr))` overflows a double" : "price `\(text(fr))` is not positive",
                        fix: "prices must be positive; leave the field empty to mark a missing price")
                }
                staged.append(v)
            }
        }
        if dates.isEmpty {
            throw error(
                .headerOnly, line: headerLine, "the file has a header but no rows", fix: "add one row per date: `YYYY-MM-DD,price,...`")
        }
        let t = dates.count
        var values = [Double](repeating: 0, count: t * n)
        values.withUnsafeMutableBufferPointer { out in
            staged.withUnsafeBufferPointer { src in
                for i in 0..<t {
                    let row = i * n
                    for j in 0..<n { out[i + j * t] = src[row + j] }
                }
            }
        }
        return PriceTable(unchecked: symbols, dates: dates, values: values)
    }

    /// Parses a decimal number; nil when the field is not one.
    ///
    /// Fast path (Clinger): at most 15 significant digits and at most 22 decimals give a
    /// mantissa and a power of ten that are both exact doubles, so one division is correctly
    /// rounded. Anything else goes to `strtod`, which is correctly rounded too.
    @inline(__always)
    func parseNumber(_ r: Range<Int>) -> Double? {
        var i = r.lowerBound
        let end = r.upperBound
        var negative = false
        if bytes[i] == 45 || bytes[i] == 43 {
            negative = bytes[i] == 45
            i += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var fraction = 0
        var sawDigit = false
        var sawPoint = false
        while i < end {
            let c = bytes[i]
            if c >= 48 && c <= 57 {
                sawDigit = true
                if mantissa == 0 && c == 48 {
                    if sawPoint { fraction += 1 }
                } else {
                    mantissa = mantissa &* 10 &+ UInt64(c - 48)
                    digits += 1
                    if sawPoint { fraction += 1 }
                }
            } else if c == 46 && !sawPoint {
                sawPoint = true
            } else {
                break
            }
            i += 1
        }
        if i == end && sawDigit && digits <= 15 && fraction <= 22 {
            let v = Double(mantissa) / powersOfTen[fraction]
            return negative ? -v : v
        }
        return slowParse(r)
    }

    func slowParse(_ r: Range<Int>) -> Double? {
        // Only plain decimal syntax with an optional exponent is a price; strtod would also
        // accept hex, "nan" and "inf", which are rejected here on purpose.
        var sawDigit = false
        for k in r {
            let c = bytes[k]
            switch c {
            case 48...57: sawDigit = true
            case 43, 45, 46, 69, 101: continue
            default: return nil
            }
        }
        guard sawDigit else { return nil }
        var buffer = [CChar](repeating: 0, count: r.count + 1)
        for (o, k) in r.enumerated() { buffer[o] = CChar(bitPattern: bytes[k]) }
        return buffer.withUnsafeBufferPointer { p -> Double? in
            var endPointer: UnsafeMutablePointer<CChar>? = nil
            let v = strtod(p.baseAddress!, &endPointer)
            guard let endPointer, endPointer - UnsafeMutablePointer(mutating: p.baseAddress!) == r.count else { return nil }
            return v
        }
    }
}

private let powersOfTen: [Double] = (0...22).map { e in
    var v = 1.0
    for _ in 0..<e { v *= 10 }
    return v
}
