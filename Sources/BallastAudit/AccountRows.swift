import CBallastSHA256
import Crypto
import Foundation
import GRDB
import GRDBSQLite

/// One account of a batch block, as the trail stores it: compact (about 110 bytes), keyed by
/// the block's record and the input line, and covered by the block record's Merkle root.
///
/// Nothing personal is in it: the account is named by its pseudonymous reference, the input
/// line and the plan line by their SHA-256 digests.
public struct AuditAccountRow: Sendable, Equatable {
    /// The input line (from 1).
    public var line: Int
    /// The pseudonymous account reference (`acct-` and 24 hex digits); `nil` when the line's id
    /// could not be read.
    public var accountRef: String?
    /// SHA-256 of the input line's bytes.
    public var accountDigest: AuditHash
    /// SHA-256 of the output line's bytes (the plan or the error record).
    public var planDigest: AuditHash
    /// The plan's status (`rebalanced`, `within-band`, `cash-flow-only`, `below-minimum-trade`, `error`).
    public var status: String
    /// For an account id seen before: the line of its first occurrence (this line was not planned).
    public var duplicateOfLine: Int?

    /// A row with every field given.
    public init(
        line: Int, accountRef: String?, accountDigest: AuditHash, planDigest: AuditHash, status: String,
        duplicateOfLine: Int? = nil
    ) {
        self.line = line
        self.accountRef = accountRef
        self.accountDigest = accountDigest
        self.planDigest = planDigest
        self.status = status
        self.duplicateOfLine = duplicateOfLine
    }

    /// The canonical text of the row, the Merkle leaf's content (see the Conventions article):
    /// `ballast-account-v1`, then one field per line: the line number, the reference (`=` and
    /// the text, or `~` for none, so that none and empty differ), the two digests in hex, the
    /// status, and the duplicate's first line (or `~`).
    public var canonical: String {
        Self.canonical(
            line: line, accountRef: accountRef, accountDigest: accountDigest.hex, planDigest: planDigest.hex,
            status: status, duplicateOfLine: duplicateOfLine)
    }

    static func canonical(
        line: Int, accountRef: String?, accountDigest: String, planDigest: String, status: String, duplicateOfLine: Int?
    ) -> String {
        "ballast-account-v1\n\(line)\n" + (accountRef.map { "=" + AuditRecord.escaped($0) } ?? "~") + "\n" + accountDigest + "\n"
            + planDigest + "\n" + AuditRecord.escaped(status) + "\n" + (duplicateOfLine.map(String.init) ?? "~")
    }

    /// SHA-256 of a 0 byte followed by the canonical text.
    public var leafHash: AuditHash { Self.leafHash(canonical) }

