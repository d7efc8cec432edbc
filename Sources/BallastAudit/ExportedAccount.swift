import Foundation

/// An account row of a batch block as `audit export` writes it.
public struct AuditExportedAccount: Encodable, Sendable {
    /// The block record's id.
    public let block: Int64
    /// The account's line in the book.
    public let line: Int
    /// The pseudonymous account reference.
    public let accountRef: String?
    /// SHA-256 of the account line, hex.
    public let accountDigest: String
    /// SHA-256 of the plan line, hex.
    public let planDigest: String
    /// The plan's status, or `error`.
    public let status: String
    /// The line of the first account with the same id, for a duplicate.
    public let duplicateOfLine: Int?

    /// The row of block `block`.
    public init(block: Int64, _ a: AuditAccountRow) {
        self.block = block
        line = a.line
        accountRef = a.accountRef
        accountDigest = a.accountDigest.hex
        planDigest = a.planDigest.hex
        status = a.status
        duplicateOfLine = a.duplicateOfLine
    }
}

extension AuditTrail {
    /// Writes every record as JSON Lines, in id order, each batch block followed by its account
    /// rows (``AuditExportedAccount``), one line each, with sorted keys: what `audit export`
    /// prints. `write` receives chunks of about a megabyte; the trail is never loaded at once.
    public func exportJSONLines(_ write: (Data) throws -> Void) throws {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var buffer = Data()
        try forEachRecordWithAccounts { r, accounts in
            buffer.append(try e.encode(r))
            buffer.append(10)
            for a in accounts {
                buffer.append(try e.encode(AuditExportedAccount(block: r.id, a)))
                buffer.append(10)
            }
            if buffer.count > 1 << 20 {
                try write(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        try write(buffer)
    }
}
