import Crypto
import Foundation
import GRDB

/// An Ed25519 key that signs the trail's head, kept outside the database.
///
/// The private key file holds `ballast-audit-ed25519-private-v1` and the 32-byte seed in
/// base64 on the next line; the public key file, `ballast-audit-ed25519-public-v1` and the
/// 32-byte public key. The key id is the first 16 hex digits of SHA-256 of the public key; it
/// is recorded in every signed head, so that a verifier knows which public key to use.
public struct AuditSigningKey: Sendable {
    /// The 32-byte seed (the key is rebuilt from it when used).
    let raw: Data
    var key: Curve25519.Signing.PrivateKey {
        // The seed was checked when the value was made.
        try! Curve25519.Signing.PrivateKey(rawRepresentation: raw)
    }

    static let privateHeader = "ballast-audit-ed25519-private-v1"
    static let publicHeader = "ballast-audit-ed25519-public-v1"

    /// A new random key.
    public init() { raw = Curve25519.Signing.PrivateKey().rawRepresentation }

    /// The key in the text of a private key file.
    /// - Throws: ``AuditError`` naming `source` when the text is not a private key.
    public init(text: String, source: String) throws(AuditError) {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard lines.count == 2, lines[0] == Self.privateHeader, let raw = Data(base64Encoded: lines[1]), raw.count == 32,
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw)
        else {
            throw AuditError(
                "\(source): not an audit signing key (expected the private key file written by `ballast audit keygen`)")
        }
        self.raw = key.rawRepresentation
    }

    /// Reads a private key file, refusing one that other users can read.
    /// - Throws: ``AuditError`` when the file is missing, unreadable, readable by group or
    ///   others, or not a key.
    public init(file path: String) throws(AuditError) {
        var s = stat()
        guard stat(path, &s) == 0 else {
            throw AuditError("\(path): cannot read the audit signing key (\(String(cString: strerror(errno))))")
        }
        if s.st_mode & 0o077 != 0 {
            throw AuditError(
                "\(path): the audit signing key is readable by other users (mode \(String(s.st_mode & 0o777, radix: 8))); "
                    + "run `chmod 600 \(path)`")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AuditError("\(path): cannot read the audit signing key (permission denied)")
        }
        try self.init(text: String(decoding: data, as: UTF8.self), source: path)
    }

    /// The public half.
    public var publicKey: AuditPublicKey { AuditPublicKey(key: key.publicKey) }

    /// The text of the private key file.
    public var privateText: String { Self.privateHeader + "\n" + raw.base64EncodedString() + "\n" }

    /// Signs bytes.
    func sign(_ text: String) throws -> String { try key.signature(for: Data(text.utf8)).base64EncodedString() }

    /// Writes the private key to `path` (created with mode 0600, never replacing a file) and
    /// the public key to `path.pub` (mode 0644).
    /// - Throws: ``AuditError`` when either file exists or cannot be written.
    public func write(to path: String) throws(AuditError) {
        try Self.createExclusive(path, privateText, mode: 0o600)
        try Self.createExclusive(path + ".pub", publicKey.text, mode: 0o644)
    }

    /// Creates a file that must not exist yet with `mode` from the start (no moment with wider
    /// permissions), writes `text` and flushes it to disk.
    static func createExclusive(_ path: String, _ text: String, mode: mode_t) throws(AuditError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode)
        guard fd >= 0 else {
            let reason = errno == EEXIST ? "the file exists; keys are never overwritten" : String(cString: strerror(errno))
            throw AuditError("\(path): cannot create the key file (\(reason))")
        }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(path)
            throw AuditError("\(path): cannot write the key file (\(reason))")
        }
    }
}

/// The public half of an ``AuditSigningKey``: what an auditor needs to check signed heads.
public struct AuditPublicKey: Sendable, Equatable {
    /// The 32-byte public key.
    let raw: Data
    var key: Curve25519.Signing.PublicKey {
        // The bytes were checked when the value was made.
        try! Curve25519.Signing.PublicKey(rawRepresentation: raw)
    }

    /// The key in the text of a public key file.
    /// - Throws: ``AuditError`` naming `source` when the text is not a public key.
    public init(text: String, source: String) throws(AuditError) {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard lines.count == 2, lines[0] == AuditSigningKey.publicHeader, let raw = Data(base64Encoded: lines[1]), raw.count == 32,
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
        else {
            throw AuditError("\(source): not an audit public key (expected the .pub file written by `ballast audit keygen`)")
        }
        self.raw = key.rawRepresentation
    }

