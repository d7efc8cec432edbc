import Crypto
import Dispatch
import Foundation
import GRDB
import GRDBSQLite
import Synchronization

// MARK: - Reading account rows straight from SQLite

/// A forward scan of the `account` table in (block, line) order that builds each row's
/// canonical text from SQLite's own column accessors: no row object, no `String` and no `Data`
/// per row.
///
/// Stricter than reading through GRDB values: a field is taken only when its storage type is
/// the one the trail writes (integers for the line and the duplicate's line, text for the
/// reference and the status, 32-byte blobs for the digests, NULL only where the trail writes
/// NULL); anything else makes the row malformed. Text is taken byte for byte, so that a byte
/// sequence that is not UTF-8, or a NUL inside a text, never reads as other text.
final class AccountScan {
    /// The GRDB statement, kept alive for its SQLite handle.
    let statement: Statement
    let handle: OpaquePointer
    /// Whether the scan stands on a row.
    private(set) var hasRow = false

    init(_ db: Database) throws {
        statement = try db.makeStatement(
            sql: "SELECT block, line, accountRef, accountDigest, planDigest, status, duplicateOfLine FROM account ORDER BY block, line")
        handle = statement.sqliteStatement
        try step()
    }

    /// Moves to the next row.
    func step() throws {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW {
            hasRow = true
        } else if rc == SQLITE_DONE {
            hasRow = false
        } else {
            hasRow = false
            throw AuditError("cannot read the account rows: \(String(cString: sqlite3_errmsg(sqlite3_db_handle(handle))))")
        }
    }

    /// Column `column` as an integer, `nil` when it is stored as anything else.
    func integer(_ column: Int32) -> Int64? {
        sqlite3_column_type(handle, column) == SQLITE_INTEGER ? sqlite3_column_int64(handle, column) : nil
    }

    /// The block (record id) of the current row, `nil` when it is not an integer.
    var block: Int64? { integer(0) }

    /// The input line of the current row, `nil` when it is not an integer.
    var line: Int64? { integer(1) }

    /// Appends a 0 byte (the leaf's domain prefix) and the canonical text of the current row
    /// (``AuditAccountRow/canonical``) to `out`; `false` (and `out` as it was) when a field is
    /// missing or not of the type the trail writes.
    func appendLeaf(to out: CanonicalBytes) -> Bool {
        guard let line = line else { return false }
        let refType = sqlite3_column_type(handle, 2)
        guard refType == SQLITE_NULL || refType == SQLITE_TEXT, sqlite3_column_type(handle, 5) == SQLITE_TEXT else { return false }
        let dupType = sqlite3_column_type(handle, 6)
        guard dupType == SQLITE_NULL || dupType == SQLITE_INTEGER else { return false }
        let (account, plan) = (digest(3), digest(4))
        guard let account, let plan else { return false }
        let ref = refType == SQLITE_TEXT ? text(2) : UnsafeRawBufferPointer(start: nil, count: 0)
        let status = text(5)
        // Escaping at most doubles a text.
        out.reserve(1 + Self.prefix.utf8CodeUnitCount + 20 + 2 + 2 * ref.count + 1 + 129 + 2 * status.count + 1 + 20)
        out.append(0)
        out.append(Self.prefix)
        out.appendDecimal(line)
        out.append(10)
        if refType == SQLITE_NULL {
            out.append(126)
        } else {
            out.append(61)
            out.appendEscaped(ref)
        }
        out.append(10)
        out.appendHex(account)
        out.append(10)
        out.appendHex(plan)
        out.append(10)
        out.appendEscaped(status)
        out.append(10)
        if dupType == SQLITE_NULL { out.append(126) } else { out.appendDecimal(sqlite3_column_int64(handle, 6)) }
        return true
    }

    static let prefix: StaticString = "ballast-account-v1\n"

    /// A text column's bytes as stored (empty for a NULL); valid until the next step.
    func text(_ column: Int32) -> UnsafeRawBufferPointer {
        guard let text = sqlite3_column_text(handle, column) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: text, count: Int(sqlite3_column_bytes(handle, column)))
    }

    /// A 32-byte blob column; `nil` for any other type or length. Valid until the next step.
    func digest(_ column: Int32) -> UnsafeRawBufferPointer? {
        guard sqlite3_column_type(handle, column) == SQLITE_BLOB, let blob = sqlite3_column_blob(handle, column),
            sqlite3_column_bytes(handle, column) == 32
        else { return nil }
        return UnsafeRawBufferPointer(start: blob, count: 32)
    }
}

