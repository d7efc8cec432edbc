import Foundation

extension RebalancePlan {
    /// The plan as one line of JSON with sorted keys, the format of batch runs.
    ///
    /// Money is written exactly (to the cent), quantities to 8 decimals, weights, drift and
    /// turnover to 12 decimals, prices in their shortest round-trip form. ``BatchPlanner``
    /// writes the same bytes for the same plan.
    public var jsonLine: String {
        let sink = ByteSink(capacity: 512 + 128 * trades.count + 32 * (weightsAfter.count + weightsBefore.count))
        sink.withWriter { w in
            w.key("{\"accountId\":")
            w.string(accountId)
            w.key(",\"cashAfter\":")
            w.cents(cashAfter.cents)
            w.key(",\"cashBefore\":")
            w.cents(cashBefore.cents)
            w.key(",\"driftAfter\":")
            w.fraction(driftAfter)
            w.key(",\"driftBefore\":")
            w.fraction(driftBefore)
            w.key(",\"estimatedCost\":")
            w.cents(estimatedCost.cents)
            w.key(",\"notes\":[")
            for (k, note) in notes.enumerated() {
                if k > 0 { w.byte(44) }
                w.string(note)
            }
            w.key("],\"status\":")
            w.string(status.rawValue)
            w.key(",\"trades\":[")
            for (k, t) in trades.enumerated() {
                if k > 0 { w.byte(44) }
                w.trade(
                    symbol: { $0.string(t.symbol) }, side: t.side, quantity: t.quantity, price: { $0.shortest(t.price) },
                    value: t.value.cents, cost: t.cost.cents, reason: t.reason)
            }
            w.key("],\"trigger\":")
            w.string(trigger.text)
            w.key(",\"turnover\":")
            w.fraction(turnover)
            w.key(",\"weightsAfter\":")
            w.weights(weightsAfter)
            w.key(",\"weightsBefore\":")
            w.weights(weightsBefore)
            w.byte(125)
        }
        return String(decoding: sink.bytes, as: UTF8.self)
    }
}

/// A growable byte buffer that outlives the writers that fill it.
public final class ByteSink: @unchecked Sendable {
    fileprivate var base: UnsafeMutablePointer<UInt8>
    fileprivate var capacity: Int
    /// Bytes written since the last ``removeAll()``.
    public private(set) var count = 0

    /// A sink with room for `capacity` bytes (it grows as needed).
    public init(capacity: Int = 1 << 16) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// Appends bytes.
    public func append(_ bytes: UnsafeRawBufferPointer) {
        withWriter { $0.append(bytes) }
    }

    /// Appends one byte.
    public func append(_ b: UInt8) {
        withWriter { $0.byte(b) }
    }

    /// Forgets the contents, keeping the storage.
    public func removeAll() { count = 0 }

    /// The bytes written so far (valid until the next append).
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Lends the buffer to a writer (a plain struct, so appends need no exclusivity checks).
    func withWriter<R>(_ body: (inout JSONLineWriter) throws -> R) rethrows -> R {
        var w = JSONLineWriter(base: base, count: count, capacity: capacity)
        defer {
            base = w.base
            count = w.count
            capacity = w.capacity
        }
        return try body(&w)
    }
}

/// Two decimal digits for each value 0-99.
private let digitPairs: StaticString =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

/// Rounds half away from zero, like `rounded()`, without a call into libm.
@inline(__always)
func roundedHalfAway(_ y: Double) -> Double {
    guard abs(y) < 4.5e15 else { return y.rounded() }
    let t = Double(Int64(y))
    let d = y - t
    return d >= 0.5 ? t + 1 : d <= -0.5 ? t - 1 : t
}

/// Appends JSON to a byte buffer without intermediate strings.
struct JSONLineWriter {
    fileprivate var base: UnsafeMutablePointer<UInt8>
    fileprivate(set) var count: Int
    fileprivate var capacity: Int

    fileprivate init(base: UnsafeMutablePointer<UInt8>, count: Int, capacity: Int) {
        self.base = base
        self.count = count
        self.capacity = capacity
    }

    /// Makes room for `extra` more bytes.
    @inline(__always) mutating func reserve(_ extra: Int) {
        if count &+ extra > capacity { grow(count + extra) }
    }

    private mutating func grow(_ needed: Int) {
        let newCapacity = max(capacity * 2, needed)
        let fresh = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        fresh.update(from: base, count: count)
        base.deallocate()
        base = fresh
        capacity = newCapacity
    }

    @inline(__always) mutating func byte(_ b: UInt8) {
        reserve(1)
        base[count] = b
        count &+= 1
    }

