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
