import Foundation

/// A plain-text table for terminals: a header, aligned columns, a rule under the header.
struct TextTable {
    enum Alignment { case left, right }

    var headers: [String]
    var alignments: [Alignment]
    var rows: [[String]] = []

    init(_ headers: [String], alignments: [Alignment]? = nil) {
        self.headers = headers
        self.alignments = alignments ?? headers.indices.map { $0 == 0 ? .left : .right }
    }

    mutating func add(_ row: [String]) { rows.append(row) }

    func render() -> String {
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

/// Encodes a value as pretty JSON with sorted keys (stable output for diffs and tests).
func jsonString<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
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