    static func leafHash(_ canonical: String) -> AuditHash {
        var h = SHA256()
        h.update(data: [0])
        var text = canonical
        text.withUTF8 { h.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        return AuditHash(h.finalize())
    }

    /// The Merkle root of leaves, in order: each inner node is SHA-256 of a 1 byte and its two
    /// children; a node without a partner moves up a level unchanged (RFC 6962 style
    /// domain separation, so that a leaf can never pass for a node). 64 zeros for no leaves.
    ///
    /// - Complexity: O(n) hashes.
    public static func merkleRoot(_ leaves: [AuditHash]) -> String {
        guard !leaves.isEmpty else { return String(repeating: "0", count: 64) }
        var level = leaves
        var count = level.count
        // Each level is written over the one below it (node k of a level from nodes 2k, 2k+1).
        // 72 bytes: byte 7 is the node's 1 byte, the children follow at 8 and 40.
        var node: (UInt64, AuditHash, AuditHash) = (0, level[0], level[0])
        withUnsafeMutableBytes(of: &node.0) { $0[7] = 1 }
        while count > 1 {
            var k = 0
            while k + 1 < count {
                node.1 = level[k]
                node.2 = level[k + 1]
                level[k / 2] = withUnsafeBytes(of: &node) { raw in
                    AuditHash(sha256Of: UnsafeRawBufferPointer(rebasing: raw[7..<72]))
                }
                k += 2
            }
            if k < count { level[k / 2] = level[k] }
            count = (count + 1) / 2
        }
        return level[0].hex
    }

    /// The leaf hashes of rows, computed in parallel for large blocks.
    static func leaves(_ rows: [AuditAccountRow]) -> [AuditHash] {
        @Sendable func hash(_ part: ArraySlice<AuditAccountRow>) -> [AuditHash] {
            let scratch = CanonicalBytes(capacity: 512)
            return part.map { row in
                scratch.removeAll()
                row.appendLeaf(to: scratch)
                return AuditHash(sha256Of: scratch.bytes)
            }
        }
        guard rows.count > 4096 else { return hash(rows[...]) }
        let chunks = 8
        let size = (rows.count + chunks - 1) / chunks
        var parts = [[AuditHash]](repeating: [], count: chunks)
        parts.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let lo = c * size
                let hi = min(rows.count, lo + size)
                out[c] = lo < hi ? hash(rows[lo..<hi]) : []
            }
        }
        return parts.flatMap { $0 }
    }

    /// Appends a 0 byte (the leaf's domain prefix) and ``canonical`` to `out`, without
    /// building the text as a `String`.
    func appendLeaf(to out: CanonicalBytes) {
        var ref = accountRef ?? ""
        var status = status
        ref.withUTF8 { ref in
            status.withUTF8 { status in
                out.reserve(1 + 19 + 20 + 2 + 2 * ref.count + 1 + 129 + 2 * status.count + 1 + 20)
                out.append(0)
                out.append("ballast-account-v1\n")
                out.appendDecimal(Int64(line))
                out.append(10)
                if accountRef == nil {
                    out.append(126)
                } else {
                    out.append(61)
                    out.appendEscaped(UnsafeRawBufferPointer(ref))
                }
                out.append(10)
                withUnsafeBytes(of: accountDigest.words) { out.appendHex($0) }
                out.append(10)
                withUnsafeBytes(of: planDigest.words) { out.appendHex($0) }
                out.append(10)
                out.appendEscaped(UnsafeRawBufferPointer(status))
                out.append(10)
                if let duplicateOfLine { out.appendDecimal(Int64(duplicateOfLine)) } else { out.append(126) }
            }
        }
    }
}

