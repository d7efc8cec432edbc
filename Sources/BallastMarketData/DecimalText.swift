import Foundation

/// Decimal numbers read from bytes, correctly rounded: the one number reader of the price
/// files and of the batch account lines.
///
/// A number of at most 15 significant digits whose decimal exponent (the exponent written
/// minus the digits after the point) lies in -22...22 is `m / 10^k` or `m x 10^k` with both
/// operands exact doubles, so one IEEE operation is correctly rounded (Clinger's fast path;
/// W. D. Clinger, "How to read floating point numbers accurately", PLDI 1990, section 5).
/// Any other number goes to the C library's `strtod`, which is correctly rounded too, so the
/// result is always the double nearest to the text, as `Double(String)` gives it.
///
/// Only decimal syntax is read: hexadecimal floats, `nan`, `inf` and white space never are.
public enum DecimalText {
    /// Which texts are numbers.
    public enum Syntax: Sendable {
        /// JSON's number grammar (RFC 8259, section 6): `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
        case json
        /// A plain decimal as spreadsheets write it: an optional sign (`+` or `-`), digits with
        /// at most one point and at least one digit (`5`, `5.`, `.5`), and an optional
        /// exponent `[eE][+-]?[0-9]+`.
        case plain
    }

    /// The exact power of ten 10^k for k in 0...22 (each an exact double). A switch over
    /// literals compiles to a constant table: no lazily initialised global and no reference
    /// count on the hot path of every number read.
    @inlinable @inline(__always)
    static func powerOfTen(_ k: Int) -> Double {
        switch k {
        case 0: 1e0
        case 1: 1e1
        case 2: 1e2
        case 3: 1e3
        case 4: 1e4
        case 5: 1e5
        case 6: 1e6
        case 7: 1e7
        case 8: 1e8
        case 9: 1e9
        case 10: 1e10
        case 11: 1e11
        case 12: 1e12
        case 13: 1e13
        case 14: 1e14
        case 15: 1e15
        case 16: 1e16
        case 17: 1e17
        case 18: 1e18
        case 19: 1e19
        case 20: 1e20
        case 21: 1e21
        default: 1e22
        }
    }

    /// Reads the number that starts at `start` in `bytes`.
    ///
    /// The number ends at the first byte that cannot continue it; the caller decides whether
    /// what follows is allowed (a delimiter, the end of the field).
    ///
    /// - Parameters:
    ///   - bytes: the text.
    ///   - start: where the number starts (no white space is skipped).
    ///   - syntax: the grammar the number must follow.
    /// - Returns: the nearest double (infinite when the number overflows) and the index just
    ///   after the number, or `nil` when no number of that grammar starts at `start`.
    /// - Complexity: O(length of the number).
    @inlinable
    public static func scan(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, syntax: Syntax) -> (value: Double, end: Int)? {
        let n = bytes.count
        var i = start
        var negative = false
        if i < n && (bytes[i] == 45 || (bytes[i] == 43 && syntax == .plain)) {
            negative = bytes[i] == 45
            i += 1
        }
        var mantissa: UInt64 = 0
        var significant = 0
        var fraction = 0
        let integerStart = i
        while i < n, bytes[i] &- 48 < 10 {
            let d = bytes[i] &- 48
            if mantissa != 0 || d != 0 { significant &+= 1 }
            mantissa = mantissa &* 10 &+ UInt64(d)
            i += 1
        }
        let integerDigits = i - integerStart
        if syntax == .json && (integerDigits == 0 || (integerDigits > 1 && bytes[integerStart] == 48)) { return nil }
        if i < n && bytes[i] == 46 {
            i += 1
            let fractionStart = i
            while i < n, bytes[i] &- 48 < 10 {
                let d = bytes[i] &- 48
                if mantissa != 0 || d != 0 { significant &+= 1 }
                mantissa = mantissa &* 10 &+ UInt64(d)
                i += 1
            }
            fraction = i - fractionStart
            if syntax == .json && fraction == 0 { return nil }
        }
        if integerDigits + fraction == 0 { return nil }
        var exponent = 0
        var exact = true
        if i < n && (bytes[i] == 101 || bytes[i] == 69) {
            var j = i + 1
            var exponentNegative = false
            if j < n && (bytes[j] == 43 || bytes[j] == 45) {
                exponentNegative = bytes[j] == 45
                j += 1
            }
            let digitsStart = j
            while j < n, bytes[j] &- 48 < 10 {
                if exponent < 100_000 { exponent = exponent &* 10 &+ Int(bytes[j] &- 48) } else { exact = false }
                j += 1
            }
            // "1e" or "1e+": not a number in either grammar.
            guard j > digitsStart else { return nil }
            if exponentNegative { exponent = -exponent }
            i = j
        }
        let scale = exponent - fraction
        if exact && significant <= 15 && scale >= -22 && scale <= 22 {
            let m = Double(mantissa)
            let v = scale < 0 ? m / powerOfTen(-scale) : m * powerOfTen(scale)
            return (negative ? -v : v, i)
        }
        return (strtodValue(bytes, start..<i), i)
    }

    /// Reads `bytes[range]` as one whole number of the grammar (nothing before or after it).
    ///
    /// - Returns: the nearest double (infinite when it overflows), or `nil` when the text is
    ///   not such a number.
    /// - Complexity: O(`range.count`).
    @inlinable
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, syntax: Syntax) -> Double? {
        let part = UnsafeBufferPointer(rebasing: bytes[..<range.upperBound])
        guard let (v, end) = scan(part, from: range.lowerBound, syntax: syntax), end == range.upperBound else { return nil }
        return v
    }

    /// Reads a whole string as a number of the grammar (see ``parse(_:_:syntax:)``).
    public static func parse(_ text: String, syntax: Syntax) -> Double? {
        var text = text
        return text.withUTF8 { parse($0, 0..<$0.count, syntax: syntax) }
    }

    /// The slow path: `strtod` over text the scanner already checked.
    @usableFromInline
    static func strtodValue(_ bytes: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Double {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: r.count + 1) { buffer in
            for (o, k) in r.enumerated() { buffer[o] = CChar(bitPattern: bytes[k]) }
            buffer[r.count] = 0
            return strtod(buffer.baseAddress!, nil)
        }
    }
}
