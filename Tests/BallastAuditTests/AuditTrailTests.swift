import BallastAudit
import Foundation
import GRDB
import Testing

@Suite("Audit trail")
struct AuditTrailTests {
    func fresh(_ name: String) throws -> AuditTrail {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-audit-\(getpid())-\(name).sqlite").path
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let trail = try AuditTrail(path: path)
        var entries: [AuditEntry] = []
        for k in 1...10 {
            entries.append(
                AuditEntry(
                    command: k % 2 == 0 ? "profile" : "rebalance", engineVersion: "0.1.0", customerRef: "cust-\(k % 3)",
                    accountRef: "acct-\(k)",
                    inputs: ["prices": String(repeating: "a", count: 64)], parameters: ["asOf": "2022-12-28"], outputs: "{\"k\":\(k)}",
                    warnings: k == 3 ? ["a \"quoted\"\nwarning"] : []))
        }
        try trail.append(Array(entries.prefix(4)))
        try trail.append(Array(entries.dropFirst(4)))
        return trail
    }

    func tamper(_ trail: AuditTrail, _ sql: String) throws {
        let q = try DatabaseQueue(path: trail.path)
        try q.write { try $0.execute(sql: sql) }
    }

    @Test("an untouched trail verifies, with the file created mode 0600")
    func intact() throws {
        let trail = try fresh("intact")
        let v = try trail.verify()
        #expect(v.intact && v.records == 10 && v.firstBroken == nil)
        let mode = (try FileManager.default.attributesOfItem(atPath: trail.path)[.posixPermissions] as! NSNumber).intValue
        #expect(mode & 0o777 == 0o600)
        #expect(try trail.list(customer: "cust-1").map(\.id) == [1, 4, 7, 10])
        #expect(try trail.record(id: 3)?.entry.warnings == ["a \"quoted\"\nwarning"])
        #expect(try AuditTrail(path: trail.path).verify().intact, "reopening runs the migrations once")
    }

    @Test(
        "edited, deleted, inserted and reordered records are found, and the first broken one named",
        arguments: [
            ("edit", "UPDATE record SET outputs = '{\"k\":99}' WHERE id = 6", Int64(6)),
            ("edit-customer", "UPDATE record SET customerRef = 'cust-x' WHERE id = 2", 2),
            ("delete", "DELETE FROM record WHERE id = 5", 5),
            ("delete-last", "DELETE FROM record WHERE id = 10", 10),
            (
                "insert",
                "INSERT INTO record SELECT 11, time, engineVersion, command, customerRef, accountRef, inputs, parameters, outputs, suitability, warnings, acknowledged, hash, hash FROM record WHERE id = 10",
                11
            ),
            (
                "reorder",
                "UPDATE record SET id = CASE id WHEN 3 THEN 4 WHEN 4 THEN 3 END + 100 WHERE id IN (3, 4); UPDATE record SET id = id - 100 WHERE id > 100",
                3
            ),
            ("rehash-edit", "UPDATE record SET outputs = '{}', hash = previousHash WHERE id = 8", 8),
        ])
    func tampering(_ name: String, _ sql: String, _ first: Int64) throws {
        let trail = try fresh(name)
        try tamper(trail, sql)
        let v = try trail.verify()
        #expect(!v.intact, "\(name)")
        #expect(v.firstBroken == first, "\(name): \(v.problem ?? "")")
        #expect(v.problem != nil)
    }

    @Test("appends after reopening continue the chain; batch progress commits with the records")
    func continuing() throws {
        let trail = try fresh("continue")
        let again = try AuditTrail(path: trail.path)
        let ids = try again.append(
            [AuditEntry(command: "backtest", engineVersion: "0.1.0", outputs: "{}")],
            progress: (output: "/tmp/x.jsonl", checkpoint: "{\"linesDone\":5}"))
        #expect(ids == [11])
        #expect(try again.batchProgress(output: "/tmp/x.jsonl") == "{\"linesDone\":5}")
        try again.clearBatchProgress(output: "/tmp/x.jsonl")
        #expect(try again.batchProgress(output: "/tmp/x.jsonl") == nil)
        #expect(try again.verify().intact && again.count() == 11)
    }