    @inline(__always) mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if let start = bytes.baseAddress { append(start.assumingMemoryBound(to: UInt8.self), count: bytes.count) }
    }

    @inline(__always) mutating func append(_ start: UnsafePointer<UInt8>, count n: Int) {
        reserve(n)
        (base + count).update(from: start, count: n)
        count &+= n
    }

    /// Appends ASCII text known at compile time.
    @inline(__always) mutating func key(_ text: StaticString) {
        append(text.utf8Start, count: text.utf8CodeUnitCount)
    }

    /// Appends a copy of bytes already written.
    mutating func repeatBytes(_ range: Range<Int>) {
        reserve(range.count)
        (base + count).update(from: base + range.lowerBound, count: range.count)
        count += range.count
    }

    mutating func raw(_ text: [UInt8]) { text.withUnsafeBufferPointer { append($0.baseAddress!, count: $0.count) } }

    mutating func string(_ text: String) {
        var text = text
        text.withUTF8 { u in
            var plain = true
            for c in u where c < 0x20 || c == 34 || c == 92 {
                plain = false
                break
            }
            if plain {
                reserve(u.count + 2)
                base[count] = 34
                UnsafeMutableRawPointer(base + count + 1).copyMemory(from: u.baseAddress!, byteCount: u.count)
                base[count + 1 + u.count] = 34
                count += u.count + 2
                return
            }
            byte(34)
            let hex: StaticString = "0123456789abcdef"
            for c in u {
                switch c {
                case 34: key("\\\"")
                case 92: key("\\\\")
                case 10: key("\\n")
                case 13: key("\\r")
                case 9: key("\\t")
                case 0..<0x20:
                    key("\\u00")
                    byte(hex.utf8Start[Int(c >> 4)])
                    byte(hex.utf8Start[Int(c & 15)])
                default: byte(c)
                }
            }
            byte(34)
        }
    }

    /// Writes `v` as exactly `width` digits (with leading zeros) ending at `end`.
    @inline(__always) private func fixedDigits(_ v: UInt64, width: Int, end: UnsafeMutablePointer<UInt8>) {
        let pairs = digitPairs.utf8Start
        var p = end
        var x = v
        var w = width
        while w >= 2 {
            let r = Int(x % 100)
            x /= 100
            p -= 2
            p[0] = pairs[2 * r]
            p[1] = pairs[2 * r + 1]
            w -= 2
        }
        if w == 1 {
            p -= 1
            p[0] = 48 &+ UInt8(x % 10)
        }
    }

    @inline(__always) private func digitCount(_ v: UInt64) -> Int {
        var n = 1
        var x = v
        while x >= 100 {
            x /= 100
            n += 2
        }
        return x >= 10 ? n + 1 : n
    }

    /// A non-negative integer's decimal digits.
    @inline(__always) mutating func digits(_ v: UInt64) {
        let n = digitCount(v)
        reserve(n)
        fixedDigits(v, width: n, end: base + count + n)
        count += n
    }

    /// `units / 10^scale` (scale 2, 8 or 12) with trailing zeros (and a bare point) removed.
    @inline(__always) mutating func scaled(_ units: Int64, scale: Int, power p: UInt64) {
        reserve(24 + scale)
        if units < 0 { byte(45) }
        let magnitude = units.magnitude
        digits(magnitude / p)
        let rest = magnitude % p
        guard rest > 0 else { return }
        base[count] = 46
        fixedDigits(rest, width: scale, end: base + count + 1 + scale)
        var end = count + 1 + scale
        while base[end - 1] == 48 { end -= 1 }
        count = end
    }

    /// Money in cents, exactly.
    mutating func cents(_ c: Cents) { scaled(c, scale: 2, power: 100) }

    /// A fraction (weights, drift, turnover) to 12 decimals.
    mutating func fraction(_ x: Double) {
        guard x.isFinite else { return key("null") }
        guard abs(x) < 1e6 else { return shortest(x) }
        scaled(Int64(roundedHalfAway(x * 1e12)), scale: 12, power: 1_000_000_000_000)
    }

    /// A quantity: whole numbers as integers, otherwise to 8 decimals.
    mutating func quantity(_ x: Double) {
        guard x.isFinite else { return key("null") }
        guard abs(x) < 1e9 else { return shortest(x) }
        let whole = Int64(x)
        if Double(whole) == x {
            if whole < 0 { byte(45) }
            return digits(whole.magnitude)
        }
        scaled(Int64(roundedHalfAway(x * 1e8)), scale: 8, power: 100_000_000)
    }

    /// The shortest text that reads back as the same double (integers without a point).
    mutating func shortest(_ x: Double) {
        raw(Self.shortestText(x))
    }

    static func shortestText(_ x: Double) -> [UInt8] {
        guard x.isFinite else { return Array("null".utf8) }
        if x == x.rounded() && abs(x) < 1e15 { return Array(String(Int64(x)).utf8) }
        return Array(String(x).utf8)
    }

    mutating func trade(
        symbol: (inout JSONLineWriter) -> Void, side: PlannedTrade.Side, quantity q: Double, price: (inout JSONLineWriter) -> Void,
        value: Cents, cost: Cents, reason: PlannedTrade.Reason
    ) {
        key("{\"cost\":")
        cents(cost)
        key(",\"price\":")
        price(&self)
        key(",\"quantity\":")
        quantity(q)
        key(",\"reason\":")
        string(reason.rawValue)
        key(side == .buy ? ",\"side\":\"buy\",\"symbol\":" : ",\"side\":\"sell\",\"symbol\":")
        symbol(&self)
        key(",\"value\":")
        cents(value)
        byte(125)
    }

    mutating func weights(_ d: [String: Double]) {
        byte(123)
        for (k, key) in d.keys.sorted().enumerated() {
            if k > 0 { byte(44) }
            string(key)
            byte(58)
            fraction(d[key]!)
        }
        byte(125)
    }
}
