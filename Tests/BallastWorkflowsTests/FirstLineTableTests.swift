import Testing

@testable import BallastWorkflows

/// The batch's duplicate-id check: the first line of each id, also when hashes collide.
@Suite struct FirstLineTableTests {
    @Test func repeatsNameTheFirstLine() {
        var t = FirstLineTable()
        for k in 1...5000 { #expect(t.firstLine(of: "acct-\(k)", hash: FirstLineTable.hash("acct-\(k)"), line: k) == nil) }
        for k in 1...5000 {
            #expect(t.firstLine(of: "acct-\(k)", hash: FirstLineTable.hash("acct-\(k)"), line: 10_000 + k) == k)
        }
        #expect(t.count == 5000)
    }

    /// Every id with the same hash: only the full compare tells them apart.
    @Test(arguments: [0, 42, UInt64.max])
    func forcedCollisionsStillCompareTheIds(_ hash: UInt64) {
        var t = FirstLineTable()
        let ids = (1...3000).map { "id\($0)" } + ["", "a", "ab", "b"]
        for (k, id) in ids.enumerated() { #expect(t.firstLine(of: id, hash: hash, line: k + 1) == nil, "\(id)") }
        for (k, id) in ids.enumerated().reversed() { #expect(t.firstLine(of: id, hash: hash, line: 99_999) == k + 1, "\(id)") }
        #expect(t.count == ids.count)
    }

    /// Ids that differ only in a late byte, or are prefixes of one another.
    @Test func prefixesAndNearMissesAreDistinct() {
        var t = FirstLineTable()
        for (k, id) in ["abc", "abcd", "abd", "ab", "abc\u{0}"].enumerated() {
            #expect(t.firstLine(of: id, hash: 7, line: k + 1) == nil)
        }
        #expect(t.firstLine(of: "abd", hash: 7, line: 9) == 3)
    }
}