    /// A trail of 10 records followed by two batch blocks of 5 and 3 account rows (records 11 and 12).
    func withBlocks(_ name: String) throws -> AuditTrail {
        let trail = try fresh(name)
        func rows(_ lines: ClosedRange<Int>) -> [AuditAccountRow] {
            lines.map { k in
                AuditAccountRow(
                    line: k, accountRef: k == 2 ? nil : "acct-\(k)", accountDigest: AuditHash(of: Data("line \(k)".utf8)),
                    planDigest: AuditHash(of: Data("plan \(k)".utf8)), status: k == 3 ? "error" : "rebalanced",
                    duplicateOfLine: k == 3 ? 1 : nil)
            }
        }
        #expect(try trail.appendBlock(rows(1...5), run: "1", engineVersion: "0.1.0", time: "2026-12-01T00:00:00.000Z") == 11)
        #expect(try trail.appendBlock([], run: "1", engineVersion: "0.1.0", time: "2026-12-01T00:00:01.000Z") == nil)
        #expect(try trail.appendBlock(rows(6...8), run: "1", engineVersion: "0.1.0", time: "2026-12-01T00:00:02.000Z") == 12)
        return trail
    }

    @Test("batch blocks: compact account rows under a Merkle root verify, and read back as written")
    func blocks() throws {
        let trail = try withBlocks("blocks")
        let v = try trail.verify()
        #expect(v.intact && v.records == 12 + 8, "\(v.problem ?? "")")
        let rows = try trail.accounts(block: 11)
        #expect(rows.map(\.line) == [1, 2, 3, 4, 5] && rows[1].accountRef == nil && rows[2].duplicateOfLine == 1)
        #expect(rows[0].accountDigest == AuditHash(of: Data("line 1".utf8)))
        #expect(try trail.record(id: 12)?.entry.parameters == ["run": "1", "accounts": "3", "firstLine": "6", "lastLine": "8"])
    }

    @Test(
        "an edited, deleted or added account row, or a NULL or empty field, breaks the chain at its block, without a crash",
        arguments: [
            ("row-status", "UPDATE account SET status = 'within-band' WHERE block = 11 AND line = 4", Int64(11)),
            ("row-ref-null", "UPDATE account SET accountRef = NULL WHERE block = 12 AND line = 7", 12),
            ("row-ref-empty", "UPDATE account SET accountRef = '' WHERE block = 11 AND line = 2", 11),
            ("row-delete", "DELETE FROM account WHERE block = 12 AND line = 8", 12),
            (
                "row-add",
                "INSERT INTO account SELECT 12, 9, accountRef, accountDigest, planDigest, status, NULL FROM account WHERE line = 8", 12
            ),
            (
                "row-orphan",
                "INSERT INTO account SELECT 5, 1, accountRef, accountDigest, planDigest, status, NULL FROM account WHERE line = 8", 5
            ),
            ("row-digest-short", "UPDATE account SET planDigest = x'00' WHERE block = 11 AND line = 1", 11),
            // The same bytes under another storage type, and text where the trail writes NULL or an integer.
            ("row-status-blob", "UPDATE account SET status = CAST(status AS BLOB) WHERE block = 12 AND line = 6", 12),
            ("row-digest-text", "UPDATE account SET accountDigest = CAST(accountDigest AS TEXT) WHERE block = 11 AND line = 5", 11),
            ("row-duplicate-text", "UPDATE account SET duplicateOfLine = 'none' WHERE block = 11 AND line = 1", 11),
            (
                "hash-null",
                "CREATE TABLE r2 AS SELECT * FROM record; DROP TABLE record; ALTER TABLE r2 RENAME TO record; UPDATE record SET hash = NULL WHERE id = 4",
                4
            ),
            (
                "time-null",
                "CREATE TABLE r2 AS SELECT * FROM record; DROP TABLE record; ALTER TABLE r2 RENAME TO record; UPDATE record SET time = NULL WHERE id = 6",
                6
            ),
            ("suitability-empty", "UPDATE record SET suitability = '' WHERE id = 9", 9),
            ("hash-blob", "UPDATE record SET hash = x'00ff' WHERE id = 2", 2),
            ("text-not-utf8", "UPDATE record SET outputs = CAST(x'ff00fe' AS TEXT) WHERE id = 7", 7),
        ])
    func blockTampering(_ name: String, _ sql: String, _ first: Int64) throws {
        let trail = try withBlocks(name)
        try tamper(trail, sql)
        let v = try trail.verify()
        for r in (try? trail.list()) ?? [] { _ = r }  // listing never crashes, whatever the edit
        _ = try? trail.record(id: first)
        #expect(!v.intact, "\(name)")
        #expect(v.firstBroken == first, "\(name): \(v.problem ?? "")")
    }

