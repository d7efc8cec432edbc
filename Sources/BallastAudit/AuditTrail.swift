import Crypto
import Foundation
import GRDB
import Synchronization

/// The command an audit record is about. The known ones are constants; a record written by
/// another version keeps the name it was written with (the name is what the chain hashes).
public struct AuditCommand: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The command's name as stored (`recommend`, `assumptions build`).
    public var rawValue: String
    /// A command named `rawValue`.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// A command named by a literal.
    public init(stringLiteral value: String) { rawValue = value }
    /// The name.
    public var description: String { rawValue }
    /// Reads the name.
    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
    /// Writes the name.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }

    /// `ballast profile`.
    public static let profile: AuditCommand = "profile"
    /// `ballast recommend`.
    public static let recommend: AuditCommand = "recommend"
    /// `ballast rebalance --account`.
    public static let rebalance: AuditCommand = "rebalance"
    /// The run record of `ballast rebalance --accounts`.
    public static let rebalanceBatch: AuditCommand = "rebalance-batch"
    /// A block record of a batch run (its account rows under a Merkle root).
    public static let rebalanceBlock: AuditCommand = "rebalance-block"
    /// A batch run halted by a circuit breaker (the breaker, its figure and its limit).
    public static let rebalanceHalt: AuditCommand = "rebalance-halt"
    /// `ballast backtest`.
    public static let backtest: AuditCommand = "backtest"
    /// `ballast assumptions build`.
    public static let assumptionsBuild: AuditCommand = "assumptions build"
    /// `ballast assumptions approve`.
    public static let assumptionsApprove: AuditCommand = "assumptions approve"
    /// `ballast monitor`.
    public static let monitor: AuditCommand = "monitor"
}

/// What one audited action produced, before it is chained into the trail.
///
/// Personal data never goes in: customers and accounts are named by pseudonymous references,
/// and inputs by SHA-256 digests.
public struct AuditEntry: Sendable, Codable, Equatable {
    /// When the action ran (ISO 8601, UTC, milliseconds).
    public var time: String
    /// The engine version that ran it.
    public var engineVersion: String
    /// The command that ran (``AuditCommand``).
    public var command: AuditCommand
    /// The pseudonymous customer reference, when a customer is concerned.
    public var customerRef: String?
    /// The pseudonymous account reference, when an account is concerned.
    public var accountRef: String?
    /// Input name to the SHA-256 digest (hex) of its canonical bytes.
    public var inputs: [String: String]
    /// Parameter name to value, as given.
    public var parameters: [String: String]
    /// The outputs as JSON text (level, weights, trades, metrics, as the command produced them).
    public var outputs: String
    /// The suitability decision as JSON text, when there is one.
    public var suitability: String?
    /// Every warning shown.
    public var warnings: [String]
    /// Whether the customer acknowledged a risk warning.
    public var acknowledged: Bool

    /// An entry stamped with `time` (default now), or with `timestamp` as given.
    public init(
        command: AuditCommand, engineVersion: String, customerRef: String? = nil, accountRef: String? = nil, inputs: [String: String] = [:],
        parameters: [String: String] = [:], outputs: String, suitability: String? = nil, warnings: [String] = [],
        acknowledged: Bool = false,
        time: Date = Date(), timestamp: String? = nil
    ) {
        self.time = timestamp ?? AuditEntry.timestamp(time)
        self.engineVersion = engineVersion
        self.command = command
        self.customerRef = customerRef
        self.accountRef = accountRef
        self.inputs = inputs
        self.parameters = parameters
        self.outputs = outputs
        self.suitability = suitability
        self.warnings = warnings
        self.acknowledged = acknowledged
    }

