import CBallastSHA256
import Crypto
import Foundation
import Testing

@testable import BallastAudit

@Suite("Audit hashing")
struct AuditHashingTests {
    /// Seeded bytes (SplitMix64), so that a failure is reproducible.
    static func bytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return UInt8(truncatingIfNeeded: z ^ (z >> 31))
        }
    }

    @Test("the trail's one-call SHA-256 equals swift-crypto's for every length from 0 to 1,100 bytes, on both of its paths")
    func sameAsSwiftCrypto() {
        for count in 0...1100 {
            let data = Self.bytes(count, seed: UInt64(count))
            let expected = AuditHash(SHA256.hash(data: data))
            let fast = data.withUnsafeBytes { AuditHash(sha256Of: $0) }
            var portable = AuditHash(SHA256.hash(data: [UInt8]()))
            withUnsafeMutableBytes(of: &portable.words) { out in
                data.withUnsafeBytes {
                    ballast_sha256_portable($0.baseAddress, count, out.baseAddress!.assumingMemoryBound(to: UInt8.self))
                }
            }
            #expect(fast == expected, "length \(count)")
            #expect(portable == expected, "length \(count), portable path")
        }
    }

    @Test("FIPS 180-4 examples: the empty message, abc and the 448-bit message")
    func referenceValues() {
        let cases = [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
            ),
        ]
        for (text, hex) in cases {
            #expect(Array(text.utf8).withUnsafeBytes { AuditHash(sha256Of: $0) }.hex == hex, "\(text)")
        }
    }

    @Test("the Merkle root of five leaves equals the value computed with Python's hashlib (1-byte node prefix, the odd leaf moved up)")
    func merkleReference() {
        let leaves = (0..<5).map { AuditHash(SHA256.hash(data: [UInt8($0)])) }
        // hashlib: level = [sha256(bytes([k]))]; node = sha256(b'\x01' + left + right); an odd last node moves up.
        #expect(AuditAccountRow.merkleRoot(leaves) == "550347fe72bcb7c23a0576eb793f410a6192c5d678b483eb1adfd880720b55ea")
        #expect(AuditAccountRow.merkleRoot([leaves[0]]) == leaves[0].hex)
        #expect(AuditAccountRow.merkleRoot([]) == String(repeating: "0", count: 64))
    }

    @Test("the verifier's canonical bytes of a stored row equal the row's canonical text, escapes included")
    func canonicalBytes() throws {
        let row = AuditAccountRow(
            line: 123_456_789_012, accountRef: "acct-a\\b\nc", accountDigest: AuditHash(SHA256.hash(data: [1])),
            planDigest: AuditHash(SHA256.hash(data: [2])), status: "within-band", duplicateOfLine: 7)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-canonical-\(getpid()).sqlite").path
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let trail = try AuditTrail(path: path)
        try trail.appendBlock([row], run: "1", engineVersion: "test", time: "2026-12-01T00:00:00.000Z")
        #expect(try trail.verify().intact)
        let bytes = try trail.queue.read { db -> [UInt8] in
            let scan = try AccountScan(db)
            let out = CanonicalBytes(capacity: 16)
            #expect(scan.appendLeaf(to: out))
            return Array(out.bytes)
        }
        #expect(bytes == [0] + Array(row.canonical.utf8))
    }

    @Test("a row's leaf built from bytes equals the hash of its canonical text (escapes, no reference, a duplicate's line)")
    func fastLeaf() {
        let rows = [
            AuditAccountRow(
                line: 1, accountRef: "acct-0123", accountDigest: AuditHash(SHA256.hash(data: [1])),
                planDigest: AuditHash(SHA256.hash(data: [2])), status: "rebalanced"),
            AuditAccountRow(
                line: 987_654_321, accountRef: nil, accountDigest: AuditHash(SHA256.hash(data: [3])),
                planDigest: AuditHash(SHA256.hash(data: [4])), status: "error", duplicateOfLine: 12),
            AuditAccountRow(
                line: 0, accountRef: "", accountDigest: AuditHash(SHA256.hash(data: [5])), planDigest: AuditHash(SHA256.hash(data: [6])),
                status: "a\\b\nc é"),
        ]
        // Over 4,096 rows the leaves are computed in parallel chunks.
        let many = (0..<5000).map { k in rows[k % 3] }
        let expected = many.map(\.leafHash)
        #expect(AuditAccountRow.leaves(many) == expected)
        #expect(AuditAccountRow.leaves(rows) == rows.map(\.leafHash))
    }

    @Test("account pseudonyms equal HMAC-SHA-256 by swift-crypto for keys shorter than, as long as and longer than a block")
    func pseudonyms() {
        for keyLength in [16, 32, 63, 64, 65, 100] {
            let key = Self.bytes(keyLength, seed: UInt64(1000 + keyLength))
            let references = AuditAccountPseudonyms(key: key)
            for id in ["ACC-00000001", "", "ü-ñ-\u{1F600}", String(repeating: "x", count: 300)] {
                let mac = HMAC<SHA256>.authenticationCode(for: Array(("account:" + id).utf8), using: SymmetricKey(data: key))
                let expected = "acct-" + AuditEntry.hex(mac).prefix(24)
                #expect(references.reference(id) == expected, "key \(keyLength) bytes, id \(id.prefix(20))")
            }
        }
    }
}