    /// Reads a public key file.
    public init(file path: String) throws(AuditError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AuditError("\(path): cannot read the audit public key (no such file, or permission denied)")
        }
        try self.init(text: String(decoding: data, as: UTF8.self), source: path)
    }

    init(key: Curve25519.Signing.PublicKey) { raw = key.rawRepresentation }

    /// The first 16 hex digits of SHA-256 of the raw public key.
    public var id: String { String(AuditEntry.digest(key.rawRepresentation).prefix(16)) }

    /// The text of the public key file.
    public var text: String { AuditSigningKey.publicHeader + "\n" + key.rawRepresentation.base64EncodedString() + "\n" }

    /// Whether `signature` (base64) signs `text`.
    func verifies(_ signature: String, for text: String) -> Bool {
        guard let raw = Data(base64Encoded: signature) else { return false }
        return key.isValidSignature(raw, for: Data(text.utf8))
    }
}

/// A signed statement of the chain's head: how many records, the last id and hash, when, and
/// by which key.
///
/// The signature covers ``payload``: `ballast-audit-head-v1`, then the count, the last id, the
/// last hash, the number of account rows, the time and the key id, one per line. Appended to
/// an anchor file (one JSON line per head) or handed to an external witness, it lets
/// ``AuditTrail/verify(publicKey:anchors:)`` prove that nothing up to that head was rewritten,
/// truncated or replaced by an older copy.
public struct AuditSignedHead: Sendable, Codable, Equatable {
    /// Chain records up to the head.
    public var count: Int64
    /// The last record's id.
    public var lastId: Int64
    /// The last record's hash.
    public var lastHash: String
    /// Account rows of batch blocks up to the head.
    public var accountRows: Int64
    /// When the head was signed (ISO 8601, UTC).
    public var time: String
    /// The signing key's id.
    public var keyId: String
    /// Ed25519 signature of ``payload``, base64.
    public var signature: String

    /// The signed text.
    public var payload: String {
        "ballast-audit-head-v1\n\(count)\n\(lastId)\n\(lastHash)\n\(accountRows)\n\(time)\n\(keyId)"
    }

    /// The JSON line of an anchor file (sorted keys).
    public var jsonLine: String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return String(decoding: (try? e.encode(self)) ?? Data(), as: UTF8.self)
    }
}

extension AuditTrail {
    /// Signs the current head of `db` with `key` and stores it (one row, replaced).
    static func signHead(_ db: Database, key: AuditSigningKey, time: String) throws {
        let (count, lastId, lastHash) = try head(db)
        let rows = try Int64.fetchOne(db, sql: "SELECT accountRows FROM head WHERE one = 1") ?? 0
        var h = AuditSignedHead(
            count: count, lastId: lastId, lastHash: lastHash, accountRows: rows, time: time, keyId: key.publicKey.id, signature: "")
        h.signature = try key.sign(h.payload)
        try db.execute(
            sql: "INSERT OR REPLACE INTO signedHead (one, head) VALUES (1, ?)", arguments: [h.jsonLine])
    }

    /// The head signed at the last append, if the trail is written with a signing key.
    public func signedHead() throws(AuditError) -> AuditSignedHead? {
        do {
            return try queue.read { db in
                guard let text = try String.fetchOne(db, sql: "SELECT head FROM signedHead WHERE one = 1") else { return nil }
                return try JSONDecoder().decode(AuditSignedHead.self, from: Data(text.utf8))
            }
        } catch {
            throw AuditError("\(path): the signed head cannot be read (\(error))")
        }
    }

    /// What `ballast audit anchor` does: signs the head of the trail in the database at `path`
    /// with the key in `signingKeyFile`, and appends it to `anchorFile` when one is given.
    ///
    /// - Parameters:
    ///   - path: the audit database; it must exist (anchoring never creates a trail).
    ///   - signingKeyFile: the private key (`ballast audit keygen`); `nil` is an error that says
    ///     how to give one.
    ///   - anchorFile: the append-only anchor file, or `nil` to only return the signed head.
    /// - Throws: ``AuditError`` naming the missing key or database, or what signing throws.
    public static func anchor(database path: String, signingKeyFile: String?, anchorFile: String?) throws(AuditError) -> AuditSignedHead {
        guard let signingKeyFile else {
            throw AuditError("audit anchor needs the signing key: give --signing-key FILE or set BALLAST_AUDIT_SIGNING_KEY")
        }
        let key = try AuditSigningKey(file: signingKeyFile)
        guard FileManager.default.fileExists(atPath: path) else {
            throw AuditError("\(path): no audit database here; give its path with --audit-db or BALLAST_AUDIT_DB")
        }
        let head = try AuditTrail(path: path).anchor(signingWith: key)
        if let anchorFile { try appendAnchor(head, to: anchorFile) }
        return head
    }

