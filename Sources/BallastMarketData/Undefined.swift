import Foundation

/// An optional value that is written to JSON as `null` when absent, instead of being left
/// out: every key of a result is always present, and an undefined quantity reads `null`.
///
/// Reading accepts both `null` and a missing key as `nil`.
@propertyWrapper
public struct ExplicitNull<Value: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    /// The value, `nil` when undefined.
    public var wrappedValue: Value?

    /// Wraps `wrappedValue`.
    public init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

    /// Reads a value or `null`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        wrappedValue = container.decodeNil() ? nil : try container.decode(Value.self)
    }

    /// Writes the value, or `null`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}

extension KeyedDecodingContainer {
    /// A missing key reads as an undefined value.
    public func decode<V>(_ type: ExplicitNull<V>.Type, forKey key: Key) throws -> ExplicitNull<V> {
        try decodeIfPresent(type, forKey: key) ?? ExplicitNull(wrappedValue: nil)
    }
}

/// Ratios that are undefined when their denominator is zero or numerically zero.
///
/// A denominator computed from data (a standard deviation, a volatility, a drawdown) carries
/// rounding of the order of `1e-16` of the quantities it is computed from; below a threshold
/// set by that scale it is indistinguishable from zero, and the ratio would be rounding divided
/// by rounding (a Sharpe ratio of `-2e14` for a portfolio of cash). Such a ratio is `nil`:
/// `null` in JSON, "n/a" in tables and reports. Each caller states its threshold and why.
public enum DefinedRatio {
    /// `numerator / denominator`, or `nil` when `|denominator|` is not above `zeroBelow` or
    /// either value is not finite.
    public static func value(_ numerator: Double, over denominator: Double, zeroBelow threshold: Double) -> Double? {
        guard numerator.isFinite, denominator.isFinite, abs(denominator) > max(threshold, 0) else { return nil }
        return numerator / denominator
    }

    /// The level below which a standard deviation of values of typical size `scale` is
    /// rounding: `1e-10 × scale` (a million times double precision, so that sums over
    /// thousands of terms stay clear of it).
    public static func dispersionThreshold(scale: Double) -> Double { 1e-10 * abs(scale) }
}

/// Defaults shared by every command and workflow, so that one number is never two.
public enum MarketConventions {
    /// The annual risk-free rate used when none is given: the Sharpe ratio of an optimised
    /// portfolio and of a back-test, the rate cash earns in model portfolios and back-tests.
    public static let defaultRiskFreeRate = 0.02

    /// Calendar days of history below which no figure is annualised: a year less a week, so
    /// that a calendar year whose ends fall on holidays still counts. Returns over periods
    /// shorter than a year are not annualised (the GIPS rule); such figures are `null`.
    public static let minimumAnnualisationDays = 358
}
