import BallastMarketData
import Foundation

/// Text in several languages, keyed by locale (`en`, `zh-Hans`).
public typealias LocalizedText = [String: String]

extension Dictionary where Key == String, Value == String {
    /// The text in `locale`, falling back to English and then to any language.
    public func text(_ locale: String) -> String { self[locale] ?? self["en"] ?? values.first ?? "" }
}

/// What a questionnaire item measures.
public enum ProfileDimension: String, Sendable, Codable, CaseIterable {
    /// Attitude to loss and variability.
    case willingness
    /// Ability to bear losses.
    case capacity
    /// When the money is needed (a gate on the level).
    case horizon
    /// Knowledge and experience of investment products.
    case experience
    /// The return the goals require (recorded, not scored).
    case need
}

/// One answer option.
public struct QuestionnaireOption: Sendable, Codable, Equatable {
    /// The option's id (`a`, `b`, ...).
    public var id: String
    /// The option's text in each language.
    public var text: LocalizedText
    /// Ordinal score: higher means more risk tolerance (or capacity).
    public var score: Int
}

/// One questionnaire item.
public struct QuestionnaireItem: Sendable, Codable, Equatable {
    /// The item's id (`q1`, ...).
    public var id: String
    /// What the item measures.
    public var dimension: ProfileDimension
    /// The question in each language.
    public var text: LocalizedText
    /// Whether an answer is required.
    public var required: Bool
    /// The options offered.
    public var options: [QuestionnaireOption]

    /// The option with an id.
    public func option(_ id: String) -> QuestionnaireOption? { options.first { $0.id == id } }
    /// The highest score an answer can earn.
    public var maximumScore: Int { options.map(\.score).max() ?? 0 }
}

/// Two items whose answers should agree.
public struct ConsistencyPair: Sendable, Codable, Equatable {
    /// The two items.
    public var items: [String]
    /// Why their answers should agree.
    public var reason: String
}

/// How answers become scores and a level.
public struct ScoringRules: Sendable, Codable, Equatable {
    /// What the rules do, in words.
    public var description: String
    /// Upper bounds (exclusive) of the score bands of levels 1-4; higher scores are level 5.
    public var levelBands: [Double]
    /// The horizon item and the level cap each of its options imposes.
    public var horizonItem: String
    /// Option of the horizon item to the highest level it allows.
    public var horizonCaps: [String: Int]
    /// Pairs of items whose answers should agree.
    public var consistencyPairs: [ConsistencyPair]
    /// Consistency below this (0-100) raises a flag.
    public var consistencyFlagBelow: Double

    /// The level (1-5) of a 0-100 score.
    public func level(forScore score: Double) -> Int {
        for (k, bound) in levelBands.enumerated() where score < bound { return k + 1 }
        return levelBands.count + 1
    }
}

/// A versioned questionnaire: items, options with scores, and scoring rules. A bank can ship
/// its own file without touching code.
public struct Questionnaire: Sendable, Codable, Equatable {
    /// The questionnaire's id.
    public var id: String
    /// Its version (recorded with every profile).
    public var version: String
    /// Its title in each language.
    public var title: LocalizedText
    /// How answers become scores and a level.
    public var scoring: ScoringRules
    /// The items, in order.
    public var items: [QuestionnaireItem]

    /// The item with an id.
    public func item(_ id: String) -> QuestionnaireItem? { items.first { $0.id == id } }

    /// Reads and checks a questionnaire file.
    ///
    /// - Throws: ``ProfilingError`` listing every problem with its JSON path.
    public static func read(path: String) throws(ProfilingError) -> Questionnaire {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ProfilingError(
                file: path,
                [ProfilingIssue("(file)", "no such file or it cannot be read; the bundled questionnaire is profiles/questionnaire-v1.json")]
            )
        }
        let q: Questionnaire
        do {
            q = try JSONDecoder().decode(Questionnaire.self, from: data)
        } catch let e as DecodingError {
            let (path, message) = describe(e)
            throw ProfilingError(file: path, [ProfilingIssue(path, message)])
        } catch {
            throw ProfilingError(file: path, [ProfilingIssue("(root)", "not valid JSON")])
        }
        var issues: [ProfilingIssue] = []
        var seen = Set<String>()
        for (k, item) in q.items.enumerated() {
            if !seen.insert(item.id).inserted { issues.append(ProfilingIssue("items[\(k)].id", "item \(item.id) appears twice")) }
            if item.options.isEmpty { issues.append(ProfilingIssue("items[\(k)].options", "item \(item.id) has no options")) }
            var optionIds = Set<String>()
            for (o, option) in item.options.enumerated() where !optionIds.insert(option.id).inserted {
                issues.append(ProfilingIssue("items[\(k)].options[\(o)].id", "option \(option.id) appears twice in item \(item.id)"))
            }
        }
        if q.item(q.scoring.horizonItem) == nil {
            issues.append(ProfilingIssue("scoring.horizonItem", "names \(q.scoring.horizonItem), which is not an item"))
        }
        for (k, pair) in q.scoring.consistencyPairs.enumerated()
        where pair.items.count != 2 || pair.items.contains(where: { q.item($0) == nil }) {
            issues.append(ProfilingIssue("scoring.consistencyPairs[\(k)]", "must name two existing items"))
        }
        if q.scoring.levelBands != q.scoring.levelBands.sorted() || q.scoring.levelBands.count != 4 {
            issues.append(ProfilingIssue("scoring.levelBands", "must be four increasing bounds"))
        }
        if !issues.isEmpty { throw ProfilingError(file: path, issues) }
        return q
    }
}