    /// `2026-11-30T06:45:12.345Z`.
    public static func timestamp(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date)
    }

    /// The SHA-256 digest of `bytes`, in hex.
    public static func digest(_ bytes: some DataProtocol) -> String {
        hex(SHA256.hash(data: bytes))
    }

    /// Lower-case hex of bytes.
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits: StaticString = "0123456789abcdef"
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for b in bytes {
            out.append(digits.utf8Start[Int(b >> 4)])
            out.append(digits.utf8Start[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The SHA-256 digest of a file's bytes, in hex (`nil` when it cannot be read).
    public static func digest(file path: String) -> String? {
        FileManager.default.contents(atPath: path).map { digest($0) }
    }
}

/// A stored record: the entry, its place in the chain, and the hashes that link it.
public struct AuditRecord: Sendable, Codable, Equatable {
    /// Position in the chain, from 1.
    public var id: Int64
    /// What was recorded.
    public var entry: AuditEntry
    /// The previous record's hash (64 zeros for the first).
    public var previousHash: String
    /// SHA-256 of this record's canonical text, which includes `previousHash`.
    public var hash: String

    /// The canonical text that ``hash`` covers: every field, in a fixed order, one per line.
    static func canonical(id: Int64, entry e: AuditEntry, inputs: String, parameters: String, warnings: String, previousHash: String)
        -> String
    {
        canonical(
            id: id, time: e.time, engineVersion: e.engineVersion, command: e.command.rawValue, customerRef: e.customerRef,
            accountRef: e.accountRef,
            inputs: inputs, parameters: parameters, outputs: e.outputs, suitability: e.suitability, warnings: warnings,
            acknowledged: e.acknowledged, previousHash: previousHash)
    }

    /// The canonical text from the stored columns.
    static func canonical(
        id: Int64, time: String, engineVersion: String, command: String, customerRef: String?, accountRef: String?, inputs: String,
        parameters: String, outputs: String, suitability: String?, warnings: String, acknowledged: Bool, previousHash: String
    ) -> String {
        var out = String(id)
        for field in [
            time, engineVersion, command, customerRef ?? "", accountRef ?? "", inputs, parameters, outputs, suitability ?? "", warnings,
            acknowledged ? "1" : "0", previousHash,
        ] {
            out += "\n"
            out += escaped(field)
        }
        return out
    }

    /// A field of the canonical text: backslashes and line ends escaped so that fields cannot
    /// run into each other.
    static func escaped(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 92 || $0 == 10 }) else { return text }
        return text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }
}

/// The outcome of ``AuditTrail/verify()``.
public struct AuditVerification: Sendable, Codable, Equatable {
    /// Whether every record is intact and in place.
    public var intact: Bool
    /// Records checked: chain records and the account rows of batch blocks.
    public var records: Int
    /// The first record that is wrong (or the id where one is missing).
    public var firstBroken: Int64?
    /// What is wrong with it.
    public var problem: String?
    /// The hash of the last record: keep it elsewhere to anchor the chain.
    public var headHash: String
    /// The id of the key whose signature of the head was checked (`verify --public-key`).
    public var signedBy: String?
    /// Anchored heads checked against the chain (`verify --anchor`).
    public var anchorsChecked: Int?
}

/// An error of the audit trail, with the database path.
public struct AuditError: Error, Sendable, CustomStringConvertible {
    /// What went wrong and how to fix it.
    public var message: String
    /// An error with its message.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}

/// A tamper-evident audit trail in an embedded SQLite database (GRDB, WAL mode).
///
/// Records are appended in transactions; each holds the SHA-256 hash of the previous one, and a
/// one-row head table holds the count and the last hash, updated in the same transaction, so
/// that an edited, deleted, inserted or reordered record is found by ``verify()``. One process
/// writes at a time (SQLite's lock); batch runs append a block of records per transaction.
public final class AuditTrail: Sendable {
    /// The database file.
    public let path: String
    let queue: DatabaseQueue
    /// The key that signs the head at every append (`nil`: heads are not signed).
    public let signingKey: AuditSigningKey?

    static let zeroHash = String(repeating: "0", count: 64)