    @Test(
        "text that is not valid UTF-8 (or holds a NUL) is refused by list, show and export, naming the record and the field, never shown with its bytes replaced",
        arguments: [
            ("outputs", "UPDATE record SET outputs = CAST(x'7b226b223a31ff7d' AS TEXT) WHERE id = 7", Int64(7)),
            ("customerRef", "UPDATE record SET customerRef = CAST(x'637573742dfe' AS TEXT) WHERE id = 4", 4),
            ("outputs", "UPDATE record SET outputs = CAST(x'7b7d007b7d' AS TEXT) WHERE id = 5", 5),
        ])
    func notText(_ column: String, _ sql: String, _ id: Int64) throws {
        let trail = try withBlocks("not-utf8-\(id)")
        try tamper(trail, sql)
        let reader = try AuditTrail(readOnlyAt: trail.path)
        for attempt in [
            { _ = try reader.list() }, { _ = try reader.record(id: id) }, { try reader.forEachRecordWithAccounts { _, _ in } },
        ] {
            let error = #expect(throws: AuditError.self) { try attempt() }
            #expect(error?.message.contains("record \(id): \(column) is not valid UTF-8 text") == true, "\(error?.message ?? "")")
        }
        #expect(try reader.record(id: id - 1) != nil, "the records around it still read")
        let v = try reader.verify()
        #expect(!v.intact && v.firstBroken == id, "\(v)")
    }

    @Test("an account row's status or reference that is not valid UTF-8 is refused by export")
    func accountRowNotText() throws {
        let trail = try withBlocks("row-not-utf8")
        try tamper(trail, "UPDATE account SET status = CAST(x'72656261ff' AS TEXT) WHERE block = 11 AND line = 4")
        let error = #expect(throws: AuditError.self) { try AuditTrail(readOnlyAt: trail.path).forEachRecordWithAccounts { _, _ in } }
        #expect(error?.message.contains("not valid UTF-8 text") == true, "\(error?.message ?? "")")
    }

    @Test("a read-only copy verifies (read-only file and folder); a missing or empty database is an error, and nothing is created")
    func readOnly() throws {
        let trail = try withBlocks("readonly")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-audit-ro-\(getpid())").path
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let copy = dir + "/audit.sqlite"
        try FileManager.default.copyItem(atPath: trail.path, toPath: copy)
        for suffix in ["-wal", "-shm"] where FileManager.default.fileExists(atPath: trail.path + suffix) {
            try FileManager.default.copyItem(atPath: trail.path + suffix, toPath: copy + suffix)
        }
        chmod(copy, 0o444)
        chmod(dir, 0o555)
        defer { chmod(dir, 0o755) }
        let v = try AuditTrail(readOnlyAt: copy).verify()
        #expect(v.intact && v.records == 20, "\(v.problem ?? "")")
        let missing = #expect(throws: AuditError.self) { try AuditTrail(readOnlyAt: dir + "/none.sqlite") }
        #expect(missing?.message.contains("none.sqlite: no audit database here") == true)
        #expect(!FileManager.default.fileExists(atPath: dir + "/none.sqlite"))
        chmod(dir, 0o755)
        FileManager.default.createFile(atPath: dir + "/empty.sqlite", contents: Data())
        let empty = #expect(throws: AuditError.self) { try AuditTrail(readOnlyAt: dir + "/empty.sqlite") }
        #expect(empty?.message.contains("the file is empty, not an audit trail") == true)
    }

    @Test("garbage in an index page is found by the integrity check")
    func damagedIndex() throws {
        let trail = try fresh("damaged")
        let q = try DatabaseQueue(path: trail.path)
        let (pageSize, rootPage) = try q.read { db in
            (
                try Int.fetchOne(db, sql: "PRAGMA page_size")!,
                try Int.fetchOne(db, sql: "SELECT rootpage FROM sqlite_master WHERE name = 'record_customer'")!
            )
        }
        try q.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try q.close()
        let h = try #require(FileHandle(forUpdatingAtPath: trail.path))
        try h.seek(toOffset: UInt64((rootPage - 1) * pageSize + 20))
        h.write(Data(repeating: 0x5a, count: 64))
        try h.close()
        let v = try AuditTrail(readOnlyAt: trail.path).verify()
        #expect(!v.intact && v.problem?.contains("the database file is damaged") == true, "\(v)")
    }
}

@Suite("Audit trail opened concurrently")
struct AuditConcurrentOpenTests {
    @Test("eight writers opening one new database at once all succeed, and all eight records are there")
    func concurrentOpen() async throws {
        for round in 0..<5 {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-race-\(getpid())-\(round).sqlite").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for k in 0..<8 {
                    group.addTask {
                        let trail = try AuditTrail(path: path)
                        _ = try trail.append([AuditEntry(command: "profile", engineVersion: "test", outputs: "{\"k\":\(k)}")])
                    }
                }
                try await group.waitForAll()
            }
            #expect(try AuditTrail(path: path).list(customer: nil, since: nil, limit: nil).count == 8)
        }
    }
}
