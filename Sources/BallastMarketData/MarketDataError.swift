/// A problem with market data: where it is and how to fix it.
///
/// Every error carries a stable ``Code`` (for programs), the place (file, 1-based line and
/// column, the field or symbol, the date) as far as it is known, a sentence saying what is
/// wrong, and a sentence saying how to fix it. ``description`` joins them into one message
/// of the form `file:line:column: what (field SYM, date D); fix`.
public struct MarketDataError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable identifiers of the kinds of market-data problem.
    public enum Code: String, Sendable, Codable, CaseIterable {
        /// The file cannot be read.
        case unreadableFile = "unreadable-file"
        /// The file is empty.
        case emptyFile = "empty-file"
        /// The file has a header and no rows.
        case headerOnly = "header-only"
        /// The header is not `date,SYM1,...`.
        case badHeader = "bad-header"
        /// A symbol appears twice in the header.
        case duplicateSymbol = "duplicate-symbol"
        /// A row has the wrong number of fields.
        case raggedRow = "ragged-row"
        /// A date is not a valid ISO date.
        case invalidDate = "invalid-date"
        /// A date appears twice.
        case duplicateDate = "duplicate-date"
        /// Dates are not ascending.
        case unorderedDate = "unordered-date"
        /// A field is not a number.
        case invalidNumber = "invalid-number"
        /// A field is NaN, infinite, or overflows.
        case nonFiniteNumber = "non-finite-number"
        /// A price is zero or negative.
        case nonPositivePrice = "non-positive-price"
        /// No rows fall in the requested window.
        case emptyWindow = "empty-window"
        /// The window's start is after its end.
        case invalidWindow = "invalid-window"
        /// A requested symbol is not in the table.
        case unknownSymbol = "unknown-symbol"
        /// Too few rows for the request.
        case insufficientData = "insufficient-data"
        /// The product catalogue is malformed.
        case invalidCatalog = "invalid-catalog"
        /// A return is -100% or worse, or a return series has a gap inside its history.
        case invalidReturn = "invalid-return"
        /// A yield is implausible for its stated unit, or a yield column does not name its maturity.
        case invalidYield = "invalid-yield"
        /// A universe specification is malformed or names data that are not there.
        case invalidUniverse = "invalid-universe"
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
