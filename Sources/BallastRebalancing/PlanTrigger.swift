/// Why a plan trades, or why it does not: the rule that fired, the asset it fired on, and the
/// same in words. In JSON it is the words (`"5/25 rule: USEQ off target by more than 5.00%"`),
/// from which the rule and the asset are read back.
public struct PlanTrigger: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The rules that decide a plan.
    public enum Rule: String, Sendable, Codable, CaseIterable {
        /// An asset is further from its target than the absolute band.
        case absoluteBand = "absolute-band"
        /// An asset is further from its target than the relative band.
        case relativeBand = "relative-band"
        /// The 5/25 rule: the absolute or the relative band (the narrower of the two).
        case fiveTwentyFive = "5-25"
        /// The portfolio's drift `½Σ|w - w*|` is above the threshold.
        case portfolioDrift = "portfolio-drift"
        /// The calendar period since the last rebalance has passed.
        case calendar
        /// A calendar review found assets outside their bands.
        case calendarAndThreshold = "calendar-and-threshold"
        /// Nothing fired; a deposit is invested.
        case deposit
        /// Nothing fired; a withdrawal is funded.
        case withdrawal
        /// Nothing fired and there is no cash flow.
        case none
    }

    /// The rule.
    public var rule: Rule
    /// The asset a band rule fired on.
    public var asset: String?
    /// The trigger in words.
    public var text: String

    /// The trigger in words.
    public var description: String { text }

    /// A trigger from its parts.
    public init(rule: Rule, asset: String? = nil, text: String) {
        self.rule = rule
        self.asset = asset
        self.text = text
    }

    /// The trigger a text names, in the words plans use; `nil` for any other text.
    public init?(text: String) {
        let forms: [(String, Rule, Bool)] = [
            ("absolute band: ", .absoluteBand, true), ("relative band: ", .relativeBand, true), ("5/25 rule: ", .fiveTwentyFive, true),
            ("portfolio drift ", .portfolioDrift, false), ("calendar and threshold: ", .calendarAndThreshold, false),
            ("calendar: ", .calendar, false), ("deposit of ", .deposit, false), ("withdrawal of ", .withdrawal, false),
            ("no trigger", .none, false),
        ]
        guard let (prefix, rule, named) = forms.first(where: { text.hasPrefix($0.0) }) else { return nil }
        var asset: String?
        if named, let end = text.range(of: " off target") {
            asset = String(text[text.index(text.startIndex, offsetBy: prefix.count)..<end.lowerBound])
        }
        self.init(rule: rule, asset: asset, text: text)
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
