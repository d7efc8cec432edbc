/// A problem with market data: where it is and how to fix it.
///
/// Every error carries a stable ``Code`` (for programs), the place (file, 1-based line and
/// column, the field or symbol, the date) as far as it is known, a sentence saying what is
/// wrong, and a sentence saying how to fix it. ``description`` joins them into one message
/// of the form `file:line:column: what (field SYM, date D); fix`.
public struct MarketDataError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable identifiers of the kinds of market-data problem.
    public enum Code: String, Sendable, Codable, CaseIterable {
        case unreadableFile = "unreadable-file"
        case emptyFile = "empty-file"
        case headerOnly = "header-only"
        case badHeader = "bad-header"
        case duplicateSymbol = "duplicate-symbol"
        case raggedRow = "ragged-row"
        case invalidDate = "invalid-date"
        case duplicateDate = "duplicate-date"
        case unorderedDate = "unordered-date"
        case invalidNumber = "invalid-number"
        case nonFiniteNumber = "non-finite-number"
        case nonPositivePrice = "non-positive-price"
        case emptyWindow = "empty-window"
        case invalidWindow = "invalid-window"
        case unknownSymbol = "unknown-symbol"
        case insufficientData = "insufficient-data"
        case invalidCatalog = "invalid-catalog"
    }

    /// What kind of problem this is.
    public var code: Code
    /// The file (as given by the caller), if the data came from one.
    public var file: String?
    /// 1-based line number in the file.
    public var line: Int?
    /// 1-based column (field) number in the line.
    public var column: Int?
    /// The field, symbol or JSON path concerned.
    public var field: String?
    /// The date concerned.
    public var date: MarketDate?
    /// What is wrong, in one sentence.
    public var message: String
    /// How to fix it, in one sentence.
    public var fix: String

    /// Creates an error.
    public init(
        _ code: Code, file: String? = nil, line: Int? = nil, column: Int? = nil, field: String? = nil,
        date: MarketDate? = nil, message: String, fix: String
    ) {
        self.code = code
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.date = date
        self.message = message
        self.fix = fix
    }

    /// `file:line:column: message (field F, date D); fix`.
    public var description: String {
        var place = ""
        if let file { place += file }
        if let line { place += (place.isEmpty ? "line " : ":") + String(line) }
        if let column { place += (line == nil ? " column " : ":") + String(column) }
        // Name the field and the date unless the message already does.
        var context: [String] = []
        if let field, !message.contains(field) { context.append("field \(field)") }
        if let date, !message.contains(date.description) { context.append("date \(date)") }
        let ctx = context.isEmpty ? "" : " (" + context.joined(separator: ", ") + ")"
        return (place.isEmpty ? "" : place + ": ") + message + ctx + "; " + fix
    }
}
