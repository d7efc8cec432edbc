import Foundation

/// A plain-text table for terminals: a header, aligned columns, a rule under the header.
public struct TextTable: Sendable {
    /// How a column's cells line up.
    public enum Alignment: Sendable { case left, right }

    /// The column titles.
    public var headers: [String]
    /// One alignment per column.
    public var alignments: [Alignment]
    /// The body, one array of cells per row.
    public var rows: [[String]] = []

    /// A table with these columns: the first aligned left, the others right unless given.
    public init(_ headers: [String], alignments: [Alignment]? = nil) {
        self.headers = headers
        self.alignments = alignments ?? headers.indices.map { $0 == 0 ? .left : .right }
    }

    /// Appends a row.
    public mutating func add(_ row: [String]) { rows.append(row) }

    /// The table as text, one line per row, each line ending in a newline.
    public func render() -> String {
        var widths = headers.map(\.count)
        for r in rows { for (k, c) in r.enumerated() where k < widths.count { widths[k] = max(widths[k], c.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { k, c in
                let pad = String(repeating: " ", count: max(0, widths[k] - c.count))
                return alignments[k] == .left ? c + pad : pad + c
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        var out = line(headers) + "\n"
        out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
        for r in rows { out += line(r) + "\n" }
        return out
    }
}

/// `0.1234` -> `12.34%`.
func percent(_ x: Double, digits: Int = 2) -> String {
    x.isFinite ? String(format: "%.\(digits)f%%", x * 100) : "n/a"
}

/// A percentage, "n/a" for an undefined value.
func percent(_ x: Double?, digits: Int = 2) -> String { x.map { percent($0, digits: digits) } ?? "n/a" }

/// A number with a fixed count of significant digits, `n/a` when not finite.
func number(_ x: Double, digits: Int = 4) -> String {
    x.isFinite ? String(format: "%.\(digits)g", x) : "n/a"
}

/// The JSON text of the result types, as `ballast ... --format json` prints them: pretty,
/// with sorted keys and unescaped slashes, so that a service and the command line give the
/// same bytes for the same result.
public enum ResultJSON {
    /// The value's JSON text.
    ///
    /// - Throws: `EncodingError` when a value cannot be encoded (a non-finite number).
    public static func string(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

/// The text formats of the screens, for front ends that compose their own.
public enum TextFormat {
    /// `0.1234` -> `12.34%`; `n/a` when undefined or not finite.
    public static func percent(_ x: Double?, digits: Int = 2) -> String { BallastReports.percent(x, digits: digits) }

    /// `text` wrapped at word boundaries to `width` columns, continuation lines indented.
    public static func wrapped(_ text: String, width: Int = 100, indent: Int = 4) -> String {
        BallastReports.wrapped(text, width: width, indent: indent)
    }
}

/// `text` wrapped at word boundaries to `width` columns, continuation lines indented by
/// `indent` spaces (the first line carries its own prefix).
func wrapped(_ text: String, width: Int = 100, indent: Int = 4) -> String {
    var lines: [String] = []
    var line = ""
    for word in text.split(separator: " ", omittingEmptySubsequences: false) {
        let candidate = line.isEmpty ? String(word) : line + " " + word
        if candidate.count > width && !line.isEmpty {
            lines.append(line)
            line = String(repeating: " ", count: indent) + word
        } else {
            line = candidate
        }
    }
    lines.append(line)
    return lines.joined(separator: "\n")
}
