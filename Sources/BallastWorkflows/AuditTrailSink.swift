import BallastAudit
import Foundation

/// The audit trail is the default sink of batch runs: a run record, then one record per
/// account (line, line digest, plan digest, status) pointing at it, a block per transaction.
extension AuditTrail: BatchAuditSink {
    /// Appends the run record and returns its id.
    public func beginBatch(_ run: AuditEntry) throws -> String { String(try append([run])[0]) }

    /// Appends one record per account, and the progress, in one transaction.
    public func recordBlock(
        _ accounts: [BatchAccountRecord], run: String, time: String, progress: (output: String, checkpoint: String)?
    ) throws {
        let version = try Int64(run).flatMap { try record(id: $0) }?.entry.engineVersion ?? ""
        let entries = accounts.map { a in
            AuditEntry(
                command: "rebalance", engineVersion: version, accountRef: a.accountRef, inputs: ["account": a.accountDigest],
                parameters: ["run": run, "line": String(a.line)],
                outputs: a.duplicateOfLine.map { "{\"duplicateOfLine\":\($0),\"status\":\"error\"}" }
                    ?? "{\"plan\":\"" + a.planDigest + "\",\"status\":\"" + a.status + "\"}",
                timestamp: time)
        }
        try append(entries, progress: progress)
    }
}
