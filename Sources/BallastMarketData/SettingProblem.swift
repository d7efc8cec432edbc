/// A setting out of its range: the field (as the settings type names it) and what it must be.
/// Settings types (values a request or a flag fills in) throw it
/// from their `validate()`, so that a caller can name the setting in its own terms (the
/// command line's flag, a service's field).
public struct SettingProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// The field, such as `halfLife`.
    public var field: String
    /// What is wrong and what it must be, such as `must be positive, got -1`.
    public var message: String

    /// A problem with `field`.
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    /// `field: message`.
    public var description: String { "\(field): \(message)" }
}