extension AuditTrail {
    /// Appends one block of a batch run: a chain record (command `rebalance-block`, the run's
    /// id, the block's first and last line and its number of accounts, and the Merkle root of
    /// its account rows) and the account rows, with `progress` saved, in one transaction.
    /// A block without rows only saves the progress.
    ///
    /// - Returns: the block record's id (`nil` when there were no rows).
    /// - Complexity: O(rows) hashes and inserts (one prepared statement).
    @discardableResult
    public func appendBlock(
        _ rows: [AuditAccountRow], run: String, engineVersion: String, time: String,
        progress: (output: String, checkpoint: String)? = nil
    ) throws(AuditError) -> Int64? {
        guard let first = rows.first, let last = rows.last else {
            try append([], progress: progress)
            return nil
        }
        let root = AuditAccountRow.merkleRoot(AuditAccountRow.leaves(rows))
        let entry = AuditEntry(
            command: .rebalanceBlock, engineVersion: engineVersion,
            parameters: ["run": run, "accounts": String(rows.count), "firstLine": String(first.line), "lastLine": String(last.line)],
            outputs: "{\"merkleRoot\":\"\(root)\"}", timestamp: time)
        return try append([entry], progress: progress) { db, ids in
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO account (block, line, accountRef, accountDigest, planDigest, status, duplicateOfLine)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """)
            let block = ids[0]
            try db.execute(sql: "UPDATE head SET accountRows = accountRows + ? WHERE one = 1", arguments: [rows.count])
            // Bound straight through SQLite (no argument array per row); the values are copied
            // by SQLite before each step.
            let s = insert.sqliteStatement
            let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
            for r in rows {
                sqlite3_reset(s)
                sqlite3_bind_int64(s, 1, block)
                sqlite3_bind_int64(s, 2, Int64(r.line))
                if let ref = r.accountRef {
                    Self.bind(ref, at: 3, of: s, transient)
                } else {
                    sqlite3_bind_null(s, 3)
                }
                withUnsafeBytes(of: r.accountDigest.words) { _ = sqlite3_bind_blob(s, 4, $0.baseAddress, 32, transient) }
                withUnsafeBytes(of: r.planDigest.words) { _ = sqlite3_bind_blob(s, 5, $0.baseAddress, 32, transient) }
                Self.bind(r.status, at: 6, of: s, transient)
                if let dup = r.duplicateOfLine { sqlite3_bind_int64(s, 7, Int64(dup)) } else { sqlite3_bind_null(s, 7) }
                let rc = sqlite3_step(s)
                guard rc == SQLITE_DONE else {
                    let message = String(cString: sqlite3_errmsg(sqlite3_db_handle(s)))
                    sqlite3_reset(s)
                    throw AuditError("cannot store account row (line \(r.line)): \(message)")
                }
            }
            sqlite3_reset(s)
            sqlite3_clear_bindings(s)
        }[0]
    }

    /// Binds `text` (copied by SQLite) to parameter `index` of statement `s`; empty text stays text.
    static func bind(_ text: String, at index: Int32, of s: OpaquePointer, _ transient: sqlite3_destructor_type) {
        var text = text
        text.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { c in
                if let base = c.baseAddress {
                    _ = sqlite3_bind_text(s, index, base, Int32(c.count), transient)
                } else {
                    _ = sqlite3_bind_text(s, index, "", 0, transient)
                }
            }
        }
    }

    /// The account rows of a block record, in line order.
    public func accounts(block: Int64) throws(AuditError) -> [AuditAccountRow] {
        do {
            return try queue.read { db in
                let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM account WHERE block = ? ORDER BY line", arguments: [block])
                var rows: [AuditAccountRow] = []
                while let row = try cursor.next() { rows.append(try Self.accountRow(row)) }
                return rows
            }
        } catch {
            throw AuditError("\(path): cannot read the audit trail: \(error)")
        }
    }

    /// Calls `body` with every record in id order and, for a batch block, its account rows,
    /// without loading the trail at once.
    public func forEachRecordWithAccounts(_ body: (AuditRecord, [AuditAccountRow]) throws -> Void) throws {
        try queue.read { db in
            let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM record ORDER BY id")
            let rows = try db.makeStatement(sql: "SELECT * FROM account WHERE block = ? ORDER BY line")
            while let row = try cursor.next() {
                let record = try Self.record(row)
                var accounts: [AuditAccountRow] = []
                if record.entry.command == .rebalanceBlock {
                    let cursor = try Row.fetchCursor(rows, arguments: [record.id])
                    while let row = try cursor.next() { accounts.append(try Self.accountRow(row)) }
                }
                try body(record, accounts)
            }
        }
    }

    static func accountRow(_ row: Row) throws -> AuditAccountRow {
        func digest(_ value: DatabaseValue) throws -> AuditHash {
            guard case .blob(let data) = value.storage, let h = AuditHash(bytes: data) else {
                throw AuditError("an account row's digest is not 32 bytes")
            }
            return h
        }
        guard let line = row["line"] as Int?, case .text(let status) = field(row, "status") else {
            throw AuditError("an account row has no line, or its status is not valid UTF-8 text (the database was edited)")
        }
        let ref: String?
        switch field(row, "accountRef") {
        case .null: ref = nil
        case .text(let text): ref = text
        case .invalid, .other:
            throw AuditError("the account row of line \(line): accountRef is not valid UTF-8 text (the database was edited)")
        }
        return AuditAccountRow(
            line: line, accountRef: ref, accountDigest: try digest(row["accountDigest"]),
            planDigest: try digest(row["planDigest"]), status: status, duplicateOfLine: row["duplicateOfLine"])
    }
}

/// A SHA-256 digest as a plain value (32 bytes, no allocation).
public struct AuditHash: Sendable, Hashable {
    var words: (UInt64, UInt64, UInt64, UInt64)

    /// The digest of `bytes`.
    public init(of bytes: UnsafeRawBufferPointer) { self.init(SHA256.hash(data: bytes)) }

    /// The digest of `bytes`.
    public init(of bytes: some DataProtocol) { self.init(SHA256.hash(data: bytes)) }

    /// A digest computed by swift-crypto.
    public init(_ digest: SHA256Digest) {
        words = (0, 0, 0, 0)
        digest.withUnsafeBytes { raw in withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: raw) } }
    }

    /// SHA-256 of `bytes` in one call (the trail's own routine: the same digest as swift-crypto's,
    /// checked against it in the tests, without a hashing object per message; it uses the x86
    /// SHA extensions when the processor has them).
    ///
    /// - Complexity: O(`bytes.count`).
    public init(sha256Of bytes: UnsafeRawBufferPointer) {
        words = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &words) { out in
            ballast_sha256(bytes.baseAddress, bytes.count, out.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
    }

    /// The digest held in 32 bytes; `nil` for any other length.
    public init?(bytes: some DataProtocol) {
        guard bytes.count == 32 else { return nil }
        words = (0, 0, 0, 0)
        let array = Array(bytes)
        withUnsafeMutableBytes(of: &words) { out in array.withUnsafeBytes { out.copyMemory(from: $0) } }
    }

    /// The 32 bytes.
    public var bytes: [UInt8] { withUnsafeBytes(of: words) { Array($0) } }

    /// The 32 bytes as `Data`.
    public var data: Data { withUnsafeBytes(of: words) { Data($0) } }

    /// Lower-case hex (64 digits).
    public var hex: String { AuditEntry.hex(bytes) }

    /// Equal when the bytes are.
    public static func == (a: Self, b: Self) -> Bool { a.words == b.words }

    /// Hashes the bytes.
    public func hash(into hasher: inout Hasher) { withUnsafeBytes(of: words) { hasher.combine(bytes: $0) } }
}

/// The pseudonymous account references of one key, made ready once for many accounts:
/// `acct-` and the first 24 hex digits of HMAC-SHA-256(key, `account:` + id), the same text
/// as `Privacy.pseudonym(of: "account:" + id, key:)` with `acct-` for `cust-` (checked in the
/// tests), without setting the key up again for every account.
public struct AuditAccountPseudonyms: Sendable {
    let key: ballast_hmac_sha256_key

    /// References under `key` (any length; RFC 2104).
    public init(key: [UInt8]) {
        var prepared = ballast_hmac_sha256_key()
        key.withUnsafeBytes { ballast_hmac_sha256_prepare($0.baseAddress, $0.count, &prepared) }
        self.key = prepared
    }

    /// The reference of account `id`.
    public func reference(_ id: String) -> String {
        var id = id
        return id.withUTF8 { id in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 8 + id.count) { message in
                let scope: StaticString = "account:"
                message.baseAddress!.update(from: scope.utf8Start, count: 8)
                if let base = id.baseAddress { (message.baseAddress! + 8).update(from: base, count: id.count) }
                var mac = AuditHash(sha256Of: UnsafeRawBufferPointer(start: nil, count: 0))
                withUnsafeMutableBytes(of: &mac.words) { out in
                    withUnsafePointer(to: key) { k in
                        ballast_hmac_sha256(k, message.baseAddress, 8 + id.count, out.baseAddress!.assumingMemoryBound(to: UInt8.self))
                    }
                }
                return String(unsafeUninitializedCapacity: 29) { text in
                    let prefix: StaticString = "acct-"
                    let digits: StaticString = "0123456789abcdef"
                    _ = text.initialize(from: UnsafeBufferPointer(start: prefix.utf8Start, count: 5))
                    withUnsafeBytes(of: mac.words) { bytes in
                        for k in 0..<12 {
                            text[5 + 2 * k] = digits.utf8Start[Int(bytes[k] >> 4)]
                            text[6 + 2 * k] = digits.utf8Start[Int(bytes[k] & 15)]
                        }
                    }
                    return 29
                }
            }
        }
    }
}
