import BallastAudit
import Foundation

/// The audit trail is the default sink of batch runs: a run record, then per block a chain
/// record with the Merkle root of the block's compact account rows, in one transaction with
/// the rows and the progress.
extension AuditTrail: BatchAuditSink {
    /// Appends the run record and returns its id.
    public func beginBatch(_ run: AuditEntry) throws -> String { String(try append([run])[0]) }

    /// Appends the block record, its account rows and the progress in one transaction.
    public func recordBlock(
        _ accounts: [BatchAccountRecord], run: String, engineVersion: String, time: String,
        progress: (output: String, checkpoint: String)?
    ) throws {
        try appendBlock(accounts, run: run, engineVersion: engineVersion, time: time, progress: progress)
    }
}
