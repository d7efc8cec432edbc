import BallastMarketData
import Foundation

/// One step of the reasoning behind a level: the rule, what it looked at, what it did.
public struct ExplanationStep: Sendable, Equatable, Codable {
    /// The rule applied.
    public var rule: String
    /// The inputs it looked at.
    public var inputs: String
    /// What it decided.
    public var effect: String
}

/// Behaviour signals from the account history, each defined in ``BehaviourAnalyzer``.
public struct BehaviourSignals: Sendable, Equatable, Codable {
    /// Whether the customer sold at least half of their risky holdings within 21 trading days
    /// while the market was at least 10% below its one-year high.
    public var panicSelling: Bool
    /// The date of the first panic sale, if any.
    public var panicSellingDate: MarketDate?
    /// Trades per year over the span of the history.
    public var tradesPerYear: Double
    /// Annualised turnover: half the traded value a year over the current portfolio value.
    public var annualTurnover: Double
    /// Herfindahl index of the current risky holdings' values (1 = a single holding).
    public var concentration: Double
    /// The highest product rating held now or traded in the history.
    public var highestRatingHeld: ProductRiskRating?
    /// Account views per trading day during market falls divided by views per day otherwise
    /// (`nil` without views on both sides).
    public var viewsInFallsRatio: Double?
}

/// Something the profiler noticed that an adviser should act on.
public enum ProfileFlag: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// Willingness is more than one level above capacity; the level follows capacity.
    case willingnessAboveCapacity = "willingness-above-capacity"
    /// Answers that should agree contradict each other.
    case inconsistentAnswers = "inconsistent-answers"
    /// Most risky holdings were sold during a market fall.
    case panicSelling = "panic-selling"
    /// The account trades often.
    case frequentTrading = "frequent-trading"
    /// The holdings are concentrated in few products.
    case concentratedHoldings = "concentrated-holdings"
    /// The account was looked at far more often during falls than in calm markets.
    case anxiousDuringFalls = "anxious-during-falls"
    /// The account holds products rated above the level.
    case holdsProductsAboveLevel = "holds-products-above-level"

    /// The flag's name, as written in JSON (`panic-selling`).
    public var description: String { rawValue }

    /// What the flag means, in a sentence for an adviser.
    public var explanation: String {
        switch self {
        case .willingnessAboveCapacity:
            "the willingness to take risk is well above the capacity to bear it; the level follows capacity"
        case .inconsistentAnswers: "some answers contradict each other; go through them with the customer"
        case .panicSelling: "the account sold most of its risky holdings during a market fall"
        case .frequentTrading: "the account trades often"
        case .concentratedHoldings: "the holdings are concentrated in few products"
        case .anxiousDuringFalls: "the account was looked at far more often during market falls than in calm markets"
        case .holdsProductsAboveLevel: "the account holds products rated above the level"
        }
    }
}

/// The result of profiling a customer.
public struct RiskProfile: Sendable, Equatable, Codable {
    /// Pseudonymous reference (never the raw id).
    public var customerRef: String
    /// Level 1-5.
    public var level: Int
    /// `C1` ... `C5`.
    public var label: String
    /// Willingness to take risk, 0-100.
    public var willingness: Double
    /// Capacity to bear losses, 0-100.
    public var capacity: Double
    /// How consistent the answers are, 0-100.
    public var consistency: Double
    /// The rule that decided the level.
    public var decidedBy: String
    /// Behaviour signals from the account history, when there is one.
    public var behaviour: BehaviourSignals?
    /// Flags for the adviser (e.g. `panic-selling`, `inconsistent-answers`).
    public var flags: [ProfileFlag]
    /// The level's limits: volatility cap, risk aversion, shares, maximum product rating.
    public var parameters: LevelParameters
    /// The questionnaire's version.
    public var questionnaireVersion: String
    /// The date of the assessment.
    public var asOf: MarketDate
    /// When to re-assess (sooner after some behaviour).
    public var reassessBy: MarketDate
    /// Every step of the reasoning, in order.
    public var explanation: [ExplanationStep]
    /// Each answer with its score (for the audit trail).
    public var answerScores: [String: Int]
}

