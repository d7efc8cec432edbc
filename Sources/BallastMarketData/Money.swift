import Foundation

/// An amount of money in the account's currency, held as integer cents: sums are exact, and a
/// plan's `cash after = cash before + flow + sales - purchases - costs` holds to the cent.
///
/// JSON writes it as a number of currency units with at most two decimals (`1234.56`), as the
/// plans have always been written, and reads a number back to the nearest cent.
public struct Money: Sendable, Hashable, Comparable, Codable, CustomStringConvertible, AdditiveArithmetic,
    ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral
{
    /// The amount in cents.
    public var cents: Int64

    /// An amount of `cents` cents.
    public init(cents: Int64) { self.cents = cents }

    /// `amount` currency units rounded to the nearest cent, halves away from zero.
    ///
    /// - Precondition: `amount` is finite and below 9e16 in magnitude.
    public init(_ amount: Double) {
        precondition(amount.isFinite && abs(amount) < 9e16, "an amount of money must be finite")
        cents = Int64((amount * 100).rounded(.toNearestOrAwayFromZero))
    }

    /// A whole number of currency units.
    public init(integerLiteral value: Int64) { cents = value * 100 }

    /// An amount written with decimals, to the nearest cent.
    public init(floatLiteral value: Double) { self.init(value) }

    /// The amount in currency units (`cents / 100`).
    public var amount: Double { Double(cents) / 100 }

    /// No money.
    public static var zero: Money { Money(cents: 0) }

    /// The sum.
    public static func + (a: Money, b: Money) -> Money { Money(cents: a.cents + b.cents) }

    /// The difference.
    public static func - (a: Money, b: Money) -> Money { Money(cents: a.cents - b.cents) }

    /// Whether `a` is less than `b`.
    public static func < (a: Money, b: Money) -> Bool { a.cents < b.cents }

    /// `-12.30`, `1234.56`: the amount with two decimals.
    public var description: String {
        let sign = cents < 0 ? "-" : ""
        let m = cents.magnitude
        return sign + "\(m / 100)." + (m % 100 < 10 ? "0" : "") + "\(m % 100)"
    }

    /// Reads a number of currency units.
    ///
    /// - Throws: `DecodingError.dataCorrupted` for a value that is not a finite amount.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let x = try c.decode(Double.self)
        guard x.isFinite && abs(x) < 9e16 else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "\(x) is not an amount of money")
        }
        self.init(x)
    }

    /// Writes the number of currency units.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(amount)
    }
}
