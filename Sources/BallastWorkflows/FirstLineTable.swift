/// The line of each account id's first occurrence: the batch's duplicate check.
///
/// An open-addressing table keyed by a 64-bit hash of the id's bytes (computed by the workers,
/// off the writer's critical path); the ids themselves are kept once, back to back, in one
/// byte arena, so that equal hashes fall back to a full compare and two ids that collide are
/// still told apart. No per-id allocation: the arena and the slot arrays only grow.
///
/// - Complexity: O(1) expected per ``firstLine(of:hash:line:)``; memory O(distinct ids x
///   (id length + 16 bytes) + table slots x 16 bytes).
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

    /// One slot of the open-addressing table: the id's hash and its entry + 1 (0: empty).
    private struct Slot {
        var hash: UInt64
        var entry: Int
    }

    /// The table: a probe reads one slot, and touches an entry only when the hashes are equal.
    private var slots: [Slot]
    /// Each id's first line, in the order the ids came.
    private var lines: [Int] = []
    /// Where each id starts in `arena` (it ends where the next one starts).
    private var starts: [Int] = []
    private var arena: [UInt8] = []
    /// How many ids the table holds.
    var count: Int { lines.count }

    init() {
        slots = Array(repeating: Slot(hash: 0, entry: 0), count: 1024)
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
        if (count + 1) * 4 > slots.count * 3 { grow() }
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot].entry != 0 {
            if slots[slot].hash == hash && same(slots[slot].entry - 1, id) { return lines[slots[slot].entry - 1] }
            slot = (slot + 1) & mask
        }
        slots[slot] = Slot(hash: hash, entry: count + 1)
        lines.append(line)
        starts.append(arena.count)
        arena.append(contentsOf: id)
        return nil
    }

    private func same(_ entry: Int, _ id: UnsafeRawBufferPointer) -> Bool {
        let start = starts[entry]
        let end = entry + 1 < starts.count ? starts[entry + 1] : arena.count
        guard end - start == id.count else { return false }
        return arena.withUnsafeBytes { a in
            for k in 0..<id.count where a[start + k] != id[k] { return false }
            return true
        }
    }

    private mutating func grow() {
        let size = slots.count * 2
        let mask = size - 1
        var grown = [Slot](repeating: Slot(hash: 0, entry: 0), count: size)
        for old in slots where old.entry != 0 {
            var slot = Int(truncatingIfNeeded: old.hash) & mask
            while grown[slot].entry != 0 { slot = (slot + 1) & mask }
            grown[slot] = old
        }
        slots = grown
    }

    /// ``firstLine(of:hash:line:)`` for an id given as text.
    mutating func firstLine(of id: String, hash: UInt64, line: Int) -> Int? {
        var id = id
        return id.withUTF8 { firstLine(of: UnsafeRawBufferPointer($0), hash: hash, line: line) }
    }
}
