import BallastAudit
import BallastMarketData
import BallastProfiling
import Foundation

/// The SHA-256 digests that audit records give for their inputs, computed the same way by
/// every workflow so that two records of the same input carry the same digest.
public enum AuditDigest {
    /// SHA-256 of a file's bytes, in hex; `unreadable:PATH` when it cannot be read (the value
    /// then says so instead of pretending to be a digest).
    public static func file(_ path: String) -> String { AuditEntry.digest(file: path) ?? "unreadable:" + path }

    /// SHA-256 of a price table's symbols (comma-separated), its dates (day numbers, 8 bytes
    /// each, native byte order) and its values (IEEE 754 doubles, row-major as stored), as
    /// the engine saw them.
    ///
    /// - Complexity: O(dates x symbols).
    public static func prices(_ table: PriceTable) -> String {
        var data = Data(table.symbols.joined(separator: ",").utf8)
        for d in table.dates { withUnsafeBytes(of: d.dayNumber) { data.append(contentsOf: $0) } }
        table.values.withUnsafeBytes { data.append(contentsOf: $0) }
        return AuditEntry.digest(data)
    }

    /// SHA-256 of a value's canonical JSON (sorted keys).
    public static func json(_ value: some Encodable) -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return AuditEntry.digest((try? e.encode(value)) ?? Data())
    }

    /// The canonical JSON text of a value (sorted keys, slashes unescaped), as audit outputs
    /// hold it; `null` when the value cannot be encoded.
    public static func canonicalJSON(_ value: some Encodable) -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? e.encode(value)) ?? Data("null".utf8), as: UTF8.self)
    }
}

/// The answers, holdings and cash of a customer without personal data (no id, no name), the
/// value whose digest an audit record gives for the customer.
public struct AuditCustomerInputs: Encodable, Sendable {
    /// Question id to the chosen answer.
    public let answers: [String: String]
    /// Symbol to quantity held.
    public let holdings: [String: Double]
    /// Cash in the account.
    public let cash: Double
    /// Products the customer asked for.
    public let requestedProducts: [String]

    /// The inputs of a customer file.
    public init(_ c: CustomerFile) {
        answers = c.answers
        holdings = c.holdings
        cash = c.cash
        requestedProducts = c.requestedProducts
    }
}