    /// Opens (creating with mode 0600 when missing) and migrates the database at `path`; with
    /// `signingKey`, every append also stores the head signed with it.
    public init(path: String, signingKey: AuditSigningKey? = nil) throws(AuditError) {
        self.path = path
        self.signingKey = signingKey
        let fm = FileManager.default
        if !fm.fileExists(atPath: path) {
            // The folder part of the path (NSString's deletingLastPathComponent traps on a bare file name).
            let dir = path.lastIndex(of: "/").map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? ""
            if !dir.isEmpty { try? fm.createDirectory(atPath: dir, withIntermediateDirectories: true) }
            guard fm.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw AuditError("\(path): cannot create the audit database (check the folder exists and is writable)")
            }
        }
        do {
            var config = Configuration()
            config.busyMode = .timeout(30)
            queue = try DatabaseQueue(path: path, configuration: config)
            // Switching a new database to WAL needs it alone for a moment: a process opening it
            // at the same instant can see "locked" (or an I/O error while the other creates the
            // log file) past the busy timeout; it tries again, briefly.
            var tries = 0
            while true {
                do {
                    try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
                    break
                } catch  where tries < 100 && ["locked", "busy", "disk I/O"].contains(where: { "\(error)".contains($0) }) {
                    tries += 1
                    usleep(20_000)
                }
            }
            // Two processes opening a new database at once can both see it unmigrated; the one
            // that loses finds the tables made by the other. Migrating again then sees the
            // migrations recorded and applies only what is missing.
            var attempt = 0
            while true {
                do {
                    try Self.migrator.migrate(queue)
                    break
                } catch  where attempt < 3 && "\(error)".contains("already exists") {
                    attempt += 1
                    usleep(20_000)
                }
            }
        } catch {
            throw AuditError("\(path): cannot open the audit database: \(error)")
        }
    }