/// Scores answers and behaviour into a ``RiskProfile``.
///
/// Rules: willingness and capacity are scored 0-100 and mapped to levels by the
/// questionnaire's bands; the horizon item caps the level; the level is the most conservative
/// of the three. Behaviour may only lower the level by one (a panic sale) or flag a
/// re-assessment, never raise it. The re-assessment date is 12 months after `asOf`, 3 months
/// when a flag calls for it.
public struct RiskProfiler: Sendable {
    /// The questionnaire the answers refer to.
    public var questionnaire: Questionnaire
    /// The levels' parameters.
    public var levels: RiskLevels

    /// A profiler for this questionnaire and these levels.
    public init(questionnaire: Questionnaire, levels: RiskLevels) {
        self.questionnaire = questionnaire
        self.levels = levels
    }

    /// Profiles a customer whose answers have been validated.
    public func profile(_ customer: CustomerFile, behaviour signals: BehaviourSignals?, asOf: MarketDate, pseudonym: String) -> RiskProfile
    {
        let q = questionnaire
        var explanation: [ExplanationStep] = []
        var scores: [String: Int] = [:]
        for (itemId, optionId) in customer.answers {
            if let s = q.item(itemId)?.option(optionId)?.score { scores[itemId] = s }
        }
        func dimensionScore(_ d: ProfileDimension) -> Double {
            let items = q.items.filter { $0.dimension == d }
            let maximum = items.reduce(0) { $0 + $1.maximumScore }
            let got = items.reduce(0) { $0 + (scores[$1.id] ?? 0) }
            return maximum > 0 ? 100 * Double(got) / Double(maximum) : 0
        }
        let willingness = dimensionScore(.willingness)
        let capacity = dimensionScore(.capacity)
        let wLevel = q.scoring.level(forScore: willingness)
        let cLevel = q.scoring.level(forScore: capacity)
        explanation.append(
            ExplanationStep(
                rule: "willingness score",
                inputs: q.items.filter { $0.dimension == .willingness }.map { "\($0.id)=\(customer.answers[$0.id] ?? "-")" }.joined(
                    separator: " "),
                effect: String(format: "%.1f/100 -> C%d", willingness, wLevel)))
        explanation.append(
            ExplanationStep(
                rule: "capacity score",
                inputs: q.items.filter { $0.dimension == .capacity }.map { "\($0.id)=\(customer.answers[$0.id] ?? "-")" }.joined(
                    separator: " "),
                effect: String(format: "%.1f/100 -> C%d", capacity, cLevel)))
        var level = min(wLevel, cLevel)
        var decidedBy = wLevel < cLevel ? "willingness" : (cLevel < wLevel ? "capacity" : "willingness and capacity agree")
        explanation.append(
            ExplanationStep(
                rule: "the more conservative of willingness and capacity", inputs: "C\(wLevel) vs C\(cLevel)",
                effect: wLevel > cLevel ? "capacity caps willingness at C\(level)" : "C\(level)"))
        var flags: [ProfileFlag] = []
        if wLevel > cLevel + 1 { flags.append(.willingnessAboveCapacity) }
        if let answer = customer.answers[q.scoring.horizonItem], q.scoring.horizonCaps[answer] == nil {
            explanation.append(
                ExplanationStep(rule: "horizon gate", inputs: "\(q.scoring.horizonItem)=\(answer)", effect: "the horizon sets no cap"))
        }
        if let answer = customer.answers[q.scoring.horizonItem], let cap = q.scoring.horizonCaps[answer] {
            if cap < level {
                explanation.append(
                    ExplanationStep(
                        rule: "horizon gate", inputs: "\(q.scoring.horizonItem)=\(answer)",
                        effect: "money needed soon caps the level at C\(cap) (was C\(level))"))
                level = cap
                decidedBy = "horizon gate"
            } else {
                explanation.append(
                    ExplanationStep(rule: "horizon gate", inputs: "\(q.scoring.horizonItem)=\(answer)", effect: "no cap below C\(level)"))
            }
        }
        // Consistency: pairs of items whose relative scores should agree.
        var penalties = 0.0
        for pair in q.scoring.consistencyPairs {
            guard let a = q.item(pair.items[0]), let b = q.item(pair.items[1]), let sa = scores[a.id], let sb = scores[b.id] else {
                continue
            }
            let ra = Double(sa) / Double(max(a.maximumScore, 1))
            let rb = Double(sb) / Double(max(b.maximumScore, 1))
            let gap = abs(ra - rb)
            penalties += gap
            if gap >= 2.0 / 3.0 {
                explanation.append(
                    ExplanationStep(
                        rule: "consistency", inputs: "\(a.id)=\(customer.answers[a.id]!) vs \(b.id)=\(customer.answers[b.id]!)",
                        effect: "answers disagree: \(pair.reason)"))
            }
        }
        let consistency = q.scoring.consistencyPairs.isEmpty ? 100 : 100 * (1 - penalties / Double(q.scoring.consistencyPairs.count))
        if consistency < q.scoring.consistencyFlagBelow {
            flags.append(.inconsistentAnswers)
            explanation.append(
                ExplanationStep(
                    rule: "consistency", inputs: String(format: "score %.0f", consistency),
                    effect: "flagged for a conversation with an adviser"))
        }
        // Behaviour: only ever lowers or flags.
        var reassessMonths = 12
        if let b = signals {
            if b.panicSelling && level > 1 {
                explanation.append(
                    ExplanationStep(
                        rule: "behaviour: panic selling",
                        inputs: "sold most risky holdings during a fall" + (b.panicSellingDate.map { " (\($0))" } ?? ""),
                        effect: "lowers the level by one, C\(level) -> C\(level - 1)"))
                level -= 1
                decidedBy = "behaviour (panic selling)"
                flags.append(.panicSelling)
                reassessMonths = 3
            } else if b.panicSelling {
                flags.append(.panicSelling)
            }
            if b.annualTurnover > 2 || b.tradesPerYear > 50 {
                flags.append(.frequentTrading)
                explanation.append(
                    ExplanationStep(
                        rule: "behaviour: trading frequency",
                        inputs: String(format: "%.0f trades a year, turnover %.0f%%", b.tradesPerYear, b.annualTurnover * 100),
                        effect: "flagged (suitability concern)"))
            }
            if b.concentration > 0.5 {
                flags.append(.concentratedHoldings)
                explanation.append(
                    ExplanationStep(
                        rule: "behaviour: concentration", inputs: String(format: "Herfindahl %.2f", b.concentration), effect: "flagged"))
            }
            if let r = b.viewsInFallsRatio, r > 3 {
                flags.append(.anxiousDuringFalls)
                reassessMonths = min(reassessMonths, 6)
                explanation.append(
                    ExplanationStep(
                        rule: "behaviour: account views", inputs: String(format: "%.1fx more views per day during falls", r),
                        effect: "re-assessment brought forward"))
            }
            if let held = b.highestRatingHeld, held.rawValue > levels.parameters(level).maxProductRating.rawValue {
                flags.append(.holdsProductsAboveLevel)
                explanation.append(
                    ExplanationStep(
                        rule: "experience", inputs: "has held \(held)",
                        effect: "holdings above the level's maximum product rating; review them"))
            }
        }
        if flags.contains(.inconsistentAnswers) { reassessMonths = min(reassessMonths, 6) }
        let parameters = levels.parameters(level)
        explanation.append(ExplanationStep(rule: "level", inputs: decidedBy, effect: "\(parameters.label) (\(parameters.name.text("en")))"))
        return RiskProfile(
            customerRef: pseudonym, level: level, label: parameters.label, willingness: willingness, capacity: capacity,
            consistency: consistency,
            decidedBy: decidedBy, behaviour: signals, flags: flags, parameters: parameters, questionnaireVersion: "\(q.id) v\(q.version)",
            asOf: asOf,
            reassessBy: asOf.adding(months: reassessMonths), explanation: explanation, answerScores: scores)
    }
}
