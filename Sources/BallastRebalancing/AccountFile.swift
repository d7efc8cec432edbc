import BallastMarketData
import Foundation

// MARK: - The account schema

extension Account {
    /// The fields of an account (a file of `rebalance --account` or a line of a batch book), in
    /// the order they are listed in messages.
    public static let fieldNames = ["cash", "cashFlow", "holdings", "id", "lastRebalance", "model"]
    /// The fields of `cashFlow`.
    public static let cashFlowFieldNames = ["amount"]

    /// Reads an account from JSON, strictly: one object with only the fields of
    /// ``fieldNames`` (and `amount` in `cashFlow`), each at most once, no trailing commas, numbers
    /// that are finite. Account files and batch lines are read by this one function (the batch
    /// planner's byte parser accepts only plain lines that this function reads the same way and
    /// leaves every other line to it).
    ///
    /// - Throws: ``RebalanceError`` with the field (`holdings.KO`) or, for a syntax error, the
    ///   line and column, and what to change.
    public static func decode(json bytes: some Collection<UInt8>) throws(RebalanceError) -> Account {
        var reader = StrictJSONReader(Array(bytes))
        let root = try reader.document()
        guard case .object(let members) = root.value else {
            throw RebalanceError("an account is a JSON object {\"id\": ..., \"model\": ..., \"cash\": ..., \"holdings\": {...}}")
        }
        var fields: [String: StrictJSONReader.Node] = [:]
        for (key, node) in members {
            guard fieldNames.contains(key) else {
                throw RebalanceError(
                    accountId: members.first { $0.0 == "id" }.flatMap { $0.1.string }, field: key,
                    "unknown field; the fields of an account are \(fieldNames.joined(separator: ", "))")
            }
            fields[key] = node
        }
        guard let idNode = fields["id"] else { throw RebalanceError(field: "id", "required (the account's id, as text)") }
        guard let id = idNode.string else { throw RebalanceError(field: "id", "must be text, such as \"A-1\"") }
        func number(_ node: StrictJSONReader.Node, _ field: String) throws(RebalanceError) -> Double {
            guard case .number(let text) = node.value else {
                throw RebalanceError(accountId: id, field: field, "must be a number (got \(node.kind))")
            }
            guard let v = Double(text), v.isFinite else {
                throw RebalanceError(accountId: id, field: field, "\(text) is too large to be an amount or a quantity")
            }
            return v
        }
        func amount(_ node: StrictJSONReader.Node, _ field: String) throws(RebalanceError) -> Money {
            try Account.amount(try number(node, field), field: field, accountId: id)
        }
        var model: String?
        if let m = fields["model"], !m.isNull {
            guard let s = m.string else { throw RebalanceError(accountId: id, field: "model", "must be text, such as \"C3\"") }
            model = s
        }
        guard let cashNode = fields["cash"] else { throw RebalanceError(accountId: id, field: "cash", "required (an amount, 0 or more)") }
        let cash = try amount(cashNode, "cash")
        guard let holdingsNode = fields["holdings"] else {
            throw RebalanceError(accountId: id, field: "holdings", "required (an object of symbol to quantity, {} for none)")
        }
        guard case .object(let held) = holdingsNode.value else {
            throw RebalanceError(
                accountId: id, field: "holdings", "must be an object of symbol to quantity, such as {\"KO\": 10} (got \(holdingsNode.kind))"
            )
        }
        var holdings: [String: Double] = [:]
        for (symbol, q) in held { holdings[symbol] = try number(q, "holdings.\(symbol)") }
        var flow: CashFlow?
        if let f = fields["cashFlow"], !f.isNull {
            guard case .object(let parts) = f.value else {
                throw RebalanceError(accountId: id, field: "cashFlow", "must be an object such as {\"amount\": 5000} (got \(f.kind))")
            }
            for (key, _) in parts where !cashFlowFieldNames.contains(key) {
                throw RebalanceError(accountId: id, field: "cashFlow.\(key)", "unknown field; the field of cashFlow is amount")
            }
            guard let amountNode = parts.first(where: { $0.0 == "amount" })?.1 else {
                throw RebalanceError(accountId: id, field: "cashFlow.amount", "required (positive deposits, negative withdraws)")
            }
            flow = CashFlow(amount: try amount(amountNode, "cashFlow.amount"))
        }
        var last: MarketDate?
        if let d = fields["lastRebalance"], !d.isNull {
            guard let text = d.string else {
                throw RebalanceError(accountId: id, field: "lastRebalance", "must be a date as text, YYYY-MM-DD (got \(d.kind))")
            }
            guard let date = MarketDate(iso: text) else {
                throw RebalanceError(accountId: id, field: "lastRebalance", "`\(text)` is not a date; write YYYY-MM-DD")
            }
            last = date
        }
        return Account(id: id, model: model, cash: cash, holdings: holdings, cashFlow: flow, lastRebalance: last)
    }