/// The parameters of one risk level.
public struct LevelParameters: Sendable, Codable, Equatable {
    /// The level number, 1-5.
    public var level: Int
    /// The label, `C1` to `C5`.
    public var label: String
    /// The level's name in each language.
    public var name: LocalizedText
    /// Largest annualised portfolio volatility.
    public var volatilityCap: Double
    /// Risk aversion λ in `max μᵀw - (λ/2) wᵀΣw`.
    public var riskAversion: Double
    /// Largest total weight outside cash.
    public var maxRiskyShare: Double
    /// Smallest cash weight.
    public var minCashShare: Double
    /// Highest product rating that may be recommended.
    public var maxProductRating: ProductRiskRating
}

/// The five risk levels C1 (conservative) to C5 (aggressive).
public struct RiskLevels: Sendable, Codable, Equatable {
    /// The version of the level definitions.
    public var version: String
    /// What the levels are, in words.
    public var description: String
    /// The levels, 1 to 5.
    public var levels: [LevelParameters]

    /// The parameters of a level (1-5).
    public func parameters(_ level: Int) -> LevelParameters {
        levels.first { $0.level == level } ?? levels[Swift.max(0, Swift.min(levels.count - 1, level - 1))]
    }

    /// Reads and checks `levels.json`.
    public static func read(path: String) throws(ProfilingError) -> RiskLevels {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ProfilingError(file: path, [ProfilingIssue("(file)", "no such file; the bundled levels are profiles/levels.json")])
        }
        let l: RiskLevels
        do {
            l = try JSONDecoder().decode(RiskLevels.self, from: data)
        } catch let e as DecodingError {
            let (p, m) = describe(e)
            throw ProfilingError(file: path, [ProfilingIssue(p, m)])
        } catch {
            throw ProfilingError(file: path, [ProfilingIssue("(root)", "not valid JSON")])
        }
        var issues: [ProfilingIssue] = []
        if l.levels.map(\.level) != [1, 2, 3, 4, 5] { issues.append(ProfilingIssue("levels", "must list levels 1 to 5 in order")) }
        for (k, p) in l.levels.enumerated() {
            if !(p.volatilityCap >= 0) { issues.append(ProfilingIssue("levels[\(k)].volatilityCap", "must be at least 0")) }
            if !(p.minCashShare >= 0 && p.minCashShare <= 1) {
                issues.append(ProfilingIssue("levels[\(k)].minCashShare", "must be between 0 and 1"))
            }
            if !(p.maxRiskyShare >= 0 && p.maxRiskyShare <= 1) {
                issues.append(ProfilingIssue("levels[\(k)].maxRiskyShare", "must be between 0 and 1"))
            }
        }
        if !issues.isEmpty { throw ProfilingError(file: path, issues) }
        return l
    }
}

/// One problem in a profiling input: where (a JSON path such as `answers.q7`) and what.
public struct ProfilingIssue: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Where in the file (a field path such as `answers.q3`).
    public var path: String
    /// What is wrong and how to fix it.
    public var message: String

    /// An issue at a path.
    public init(_ path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    /// `path: message`.
    public var description: String { "\(path): \(message)" }
}

/// Every problem found in a profiling input, reported at once.
public struct ProfilingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file, when the input came from one.
    public var file: String?
    /// Every problem found.
    public var issues: [ProfilingIssue]

    /// An error listing every issue of a file.
    public init(file: String? = nil, _ issues: [ProfilingIssue]) {
        self.file = file
        self.issues = issues
    }

    /// The file and its issues, one per line: the first 20, then how many more there are
    /// (``issues`` holds them all).
    public var description: String {
        let head = (file.map { "\($0): " } ?? "") + "\(MessageList.grouped(issues.count)) problem\(issues.count == 1 ? "" : "s")"
        let limit = MessageList.defaultLimit
        var lines = issues.prefix(limit).map { "  - \($0)" }
        if issues.count > limit { lines.append("  - and \(MessageList.grouped(issues.count - limit)) more") }
        return head + "\n" + lines.joined(separator: "\n")
    }
}