    /// Opens an existing trail for reading only (an auditor's copy: a read-only file, folder or
    /// mount works); never creates, migrates or writes anything.
    ///
    /// - Throws: ``AuditError`` when the file is missing, empty, not an audit database, or
    ///   cannot be read.
    public init(readOnlyAt path: String) throws(AuditError) {
        self.path = path
        signingKey = nil
        var s = stat()
        guard stat(path, &s) == 0 else {
            throw AuditError(
                "\(path): no audit database here (\(String(cString: strerror(errno)))); give its path with --audit-db or BALLAST_AUDIT_DB")
        }
        guard s.st_size > 0 else {
            throw AuditError("\(path): the file is empty, not an audit trail (an emptied trail is not an intact one)")
        }
        do {
            queue = try DatabaseQueue(path: path, configuration: Self.readOnlyConfiguration)
            let tables = try queue.read { db in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'") }
            guard tables.contains("record"), tables.contains("head") else {
                throw AuditError("\(path): not an audit database (it has no records table)")
            }
        } catch let e as AuditError {
            throw e
        } catch {
            throw AuditError("\(path): cannot open the audit database for reading: \(error)")
        }
    }

    /// A reader's connection: read-only, waiting up to 30 s for a writer's lock, and reading the
    /// file through memory mapping (SQLite's `mmap_size`, capped at 2 GiB by SQLite), which
    /// spares a copy of every page read by `verify` and `export`.
    static var readOnlyConfiguration: Configuration {
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(30)
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA mmap_size = 2147418112") }
        return config
    }

    /// The schema and its migrations, in order. Never edit a registered migration; add one.
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1: records and chain head") { db in
            try db.execute(
                sql: """
                    CREATE TABLE record (
                        id INTEGER PRIMARY KEY,
                        time TEXT NOT NULL,
                        engineVersion TEXT NOT NULL,
                        command TEXT NOT NULL,
                        customerRef TEXT,
                        accountRef TEXT,
                        inputs TEXT NOT NULL,
                        parameters TEXT NOT NULL,
                        outputs TEXT NOT NULL,
                        suitability TEXT,
                        warnings TEXT NOT NULL,
                        acknowledged INTEGER NOT NULL,
                        previousHash TEXT NOT NULL,
                        hash TEXT NOT NULL
                    );
                    CREATE INDEX record_customer ON record(customerRef);
                    CREATE INDEX record_time ON record(time);
                    CREATE TABLE head (
                        one INTEGER PRIMARY KEY CHECK (one = 1),
                        count INTEGER NOT NULL,
                        lastId INTEGER NOT NULL,
                        lastHash TEXT NOT NULL
                    );
                    INSERT INTO head VALUES (1, 0, 0, '\(zeroHash)');
                    """)
        }
        m.registerMigration("v2: batch progress") { db in
            try db.execute(
                sql: """
                    CREATE TABLE batchProgress (
                        output TEXT PRIMARY KEY,
                        checkpoint TEXT NOT NULL
                    );
                    """)
        }
        m.registerMigration("v3: compact account rows of batch blocks") { db in
            try db.execute(
                sql: """
                    CREATE TABLE account (
                        block INTEGER NOT NULL,
                        line INTEGER NOT NULL,
                        accountRef TEXT,
                        accountDigest BLOB NOT NULL,
                        planDigest BLOB NOT NULL,
                        status TEXT NOT NULL,
                        duplicateOfLine INTEGER,
                        PRIMARY KEY (block, line)
                    ) WITHOUT ROWID;
                    """)
        }
        m.registerMigration("v4: signed heads") { db in
            try db.execute(
                sql: """
                    ALTER TABLE head ADD COLUMN accountRows INTEGER NOT NULL DEFAULT 0;
                    CREATE TABLE signedHead (
                        one INTEGER PRIMARY KEY CHECK (one = 1),
                        head TEXT NOT NULL
                    );
                    """)
        }
        return m
    }

    /// A JSON string literal.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for u in text.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    out += "\\u00" + (u.value < 16 ? "0" : "") + String(u.value, radix: 16)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    /// Canonical JSON of a string map: keys sorted, no spaces.
    static func json(_ map: [String: String]) -> String {
        "{" + map.keys.sorted().map { quoted($0) + ":" + quoted(map[$0]!) }.joined(separator: ",") + "}"
    }

    /// Canonical JSON of a string list.
    static func json(_ list: [String]) -> String { "[" + list.map(quoted).joined(separator: ",") + "]" }

    /// Appends entries in one transaction and returns their ids. With `progress`, the batch
    /// progress row of `progress.output` is saved in the same transaction.
    @discardableResult
    public func append(_ entries: [AuditEntry], progress: (output: String, checkpoint: String)? = nil) throws(AuditError) -> [Int64] {
        try append(entries, progress: progress) { _, _ in }
    }

    /// Appends entries, then runs `body` with their ids in the same transaction.
    func append(
        _ entries: [AuditEntry], progress: (output: String, checkpoint: String)?, then body: (Database, [Int64]) throws -> Void
    ) throws(AuditError) -> [Int64] {
        do {
            return try queue.write { db -> [Int64] in
                var (count, lastId, lastHash) = try Self.head(db)
                var ids: [Int64] = []
                ids.reserveCapacity(entries.count)
                let insert = try db.cachedStatement(
                    sql: """
                        INSERT INTO record (id, time, engineVersion, command, customerRef, accountRef, inputs, parameters, outputs,
                            suitability, warnings, acknowledged, previousHash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """)
                for var e in entries {
                    // NULL and empty text hash alike in the canonical text; only NULL is ever written.
                    if e.customerRef == "" { e.customerRef = nil }
                    if e.accountRef == "" { e.accountRef = nil }
                    if e.suitability == "" { e.suitability = nil }
                    let id = lastId + 1
                    let inputs = Self.json(e.inputs)
                    let parameters = Self.json(e.parameters)
                    let warnings = Self.json(e.warnings)
                    let text = AuditRecord.canonical(
                        id: id, entry: e, inputs: inputs, parameters: parameters, warnings: warnings, previousHash: lastHash)
                    let hash = AuditEntry.digest(Data(text.utf8))
                    try insert.execute(arguments: [
                        id, e.time, e.engineVersion, e.command.rawValue, e.customerRef, e.accountRef, inputs, parameters, e.outputs,
                        e.suitability,
                        warnings, e.acknowledged, lastHash, hash,
                    ])
                    ids.append(id)
                    lastId = id
                    lastHash = hash
                    count += 1
                }
                try db.execute(
                    sql: "UPDATE head SET count = ?, lastId = ?, lastHash = ? WHERE one = 1", arguments: [count, lastId, lastHash])
                if let progress {
                    try db.execute(
                        sql:
                            "INSERT INTO batchProgress (output, checkpoint) VALUES (?, ?) ON CONFLICT(output) DO UPDATE SET checkpoint = excluded.checkpoint",
                        arguments: [progress.output, progress.checkpoint])
                }
                try body(db, ids)
                if let signingKey { try Self.signHead(db, key: signingKey, time: entries.last?.time ?? AuditEntry.timestamp(Date())) }
                return ids
            }
        } catch {
            throw AuditError("\(path): cannot append to the audit trail: \(error)")
        }
    }

    static func head(_ db: Database) throws -> (Int64, Int64, String) {
        guard let row = try Row.fetchOne(db, sql: "SELECT count, lastId, lastHash FROM head WHERE one = 1") else {
            throw AuditError("the chain head is missing")
        }
        return (row[0], row[1], row[2])
    }

    /// The saved progress of a batch run writing to `output`, if any.
    public func batchProgress(output: String) throws(AuditError) -> String? {
        do {
            return try queue.read { db in
                try String.fetchOne(db, sql: "SELECT checkpoint FROM batchProgress WHERE output = ?", arguments: [output])
            }
        } catch {
            throw AuditError("\(path): \(error)")
        }
    }

    /// Forgets the progress of a finished batch run.
    public func clearBatchProgress(output: String) throws(AuditError) {
        do { try queue.write { db in try db.execute(sql: "DELETE FROM batchProgress WHERE output = ?", arguments: [output]) } } catch {
            throw AuditError("\(path): \(error)")
        }
    }

    static func record(_ row: Row) throws -> AuditRecord {
        let id = integer(row, "id") ?? 0
        func invalid(_ column: String) -> AuditError {
            AuditError(
                "record \(id): \(column) is not valid UTF-8 text (the database was edited); it is refused rather than shown with "
                    + "its bytes replaced; run `ballast audit verify`")
        }
        func required(_ column: String) throws -> String {
            switch field(row, column) {
            case .text(let value): return value
            case .invalid: throw invalid(column)
            case .null, .other:
                throw AuditError("record \(id): \(column) is missing or not text (the database was edited); run `ballast audit verify`")
            }
        }
        func optional(_ column: String) throws -> String? {
            switch field(row, column) {
            case .text(let value): return value
            case .null: return nil
            case .invalid: throw invalid(column)
            case .other:
                throw AuditError("record \(id): \(column) is not text (the database was edited); run `ballast audit verify`")
            }
        }
        func decode<T: Decodable>(_ column: String, _: T.Type) throws -> T {
            guard let value = try? JSONDecoder().decode(T.self, from: Data(try required(column).utf8)) else {
                throw AuditError(
                    "record \(id): \(column) is not the JSON it should be (the database was edited); run `ballast audit verify`")
            }
            return value
        }
        var e = AuditEntry(
            command: AuditCommand(rawValue: try required("command")), engineVersion: try required("engineVersion"),
            outputs: try required("outputs"))
        e.time = try required("time")
        e.customerRef = try optional("customerRef")
        e.accountRef = try optional("accountRef")
        e.inputs = try decode("inputs", [String: String].self)
        e.parameters = try decode("parameters", [String: String].self)
        e.suitability = try optional("suitability")
        e.warnings = try decode("warnings", [String].self)
        e.acknowledged = integer(row, "acknowledged") == 1
        return AuditRecord(id: id, entry: e, previousHash: try required("previousHash"), hash: try required("hash"))
    }

    /// What a column of a stored row holds.
    enum Field {
        case null
        /// Text whose stored bytes are valid UTF-8 without a NUL: exactly these bytes.
        case text(String)
        /// Text whose stored bytes are not valid UTF-8 (or hold a NUL): never read as other text.
        case invalid
        /// An integer, a real or a blob.
        case other
    }

    /// A column of a row read from a statement (a cursor's row: its stored bytes are still
    /// there), checked byte for byte: SQLite's text is not decoded with replacement characters.
    static func field(_ row: Row, _ column: String) -> Field {
        switch (row[column] as DatabaseValue?)?.storage {
        case nil, .null: return .null
        case .string: return checked(try? row.withUnsafeData(named: column, validated))
        default: return .other
        }
    }

    /// A column by index (see the column-name variant).
    static func field(_ row: Row, _ index: Int) -> Field {
        switch (row[index] as DatabaseValue).storage {
        case .null: return .null
        case .string: return checked(try? row.withUnsafeData(atIndex: index, validated))
        default: return .other
        }
    }

    /// Stored text bytes as a `String` when they are valid UTF-8 without a NUL.
    static func validated(_ data: Data?) -> String? {
        guard let data else { return "" }
        guard !data.contains(0) else { return nil }
        return String(validating: data, as: UTF8.self)
    }

    static func checked(_ text: String??) -> Field { (text ?? nil).map(Field.text) ?? .invalid }

    /// A column's text, `nil` when it is NULL, not text or not valid UTF-8 (never a crash on
    /// what an edit left).
    static func text(_ row: Row, _ column: String) -> String? {
        guard case .text(let s) = field(row, column) else { return nil }
        return s
    }

    /// A column's integer, `nil` when it is NULL or not an integer.
    static func integer(_ row: Row, _ column: String) -> Int64? {
        guard case .int64(let v) = (row[column] as DatabaseValue?)?.storage else { return nil }
        return v
    }

    /// A column's text by index.
    static func text(_ row: Row, _ index: Int) -> String? {
        guard case .text(let s) = field(row, index) else { return nil }
        return s
    }

    /// A column's integer by index.
    static func integer(_ row: Row, _ index: Int) -> Int64? {
        guard case .int64(let v) = (row[index] as DatabaseValue).storage else { return nil }
        return v
    }

    /// Records in id order, optionally for one customer and from a date (`YYYY-MM-DD`) on.
    public func list(customer: String? = nil, since: String? = nil, limit: Int? = nil) throws(AuditError) -> [AuditRecord] {
        var sql = "SELECT * FROM record WHERE 1"
        var arguments: StatementArguments = []
        if let customer {
            sql += " AND customerRef = ?"
            _ = arguments.append(contentsOf: [customer])
        }
        if let since {
            sql += " AND time >= ?"
            _ = arguments.append(contentsOf: [since])
        }
        sql += " ORDER BY id"
        if let limit { sql += " LIMIT \(limit)" }
        // Through a cursor: each row's stored bytes are checked before they become text.
        do {
            return try queue.read { db in
                let cursor = try Row.fetchCursor(db, sql: sql, arguments: arguments)
                var records: [AuditRecord] = []
                while let row = try cursor.next() { records.append(try Self.record(row)) }
                return records
            }
        } catch {
            throw AuditError("\(path): cannot read the audit trail: \(error)")
        }
    }

    /// The last record of `command` whose time is before `time` (an ISO 8601 prefix such as
    /// `2026-12-01`, compared as text, as ``list(customer:since:limit:)`` compares dates), and
    /// whose parameter `parameter` (when given) has `value`: the run a later one compares with.
    ///
    /// - Complexity: one indexed range over the records before `time`, newest first.
    public func latest(command: AuditCommand, before time: String, parameter: (name: String, value: String)? = nil) throws(AuditError)
        -> AuditRecord?
    {
        do {
            return try queue.read { db in
                let cursor = try Row.fetchCursor(
                    db, sql: "SELECT * FROM record WHERE time < ? AND command = ? ORDER BY time DESC, id DESC",
                    arguments: [time, command.rawValue])
                while let row = try cursor.next() {
                    let r = try Self.record(row)
                    if let parameter, r.entry.parameters[parameter.name] != parameter.value { continue }
                    return r
                }
                return nil
            }
        } catch {
            throw AuditError("\(path): cannot read the audit trail: \(error)")
        }
    }

    /// The last `limit` records of `command` whose parameter `parameter` (when given) has its
    /// value, oldest first, optionally only those recorded from `since` (an ISO 8601 prefix) on:
    /// a series of runs, such as a book's monitor runs.
    public func records(
        command: AuditCommand, parameter: (name: String, value: String)? = nil, since: String? = nil, limit: Int = 100
    ) throws(AuditError) -> [AuditRecord] {
        do {
            return try queue.read { db in
                let cursor = try Row.fetchCursor(
                    db, sql: "SELECT * FROM record WHERE command = ? AND time >= ? ORDER BY time DESC, id DESC",
                    arguments: [command.rawValue, since ?? ""])
                var out: [AuditRecord] = []
                while out.count < limit, let row = try cursor.next() {
                    let r = try Self.record(row)
                    if let parameter, r.entry.parameters[parameter.name] != parameter.value { continue }
                    out.append(r)
                }
                return out.reversed()
            }
        } catch {
            throw AuditError("\(path): cannot read the audit trail: \(error)")
        }
    }

    /// One record.
    public func record(id: Int64) throws(AuditError) -> AuditRecord? {
        do {
            return try queue.read { db in
                let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM record WHERE id = ?", arguments: [id])
                return try cursor.next().map { try Self.record($0) }
            }
        } catch {
            throw AuditError("\(path): cannot read the audit trail: \(error)")
        }
    }

    /// Calls `body` with every record in id order, without loading them all.
    public func forEachRecord(_ body: (AuditRecord) throws -> Void) throws {
        try queue.read { db in
            let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM record ORDER BY id")
            while let row = try cursor.next() { try body(try Self.record(row)) }
        }
    }

    /// Runs SQLite's integrity check, re-computes every hash, link and Merkle root, and checks
    /// the head: names the first record that was edited, deleted, inserted or moved.
    ///
    /// The work runs on three threads: the integrity check on its own connection, the chain
    /// and the account rows read on the caller's, and the account rows' leaf and Merkle hashes
    /// on a third, fed in chunks as they are read. A damaged file is reported as such whatever
    /// the other two found; otherwise the first broken record in chain order is named.
    ///
    /// - Complexity: O(records + account rows).
    public func verify() throws(AuditError) -> AuditVerification {
        // The integrity check reads the whole file: on its own connection, beside the chain.
        final class Outcome: Sendable { let result = Mutex<Result<[String], any Error>?>(nil) }
        let integrity = Outcome()
        let checked = DispatchSemaphore(value: 0)
        let path = self.path
        let mainQueue = queue
        Thread.detachNewThread {
            let result = Result { () throws -> [String] in
                // A second connection where the file allows one; the trail's own otherwise.
                let checker = (try? DatabaseQueue(path: path, configuration: Self.readOnlyConfiguration)) ?? mainQueue
                return try checker.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
            }
            integrity.result.withLock { $0 = result }
            checked.signal()
        }
        func damaged() throws -> AuditVerification? {
            checked.wait()
            checked.signal()
            let lines = try integrity.result.withLock { try $0!.get() }
            guard lines != ["ok"] else { return nil }
            return AuditVerification(
                intact: false, records: 0, firstBroken: 0,
                problem: "the database file is damaged: " + lines.prefix(3).joined(separator: "; "), headHash: "")
        }
        let chain: Result<AuditVerification, any Error>
        do { chain = .success(try queue.read { db in try Self.verifyChain(db) }) } catch { chain = .failure(error) }
        do {
            if let d = try damaged() { return d }
            return try chain.get()
        } catch let e as AuditError {
            throw e
        } catch {
            throw AuditError("\(path): cannot read the audit trail: \(error)")
        }
    }

    /// The chain and account-row checks of ``verify()`` (everything but the integrity check).
    static func verifyChain(_ db: Database) throws -> AuditVerification {
        let (count, lastId, lastHash) = try Self.head(db)
        var expectedId: Int64 = 1
        var previous = Self.zeroHash
        var n = 0
        // The first problem found here, and whether it comes before the block's Merkle check
        // (which the hasher makes) in the order the checks of one record are made.
        var found: (id: Int64, records: Int, problem: String, beforeMerkle: Bool)?
        let hasher = BlockHasher()
        let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM record ORDER BY id")
        // The account rows of batch blocks, read alongside in (block, line) order.
        let accounts = try AccountScan(db)
        var accountRows = 0
        func orphan() -> String {
            "an account row (line \(accounts.line ?? 0)) belongs to no batch block (an account row was added)"
        }
        chain: while let row = try cursor.next() {
            func broken(_ id: Int64, _ problem: String, beforeMerkle: Bool = true) {
                found = (id, n, problem, beforeMerkle)
            }
            guard let id = Self.integer(row, "id"), let previousHash = Self.text(row, "previousHash"),
                let hash = Self.text(row, "hash")
            else {
                broken(expectedId, "a record has no id, link or hash (the database was edited)")
                break
            }
            n += 1
            if id != expectedId {
                broken(expectedId, id > expectedId ? "record \(expectedId) is missing (deleted)" : "record \(id) appears out of order")
                break
            }
            if previousHash != previous {
                broken(id, "its link to record \(id - 1) does not match (a record was inserted, removed or moved)")
                break
            }
            if ["customerRef", "accountRef", "suitability"].contains(where: {
                switch Self.field(row, $0) {
                case .null: return false
                case .text(let s): return s.isEmpty
                case .invalid, .other: return true
                }
            }) {
                broken(id, "an optional field holds empty text where the trail writes NULL, or something other than text (edited)")
                break
            }
            guard let text = Self.canonical(row, id: id, previousHash: previousHash) else {
                broken(id, "a required field is empty (NULL) or not text (the database was edited)")
                break
            }
            if AuditEntry.digest(Data(text.utf8)) != hash {
                broken(id, "its content does not match its hash (edited)")
                break
            }
            // Account rows belong to a block record; one that points elsewhere was added.
            if accounts.hasRow, (accounts.block ?? 0) < id {
                broken(id, orphan())
                break
            }
            if Self.text(row, "command") == AuditCommand.rebalanceBlock.rawValue {
                // The block's leaf texts, in chunks, to the hasher; then its end and root.
                var chunk = hasher.take()
                while accounts.hasRow, accounts.block == id {
                    guard accounts.appendLeaf(to: chunk.bytes) else {
                        hasher.discard(chunk)
                        broken(id, "one of its account rows has a missing or malformed field (edited)")
                        break chain
                    }
                    chunk.ends.append(chunk.bytes.count)
                    accountRows += 1
                    if chunk.ends.count == BlockHasher.Chunk.rows {
                        hasher.hash(chunk)
                        chunk = hasher.take()
                    }
                    try accounts.step()
                }
                hasher.hash(chunk)
                hasher.end(block: id, outputs: Self.text(row, "outputs") ?? "")
            }
            if accounts.hasRow, (accounts.block ?? 0) <= id {
                broken(id, orphan(), beforeMerkle: false)
                break
            }
            previous = hash
            expectedId += 1
        }
        if found == nil, accounts.hasRow {
            found = (expectedId, n, orphan(), true)
        }
        if found == nil, Int64(n) != count || expectedId - 1 != lastId || previous != lastHash {
            found = (
                expectedId, n,
                "the chain ends at record \(expectedId - 1) but the head records \(count) records ending at \(lastId) (records removed from or added to the end)",
                true
            )
        }
        // The hasher has seen only blocks up to the one the reading stopped at: its mismatch,
        // when earlier (or the same record's, when the reader's problem comes after), is first.
        if let m = hasher.finish(), found.map({ m.block < $0.id || (m.block == $0.id && !$0.beforeMerkle) }) ?? true {
            return AuditVerification(
                intact: false, records: Int(m.block), firstBroken: m.block,
                problem: "its \(m.rows) account rows do not match its Merkle root (an account row was edited, added or removed)",
                headHash: lastHash)
        }
        if let found {
            return AuditVerification(
                intact: false, records: found.records, firstBroken: found.id, problem: found.problem, headHash: lastHash)
        }
        return AuditVerification(intact: true, records: n + accountRows, firstBroken: nil, problem: nil, headHash: lastHash)
    }

    /// The canonical text of a stored record, `nil` when a required column is NULL or not text.
    static func canonical(_ row: Row, id: Int64, previousHash: String) -> String? {
        guard let time = text(row, "time"), let engineVersion = text(row, "engineVersion"), let command = text(row, "command"),
            let inputs = text(row, "inputs"), let parameters = text(row, "parameters"), let outputs = text(row, "outputs"),
            let warnings = text(row, "warnings"), let acknowledged = integer(row, "acknowledged")
        else { return nil }
        return AuditRecord.canonical(
            id: id, time: time, engineVersion: engineVersion, command: command, customerRef: text(row, "customerRef"),
            accountRef: text(row, "accountRef"), inputs: inputs, parameters: parameters, outputs: outputs,
            suitability: text(row, "suitability"), warnings: warnings, acknowledged: acknowledged == 1, previousHash: previousHash)
    }

    /// Number of records.
    public func count() throws(AuditError) -> Int {
        do { return try queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM record") ?? 0 } } catch {
            throw AuditError("\(path): \(error)")
        }
    }
}
