/// The line of each account id's first occurrence: the batch's duplicate check.
///
/// An open-addressing table keyed by a 64-bit hash of the id's bytes (computed by the workers,
/// off the writer's critical path); the ids themselves are kept once, back to back, in one
/// byte arena, so that equal hashes fall back to a full compare and two ids that collide are
/// still told apart. No per-id allocation: the arena and the slot arrays only grow.
///
/// - Complexity: O(1) expected per ``firstLine(of:hash:line:)``; memory O(distinct ids x
///   (id length + 24 bytes)).
struct FirstLineTable {
    /// The hash the workers compute for an id (FNV-1a, 64 bits, then a final mix).
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        h ^= h >> 33
        h = h &* 0xff51_afd7_ed55_8ccd
        return h ^ (h >> 33)
    }

    /// The hash of an id given as text.
    static func hash(_ id: String) -> UInt64 {
        var id = id
        return id.withUTF8 { hash(UnsafeRawBufferPointer($0)) }
    }

    private var hashes: [UInt64]
    /// The first line of the id in each slot; 0 marks an empty slot (lines count from 1).
    private var lines: [Int]
    private var starts: [Int]
    private var lengths: [Int]
    private var arena: [UInt8] = []
    /// How many ids the table holds.
    private(set) var count = 0

    init() {
        hashes = Array(repeating: 0, count: 1024)
        lines = Array(repeating: 0, count: 1024)
        starts = Array(repeating: 0, count: 1024)
        lengths = Array(repeating: 0, count: 1024)
    }

    /// The line where `id` first occurred; when it has not occurred before, records `line` as
    /// its first and returns `nil`.
    ///
    /// - Parameters:
    ///   - id: the id's bytes.
    ///   - hash: ``hash(_:)`` of them (any function of the bytes is correct; a poor one is only slower).
    ///   - line: the line number of this occurrence (at least 1).
    mutating func firstLine(of id: UnsafeRawBufferPointer, hash: UInt64, line: Int) -> Int? {
        precondition(line >= 1, "line numbers count from 1")
        // Grown at three quarters full: linear probing stays short with a well-mixed hash.
        if (count + 1) * 4 > lines.count * 3 { grow() }
        let mask = lines.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while lines[slot] != 0 {
            if hashes[slot] == hash && lengths[slot] == id.count && same(slot, id) { return lines[slot] }
            slot = (slot + 1) & mask
        }
        hashes[slot] = hash
        lines[slot] = line
        starts[slot] = arena.count
        lengths[slot] = id.count
        arena.append(contentsOf: id)
        count += 1
        return nil
    }

    /// ``firstLine(of:hash:line:)`` for an id given as text.
    mutating func firstLine(of id: String, hash: UInt64, line: Int) -> Int? {
        var id = id
        return id.withUTF8 { firstLine(of: UnsafeRawBufferPointer($0), hash: hash, line: line) }
    }

    private func same(_ slot: Int, _ id: UnsafeRawBufferPointer) -> Bool {
        arena.withUnsafeBytes { a in
            let start = starts[slot]
            for k in 0..<id.count where a[start + k] != id[k] { return false }
            return true
        }
    }

    private mutating func grow() {
        let size = lines.count * 2
        let mask = size - 1
        var (h, l, s, n) = (
            [UInt64](repeating: 0, count: size), [Int](repeating: 0, count: size), [Int](repeating: 0, count: size),
            [Int](repeating: 0, count: size)
        )
        for old in 0..<lines.count where lines[old] != 0 {
            var slot = Int(truncatingIfNeeded: hashes[old]) & mask
            while l[slot] != 0 { slot = (slot + 1) & mask }
            (h[slot], l[slot], s[slot], n[slot]) = (hashes[old], lines[old], starts[old], lengths[old])
        }
        (hashes, lines, starts, lengths) = (h, l, s, n)
    }
}
