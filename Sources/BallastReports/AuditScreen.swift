import BallastAudit
import Foundation

/// The screens of `ballast audit`.
public enum AuditScreen {
    /// The records' table: id, time, command, customer and account references.
    public static func list(_ records: [AuditRecord]) -> String {
        var t = TextTable(["id", "time", "command", "customer", "account"])
        for r in records {
            t.add([
                String(r.id), String(r.entry.time.prefix(19)), r.entry.command.rawValue, r.entry.customerRef ?? "",
                r.entry.accountRef ?? "",
            ])
        }
        return t.render()
    }

    /// The verification's one line: intact with the count, head hash, signer and anchors, or
    /// broken at the first bad record with the problem.
    public static func verification(_ v: AuditVerification, path: String) -> String {
        guard v.intact else { return "\(path): BROKEN at record \(v.firstBroken ?? 0): \(v.problem ?? "")" }
        var text = "\(path): \(v.records) records, chain intact; head hash \(v.headHash)"
        if let by = v.signedBy { text += "; head signed by key \(by)" }
        if let n = v.anchorsChecked, n > 0 { text += "; \(n) anchored heads hold" }
        return text
    }
}
