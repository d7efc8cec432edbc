/// Why a plan trades, or why it does not: the rule that fired, the asset it fired on, and the
/// same in words. In JSON it is the words (`"5/25 rule: USEQ off target by more than 5.00%"`),
/// from which the rule and the asset are read back.
public struct PlanTrigger: Sendable, Hashable, Codable, CustomStringConvertible {
    /// What decided a plan: one of the policy's rules, or, when none fired, the cash flow.
    public enum Cause: Sendable, Hashable {
        /// The policy's rule fired (a band, the drift threshold, the calendar).
        case rule(RebalanceTrigger)
        /// Nothing fired; a deposit is invested.
        case deposit
        /// Nothing fired; a withdrawal is funded.
        case withdrawal
        /// Nothing fired and there is no cash flow.
        case none
    }

    /// What decided the plan.
    public var cause: Cause
    /// The policy's rule that fired, `nil` when none did.
    public var rule: RebalanceTrigger? {
        if case .rule(let r) = cause { return r }
        return nil
    }
    /// The asset a band rule fired on.
    public var asset: String?
    /// The trigger in words.
    public var text: String

    /// The trigger in words.
    public var description: String { text }

    /// A trigger from its parts.
    public init(cause: Cause, asset: String? = nil, text: String) {
        self.cause = cause
        self.asset = asset
        self.text = text
    }

    /// The trigger a text names, in the words plans use; `nil` for any other text.
    public init?(text: String) {
        let forms: [(String, Cause, Bool)] = [
            ("absolute band: ", .rule(.absoluteBand), true), ("relative band: ", .rule(.relativeBand), true),
            ("5/25 rule: ", .rule(.fiveTwentyFive), true), ("portfolio drift ", .rule(.portfolioDrift), false),
            ("calendar and threshold: ", .rule(.calendarAndThreshold), false), ("calendar: ", .rule(.calendar), false),
            ("deposit of ", .deposit, false), ("withdrawal of ", .withdrawal, false), ("no trigger", .none, false),
        ]
        guard let (prefix, cause, named) = forms.first(where: { text.hasPrefix($0.0) }) else { return nil }
        var asset: String?
        if named, let end = text.range(of: " off target") {
            asset = String(text[text.index(text.startIndex, offsetBy: prefix.count)..<end.lowerBound])
        }
        self.init(cause: cause, asset: asset, text: text)
    }

    /// Decodes the words of a plan.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let t = PlanTrigger(text: text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "`\(text)` is not a trigger of a rebalancing plan"))
        }
        self = t
    }

    /// Encodes the words.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(text)
    }
}