/// A growable byte buffer written through a pointer: the canonical texts of many rows back to
/// back, built without a capacity or uniqueness check per byte.
final class CanonicalBytes: @unchecked Sendable {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int = 1 << 20) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    /// The bytes written.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    func removeAll() { count = 0 }

    /// Makes room for `extra` more bytes; the append functions below do not check.
    func reserve(_ extra: Int) {
        guard count + extra > capacity else { return }
        let grown = max(capacity * 2, count + extra)
        let new = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
        new.update(from: base, count: count)
        base.deallocate()
        base = new
        capacity = grown
    }

    @inline(__always) func append(_ byte: UInt8) {
        base[count] = byte
        count += 1
    }

    func append(_ text: StaticString) {
        (base + count).update(from: text.utf8Start, count: text.utf8CodeUnitCount)
        count += text.utf8CodeUnitCount
    }

    /// Text as ``AuditRecord/escaped(_:)`` writes it (backslash and line end escaped).
    func appendEscaped(_ text: UnsafeRawBufferPointer) {
        guard let start = text.baseAddress, !text.isEmpty else { return }
        if memchr(start, 92, text.count) == nil && memchr(start, 10, text.count) == nil {
            (base + count).update(from: start.assumingMemoryBound(to: UInt8.self), count: text.count)
            count += text.count
            return
        }
        for b in text {
            switch b {
            case 92:
                append(92)
                append(92)
            case 10:
                append(92)
                append(110)
            default: append(b)
            }
        }
    }

    /// Lower-case hex of `bytes`.
    func appendHex(_ bytes: UnsafeRawBufferPointer) {
        let digits: StaticString = "0123456789abcdef"
        let d = digits.utf8Start
        for b in bytes {
            base[count] = d[Int(b >> 4)]
            base[count + 1] = d[Int(b & 15)]
            count += 2
        }
    }

    /// `value` in decimal, as `String(value)` writes it.
    func appendDecimal(_ value: Int64) {
        if value < 0 { append(45) }
        var magnitude = value.magnitude
        var digits = 1
        var power: UInt64 = 10
        while digits < 20 && magnitude >= power {
            digits += 1
            power = power &* 10
        }
        var k = count + digits - 1
        repeat {
            base[k] = UInt8(48 + magnitude % 10)
            magnitude /= 10
            k -= 1
        } while magnitude > 0
        count += digits
    }
}

// MARK: - Hashing blocks beside the reader

/// Hashes the account rows of batch blocks on its own thread while the verifier reads the
/// next ones: the reader hands over chunks of leaf texts, then each block's end with the
/// Merkle root its record holds; the hasher remembers the first block that does not match.
final class BlockHasher: @unchecked Sendable {
    /// Leaf texts (a 0 byte and a canonical text) back to back; text k ends at `ends[k]`.
    final class Chunk: @unchecked Sendable {
        let bytes = CanonicalBytes()
        var ends: [Int] = []
        /// Rows per chunk handed over (a block's last chunk may hold fewer).
        static let rows = 8192
    }

    /// A block that does not match its root: its record and its number of rows.
    struct Mismatch {
        var block: Int64
        var rows: Int
    }

    let queue = DispatchQueue(label: "ballast.audit.verify.hasher")
    let free = DispatchSemaphore(value: 3)
    let pool = Mutex<[Chunk]>([])
    // Touched on `queue` only, and by the reader after `finish()`.
    var leaves: [AuditHash] = []
    var mismatch: Mismatch?

    init() {}

    /// A chunk to fill (waits while three are being hashed).
    func take() -> Chunk {
        free.wait()
        let chunk = pool.withLock { $0.popLast() } ?? Chunk()
        chunk.bytes.removeAll()
        chunk.ends.removeAll(keepingCapacity: true)
        return chunk
    }

    /// Hands over a filled chunk of the current block.
    func hash(_ chunk: Chunk) {
        queue.async {
            if self.mismatch == nil {
                let b = chunk.bytes.bytes
                var leaves = self.leaves
                self.leaves = []
                var start = 0
                for end in chunk.ends {
                    leaves.append(AuditHash(sha256Of: UnsafeRawBufferPointer(rebasing: b[start..<end])))
                    start = end
                }
                self.leaves = leaves
            }
            self.pool.withLock { $0.append(chunk) }
            self.free.signal()
        }
    }

    /// Gives back a chunk without hashing it.
    func discard(_ chunk: Chunk) {
        pool.withLock { $0.append(chunk) }
        free.signal()
    }

    /// Ends block `block`, whose record holds `outputs`: its root is computed and compared.
    func end(block: Int64, outputs: String) {
        queue.async {
            defer { self.leaves.removeAll(keepingCapacity: true) }
            guard self.mismatch == nil else { return }
            if outputs != "{\"merkleRoot\":\"\(AuditAccountRow.merkleRoot(self.leaves))\"}" {
                self.mismatch = Mismatch(block: block, rows: self.leaves.count)
            }
        }
    }

    /// Waits for everything handed over; returns the first block that did not match.
    func finish() -> Mismatch? {
        queue.sync {}
        return mismatch
    }
}