    /// An amount of an account as money: finite, below 10^13 in magnitude and to the cent.
    ///
    /// - Throws: ``RebalanceError`` naming the account and the field.
    public static func amount(_ v: Double, field: String, accountId: String? = nil) throws(RebalanceError) -> Money {
        guard v.isFinite else { throw RebalanceError(accountId: accountId, field: field, "must be a finite amount") }
        guard abs(v) < 1e13 else { throw RebalanceError(accountId: accountId, field: field, "is above 10^13, beyond what a plan handles") }
        guard isCents(v) else {
            throw RebalanceError(
                accountId: accountId, field: field, "\(v) has more than 2 decimals; amounts are kept in cents: round it to the cent")
        }
        return Money(v)
    }

    /// Checks what an account file may not hold, beyond its shape: `cash` and the cash flow to
    /// the cent (at most 2 decimals), whole quantities of products whose lot size is a whole
    /// number (multiples of the lot size for fractional lots) unless the policy plans
    /// fractional quantities, and a `lastRebalance` on or before the as-of date.
    ///
    /// - Throws: ``RebalanceError`` naming the account, the field and the fix.
    public func validate(asOf: MarketDate, lotSizes: [String: Double], fractionalDecimals: Int?) throws(RebalanceError) {
        try Self.checkAmounts(id: id, cash: cash.amount, flow: cashFlow?.amount.amount, lastRebalance: lastRebalance, asOf: asOf)
        if fractionalDecimals == nil {
            for (symbol, q) in holdings.sorted(by: { $0.key < $1.key }) {
                try Self.checkQuantity(id: id, symbol: symbol, q, lotSize: lotSizes[symbol] ?? 1)
            }
        }
    }

    /// Cash and flow to the cent, and no last rebalance after `asOf` (see ``validate(asOf:lotSizes:fractionalDecimals:)``).
    @inline(__always)
    static func checkAmounts(id: String, cash: Double, flow: Double?, lastRebalance: MarketDate?, asOf: MarketDate)
        throws(RebalanceError)
    {
        if !isCents(cash) || !isCents(flow ?? 0) {
            let (field, v) = isCents(cash) ? ("cashFlow.amount", flow ?? 0) : ("cash", cash)
            throw RebalanceError(
                accountId: id, field: field, "\(v) has more than 2 decimals; amounts are kept in cents: round it to the cent")
        }
        if let lastRebalance, lastRebalance > asOf {
            throw RebalanceError(
                accountId: id, field: "lastRebalance",
                "\(lastRebalance) is after the as-of date \(asOf); a last rebalance cannot be in the future: correct the date or --as-of")
        }
    }

    /// Whether `v` is the nearest double to an amount with at most 2 decimals (any value that is
    /// not finite or too large for cents passes, for the planner's own messages).
    @inline(__always)
    static func isCents(_ v: Double) -> Bool {
        guard v.isFinite, abs(v) < 1e13 else { return true }
        return (v * 100).rounded() / 100 == v
    }

    /// Whether `q` passes ``checkQuantity(id:symbol:_:lotSize:)`` (non-finite, negative and
    /// huge quantities pass, for the planner's own messages).
    @inline(__always)
    static func isWholeLots(_ q: Double, lotSize lot: Double) -> Bool {
        guard q.isFinite, q >= 0, q < 1e15 else { return true }
        let step = lot >= 1 && lot.rounded() == lot ? 1 : lot
        let units = q / step
        return abs(units - units.rounded()) <= 1e-9 * Swift.max(1, units)
    }