    /// Signs the current head now with `key` (for `audit anchor`), stores and returns it.
    public func anchor(signingWith key: AuditSigningKey, time: Date = Date()) throws(AuditError) -> AuditSignedHead {
        do { try queue.write { db in try Self.signHead(db, key: key, time: AuditEntry.timestamp(time)) } } catch {
            throw AuditError("\(path): cannot sign the head (\(error))")
        }
        guard let head = try signedHead() else { throw AuditError("\(path): the signed head was not stored") }
        return head
    }

    /// Verifies the chain (``verify()``), then, with `publicKey`, that the stored signed head
    /// is signed by that key and states the chain's head as it is, and, for each anchored head,
    /// that its signature holds (with `publicKey`) and that the chain still holds its record
    /// with the same hash and at least as many records: nothing anchored was rewritten,
    /// truncated or replaced by an older copy.
    ///
    /// - Complexity: O(records + account rows + anchors).
    public func verify(publicKey: AuditPublicKey?, anchors: [AuditSignedHead] = []) throws(AuditError) -> AuditVerification {
        var v = try verify()
        guard v.intact else { return v }
        func broken(_ problem: String) -> AuditVerification {
            var b = v
            b.intact = false
            b.problem = problem
            return b
        }
        if let publicKey {
            guard let head = try signedHead() else {
                return broken("the trail has no signed head (it was written without --signing-key, or the head was removed)")
            }
            guard head.keyId == publicKey.id else {
                return broken("the head is signed by key \(head.keyId), not by the given public key (\(publicKey.id))")
            }
            guard publicKey.verifies(head.signature, for: head.payload) else {
                return broken("the signature of the head does not verify (the head was edited)")
            }
            let rows = try count(sql: "SELECT COUNT(*) FROM account")
            guard head.lastHash == v.headHash, head.count == Int64(v.records - rows), head.accountRows == Int64(rows) else {
                return broken(
                    "the signed head (\(head.count) records ending in \(head.lastHash.prefix(12))) does not match the chain "
                        + "(records were added, removed or rewritten after the last signed append)")
            }
            v.signedBy = head.keyId
        }
        for (k, a) in anchors.enumerated() {
            if let publicKey, !(a.keyId == publicKey.id && publicKey.verifies(a.signature, for: a.payload)) {
                return broken("anchor \(k + 1) is not signed by the given public key (the anchor file was edited)")
            }
            guard let hash = try hash(of: a.lastId) else {
                return broken(
                    "anchor \(k + 1) (\(a.time)) names record \(a.lastId), which the trail no longer holds (truncated, or an older copy)")
            }
            if hash != a.lastHash {
                return broken("record \(a.lastId) differs from anchor \(k + 1) (\(a.time)): the trail was rewritten")
            }
        }
        v.anchorsChecked = anchors.count
        return v
    }

    func count(sql: String) throws(AuditError) -> Int {
        do { return try queue.read { db in try Int.fetchOne(db, sql: sql) ?? 0 } } catch { throw AuditError("\(path): \(error)") }
    }

    func hash(of id: Int64) throws(AuditError) -> String? {
        do { return try queue.read { db in try String.fetchOne(db, sql: "SELECT hash FROM record WHERE id = ?", arguments: [id]) } } catch {
            throw AuditError("\(path): \(error)")
        }
    }

    /// Reads an anchor file: one signed head per JSON line.
    /// - Throws: ``AuditError`` naming the file and line that is not a signed head.
    public static func anchors(file path: String) throws(AuditError) -> [AuditSignedHead] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AuditError("\(path): cannot read the anchor file (no such file, or permission denied)")
        }
        var out: [AuditSignedHead] = []
        for (k, line) in data.split(separator: 10).enumerated() where !line.isEmpty {
            guard let head = try? JSONDecoder().decode(AuditSignedHead.self, from: Data(line)) else {
                throw AuditError("\(path): line \(k + 1) is not a signed head written by `ballast audit anchor`")
            }
            out.append(head)
        }
        if out.isEmpty { throw AuditError("\(path): the anchor file holds no signed head") }
        return out
    }

    /// Appends a signed head as one JSON line to an anchor file (created with mode 0644),
    /// flushed to disk.
    public static func appendAnchor(_ head: AuditSignedHead, to path: String) throws(AuditError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else { throw AuditError("\(path): cannot open the anchor file (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        let bytes = Array((head.jsonLine + "\n").utf8)
        let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            throw AuditError("\(path): cannot write the anchor file (\(String(cString: strerror(errno))))")
        }
    }
}
