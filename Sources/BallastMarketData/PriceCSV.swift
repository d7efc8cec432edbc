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
        // Map the file with its pages populated up front: one system call instead of a page
        // fault per 4 KiB, and no copy. Falls back to an ordinary read where mapping fails.
        let fd = open(path, O_RDONLY)
        if fd >= 0 {
            defer { close(fd) }
            var info = stat()
            if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG {
                let size = Int(info.st_size)
                if size == 0 { return try parse(Data(), source: path) }
                #if os(Linux)
                    let flags = MAP_PRIVATE | MAP_POPULATE
                #else
                    let flags = MAP_PRIVATE
                #endif
                if let base = mmap(nil, size, PROT_READ, flags, fd, 0), base != MAP_FAILED {
                    defer { munmap(base, size) }
                    let bytes = UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: size)
                    var parser = Parser(bytes: bytes, source: path)
                    return try parser.run()
                }
            }
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let exists = FileManager.default.fileExists(atPath: path)
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            throw MarketDataError(
                .unreadableFile, file: path,
                message: !exists
                    ? "no such file"
                    : isDirectory.boolValue ? "this is a directory, not a file" : "the file cannot be read (\(error.localizedDescription))",
                fix: exists ? "pass a CSV file that you may read" : "check the path; the bundled prices are in market-data/")
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
        try parse(data, source: source, signed: false)
    }

    /// Parses CSV bytes whose values may be zero or negative (returns, yields): the same
    /// format and errors as prices, without the positivity rule.
    static func parse(_ data: Data, source: String, signed: Bool) throws(MarketDataError) -> PriceTable {
        let result: Result<PriceTable, MarketDataError> = data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            var parser = Parser(bytes: bytes, source: source)
            parser.signed = signed
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
    /// Whether zero and negative values are data (returns, yields) rather than errors.
    var signed = false

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
        // Column-major output sized for the most rows the file can hold (one per line
        // terminator), compacted at the end if blank lines made it smaller.
        var capacity = bytes.last == 10 ? 0 : 1
        if var cursor = bytes.baseAddress.map({ UnsafeRawPointer($0 + position) }) {
            let stop = UnsafeRawPointer(bytes.baseAddress! + bytes.count)
            while cursor < stop, let hit = memchr(cursor, 10, stop - cursor) {
                capacity += 1
                cursor = UnsafeRawPointer(hit) + 1
            }
        }
        // Every cell of every parsed row is written (NaN for an empty field); rows past the
        // last parsed one are never read.
        var values = [Double](unsafeUninitializedCapacity: capacity * n) { _, count in count = capacity * n }
        var dates: [MarketDate] = []
        dates.reserveCapacity(capacity)
        var previousLine = 0
        try values.withUnsafeMutableBufferPointer { (out) throws(MarketDataError) in
            while position < bytes.count {
                // Fast path: `YYYY-MM-DD,` then plain decimals or empty fields, LF or CRLF.
                if let (date, end) = fastRow(at: position, fields: n, into: out, row: dates.count, stride: capacity) {
                    line += 1
                    try record(date, line: line, dates: &dates, previousLine: &previousLine)
                    position = end
                    continue
                }
                // General path: trims spaces and quotes, skips blank lines, and explains errors.
                guard let r = nextLine() else { break }
                fields(r, into: &ranges)
                try generalRow(
                    ranges, symbols: symbols, into: out, row: dates.count, stride: capacity, dates: &dates, previousLine: &previousLine)
            }
        }
        if dates.isEmpty {
            throw error(
                .headerOnly, line: headerLine, "the file has a header but no rows", fix: "add one row per date: `YYYY-MM-DD,price,...`")
        }
        let t = dates.count
        if t < capacity {
            var compact = [Double](repeating: 0, count: t * n)
            for j in 0..<n {
                for i in 0..<t { compact[i + j * t] = values[i + j * capacity] }
            }
            values = compact
        }
        return PriceTable(unchecked: symbols, dates: dates, values: values)
    }

    /// Appends a row's date after checking the order.
    func record(_ date: MarketDate, line: Int, dates: inout [MarketDate], previousLine: inout Int) throws(MarketDataError) {
        if let prev = dates.last, date <= prev {
            if date == prev {
                throw error(
                    .duplicateDate, line: line, column: 1, date: date, "date \(date) appears twice (lines \(previousLine) and \(line))",
                    fix: "keep one row per date")
            }
            throw error(
                .unorderedDate, line: line, column: 1, date: date,
                "date \(date) comes after \(prev) (line \(previousLine)); dates must be strictly increasing", fix: "sort the rows by date")
        }
        dates.append(date)
        previousLine = line
    }

    /// Parses one simple row in a single pass, or returns nil when the row needs the general
    /// path (values it wrote are then overwritten). Returns the date and the position after
    /// the line terminator.
    ///
    /// A simple row is `YYYY-MM-DD` and fields that are empty or positive finite numbers
    /// (read by ``DecimalText`` with the plain syntax, as the general path reads them),
    /// separated by commas and ended by LF, CRLF or the end of the file.
    @inline(__always)
    func fastRow(at start: Int, fields n: Int, into out: UnsafeMutableBufferPointer<Double>, row: Int, stride: Int) -> (MarketDate, Int)? {
        guard start &+ 11 <= bytes.count, bytes[start &+ 10] == 44, let date = MarketDate.parseISO(bytes[start..<(start &+ 10)]) else {
            return nil
        }
        let base = bytes.baseAddress!
        let end = base + bytes.count
        var p = base + start + 11
        var slot = out.baseAddress! + row
        var k = 1
        var done: (MarketDate, Int)?? = nil
        /// Moves past the delimiter after a field. Returns false at the end of the row, with
        /// `done` holding the result (nil when the row is not simple).
        func advance() -> Bool {
            slot += stride
            if k < n {
                guard p < end, p.pointee == 44 else {
                    done = .some(nil)
                    return false
                }
                p += 1
                k &+= 1
                return true
            }
            if p == end {
                done = (date, p - base)
            } else if p.pointee == 10 {
                done = (date, p + 1 - base)
            } else if p.pointee == 13 && p + 1 < end && (p + 1).pointee == 10 {
                done = (date, p + 2 - base)
            } else {
                done = .some(nil)
            }
            return false
        }
        while true {
            if p < end && p.pointee != 44 && p.pointee != 10 && p.pointee != 13 {
                // The common field, `digits[.digits]` with at most 15 digits and not zero, in one
                // pass: m / 10^k with both exact, the correctly rounded value DecimalText's
                // Clinger path gives it. Anything else (a sign, an exponent, more digits) is
                // read by DecimalText itself.
                var q = p
                var mantissa: UInt64 = 0
                while q < end, q.pointee &- 48 < 10 {
                    mantissa = mantissa &* 10 &+ UInt64(q.pointee &- 48)
                    q += 1
                }
                var digits = q - p
                var fraction = 0
                if q < end && q.pointee == 46 {
                    q += 1
                    let fractionStart = q
                    while q < end, q.pointee &- 48 < 10 {
                        mantissa = mantissa &* 10 &+ UInt64(q.pointee &- 48)
                        q += 1
                    }
                    fraction = q - fractionStart
                    digits &+= fraction
                }
                if digits > 0 && digits <= 15 && mantissa != 0
                    && (q == end || q.pointee == 44 || q.pointee == 10 || q.pointee == 13)
                {
                    slot.pointee = Double(mantissa) / DecimalText.powerOfTen(fraction)
                    p = q
                } else {
                    // A price that is not a positive finite number goes to the general path, which names it.
                    guard let (v, after) = DecimalText.scan(bytes, from: p - base, syntax: .plain), v > 0, v.isFinite else {
                        return nil
                    }
                    slot.pointee = v
                    p = base + after
                }
            } else {
                slot.pointee = .nan
            }
            if !advance() { return done ?? nil }
        }
    }

    /// One row through the general path, with a precise error for anything wrong.
    func generalRow(
        _ ranges: [Range<Int>], symbols: [String], into out: UnsafeMutableBufferPointer<Double>, row: Int, stride: Int,
        dates: inout [MarketDate], previousLine: inout Int
    ) throws(MarketDataError) {
        let n = symbols.count
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
        try record(date, line: line, dates: &dates, previousLine: &previousLine)
        for k in 1...n {
            let fr = ranges[k]
            if fr.isEmpty {
                out[row + (k - 1) * stride] = .nan
                continue
            }
            guard let v = parseNumber(fr) else {
                let t = text(fr)
                let lower = t.lowercased()
                let nonFinite = ["nan", "-nan", "+nan", "inf", "-inf", "+inf", "infinity", "-infinity", "+infinity"].contains(lower)
                throw error(
                    nonFinite ? .nonFiniteNumber : .invalidNumber, line: line, column: k + 1, field: symbols[k - 1], date: date,
                    nonFinite ? "`\(t)` is not a price" : "`\(t)` is not a number",
                    fix: nonFinite ? "leave the field empty to mark a missing price" : "write the price as a plain decimal such as 123.45")
            }
            if !v.isFinite || (!signed && !(v > 0)) {
                let overflow = !v.isFinite
                throw error(
                    overflow ? .nonFiniteNumber : .nonPositivePrice, line: line, column: k + 1, field: symbols[k - 1], date: date,
                    overflow ? "`\(text(fr))` overflows a double" : "price `\(text(fr))` is not positive",
                    fix: "prices must be positive; leave the field empty to mark a missing price")
            }
            out[row + (k - 1) * stride] = v
        }
    }

    /// Parses a decimal number (``DecimalText/Syntax/plain``); nil when the field is not one.
    @inline(__always)
    func parseNumber(_ r: Range<Int>) -> Double? { DecimalText.parse(bytes, r, syntax: .plain) }
}