    /// A held quantity is a whole number of units of a product with a whole lot size, or a
    /// multiple of a fractional lot size.
    @inline(__always)
    static func checkQuantity(id: String, symbol: String, _ q: Double, lotSize lot: Double) throws(RebalanceError) {
        guard !isWholeLots(q, lotSize: lot) else { return }
        let step = lot >= 1 && lot.rounded() == lot ? 1 : lot
        throw RebalanceError(
            accountId: id, field: "holdings.\(symbol)",
            (step == 1
                ? "\(q) is not a whole number of units, and \(symbol) has lot size \(plain(lot)) (whole units)"
                : "\(q) is not a multiple of \(symbol)'s lot size \(plain(lot))")
                + ": correct the quantity, or plan fractional quantities (fractionalDecimals in the policy, --fractional N)")
    }
}

/// A number as a person writes it: `1` rather than `1.0`.
func plain(_ x: Double) -> String { x.isFinite && x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : "\(x)" }

// MARK: - Strict JSON

/// A strict JSON reader (RFC 8259: no trailing commas, no comments, no NaN) that keeps where
/// each value starts, for messages with a line and a column.
struct StrictJSONReader {
    indirect enum Value {
        case object([(String, Node)])
        case array([Node])
        case string(String)
        case number(String)
        case bool(Bool)
        case null
    }

    struct Node {
        var value: Value
        var string: String? {
            if case .string(let s) = value { return s }
            return nil
        }
        var isNull: Bool {
            if case .null = value { return true }
            return false
        }
        /// What the value is, in words.
        var kind: String {
            switch value {
            case .object: "an object"
            case .array: "a list"
            case .string: "text"
            case .number: "a number"
            case .bool: "true or false"
            case .null: "null"
            }
        }
    }

    let bytes: [UInt8]
    var i = 0
    var depth = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// `line L, column C` of byte offset `k` (both from 1; columns count characters).
    func position(_ k: Int) -> String {
        var line = 1
        var column = 1
        for b in bytes[..<Swift.min(k, bytes.count)] {
            if b == 10 {
                line += 1
                column = 1
            } else if b & 0xC0 != 0x80 {
                column += 1
            }
        }
        return line == 1 ? "column \(column)" : "line \(line), column \(column)"
    }

    func fail(_ message: String, at k: Int) -> RebalanceError { RebalanceError("\(position(k)): \(message)") }

    func found(_ k: Int) -> String {
        guard k < bytes.count else { return "the end of the text" }
        let scalarEnd = bytes[k...].dropFirst().firstIndex { $0 & 0xC0 != 0x80 } ?? bytes.count
        return "`" + String(decoding: bytes[k..<scalarEnd], as: UTF8.self) + "`"
    }

    mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 32 || bytes[i] == 9 || bytes[i] == 10 || bytes[i] == 13 { i += 1 }
    }

    mutating func document() throws(RebalanceError) -> Node {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }
        skipSpace()
        if i == bytes.count { throw RebalanceError("empty; an account is a JSON object") }
        let v = try value()
        skipSpace()
        if i < bytes.count { throw fail("unexpected \(found(i)) after the account's closing `}`; remove it", at: i) }
        return v
    }

    mutating func value() throws(RebalanceError) -> Node {
        skipSpace()
        guard i < bytes.count else { throw fail("the text ends where a value should be; is it cut short?", at: i) }
        switch bytes[i] {
        case 123: return try container(close: 125)
        case 91: return try container(close: 93)
        case 34: return Node(value: .string(try string()))
        case 116, 102, 110:
            for (word, v) in [("true", Value.bool(true)), ("false", .bool(false)), ("null", .null)]
            where bytes[i...].starts(with: word.utf8) {
                i += word.utf8.count
                return Node(value: v)
            }
            throw fail("unexpected \(found(i)); a value is a number, text in quotes, true, false, null, an object or a list", at: i)
        default:
            return Node(value: .number(try number()))
        }
    }

    mutating func container(close: UInt8) throws(RebalanceError) -> Node {
        let open = i
        depth += 1
        if depth > 32 { throw fail("nested more than 32 levels deep; an account is a flat object", at: i) }
        defer { depth -= 1 }
        i += 1
        var members: [(String, Node)] = []
        var items: [Node] = []
        var seen: [String: Int] = [:]
        skipSpace()
        if i < bytes.count && bytes[i] == close {
            i += 1
            return Node(value: close == 125 ? .object([]) : .array([]))
        }
        while true {
            skipSpace()
            if close == 125 {
                let keyAt = i
                guard i < bytes.count, bytes[i] == 34 else {
                    throw fail("expected a field name in quotes, found \(found(i))", at: i)
                }
                let key = try string()
                if let first = seen[key] {
                    throw fail("field `\(key)` appears twice (first at \(position(first))); keep one", at: keyAt)
                }
                seen[key] = keyAt
                skipSpace()
                guard i < bytes.count, bytes[i] == 58 else { throw fail("expected `:` after \"\(key)\", found \(found(i))", at: i) }
                i += 1
                members.append((key, try value()))
            } else {
                items.append(try value())
            }
            skipSpace()
            guard i < bytes.count else {
                throw fail("the text ends before the closing `\(close == 125 ? "}" : "]")` of the one opened at \(position(open))", at: i)
            }
            if bytes[i] == close {
                i += 1
                return Node(value: close == 125 ? .object(members) : .array(items))
            }
            guard bytes[i] == 44 else {
                throw fail("expected `,` or `\(close == 125 ? "}" : "]")`, found \(found(i))", at: i)
            }
            let comma = i
            i += 1
            skipSpace()
            if i < bytes.count && bytes[i] == close {
                throw fail("trailing comma before `\(close == 125 ? "}" : "]")`; remove it", at: comma)
            }
        }
    }

    mutating func string() throws(RebalanceError) -> String {
        let start = i
        i += 1
        var out: [UInt8] = []
        while i < bytes.count {
            let c = bytes[i]
            if c == 34 {
                i += 1
                guard let s = String(validating: out, as: UTF8.self) else { throw fail("the text is not valid UTF-8", at: start) }
                return s
            }
            if c < 0x20 { throw fail("a control character inside text; escape it (\\n, \\t, \\u0001)", at: i) }
            if c == 92 {
                guard i + 1 < bytes.count else { break }
                let e = bytes[i + 1]
                let simple: [UInt8: UInt8] = [34: 34, 92: 92, 47: 47, 98: 8, 102: 12, 110: 10, 114: 13, 116: 9]
                if let r = simple[e] {
                    out.append(r)
                    i += 2
                    continue
                }
                guard e == 117, let high = hex4(i + 2) else { throw fail("unknown escape \(found(i + 1)) in text", at: i) }
                var scalar = high
                i += 6
                if (0xD800..<0xDC00).contains(high) {
                    guard i + 1 < bytes.count, bytes[i] == 92, bytes[i + 1] == 117, let low = hex4(i + 2), (0xDC00..<0xE000).contains(low)
                    else { throw fail("an unpaired surrogate escape in text", at: i - 6) }
                    scalar = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                }
                guard let u = Unicode.Scalar(scalar) else { throw fail("an invalid \\u escape in text", at: i - 6) }
                out.append(contentsOf: Array(String(Character(u)).utf8))
                continue
            }
            out.append(c)
            i += 1
        }
        throw fail("text opened here is never closed with `\"`", at: start)
    }

    func hex4(_ k: Int) -> UInt32? {
        guard k + 4 <= bytes.count else { return nil }
        return UInt32(String(decoding: bytes[k..<(k + 4)], as: UTF8.self), radix: 16)
    }

    mutating func number() throws(RebalanceError) -> String {
        let start = i
        func digits() -> Int {
            let s = i
            while i < bytes.count, (48...57).contains(bytes[i]) { i += 1 }
            return i - s
        }
        if i < bytes.count && bytes[i] == 45 { i += 1 }
        let intStart = i
        let whole = digits()
        var ok = whole > 0 && !(whole > 1 && bytes[intStart] == 48)
        if ok && i < bytes.count && bytes[i] == 46 {
            i += 1
            ok = digits() > 0
        }
        if ok && i < bytes.count && (bytes[i] == 101 || bytes[i] == 69) {
            i += 1
            if i < bytes.count && (bytes[i] == 43 || bytes[i] == 45) { i += 1 }
            ok = digits() > 0
        }
        guard ok else {
            throw fail(
                "unexpected \(found(start)); a value is a number (such as 12.5), text in quotes, true, false, null, an object or a list",
                at: start)
        }
        return String(decoding: bytes[start..<i], as: UTF8.self)
    }
}
