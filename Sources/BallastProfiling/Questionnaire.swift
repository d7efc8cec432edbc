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
    public var id: String
    public var text: LocalizedText
    /// Ordinal score: higher means more risk tolerance (or capacity).
    public var score: Int
}

/// One questionnaire item.
public struct QuestionnaireItem: Sendable, Codable, Equatable {
    public var id: String
    public var dimension: ProfileDimension
    public var text: LocalizedText
    public var required: Bool
    public var options: [QuestionnaireOption]

    /// The option with an id.
    public func option(_ id: String) -> QuestionnaireOption? { options.first { $0.id == id } }
    /// The highest score an answer can earn.
    public var maximumScore: Int { options.map(\.score).max() ?? 0 }
}

/// Two items whose answers should agree.
public struct ConsistencyPair: Sendable, Codable, Equatable {
    public var items: [String]
    public var reason: String
}

/// How answers become scores and a level.
public struct ScoringRules: Sendable, Codable, Equatable {
    public var description: String
    /// Upper bounds (exclusive) of the score bands of levels 1-4; higher scores are level 5.
    public var levelBands: [Double]
    /// The horizon item and the level cap each of its options imposes.
    public var horizonItem: String
    public var horizonCaps: [String: Int]
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
    public var id: String
    public var version: String
    public var title: LocalizedText
    public var scoring: ScoringRules
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
    public var level: Int
    public var label: String
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
    public var version: String
    public var description: String
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
    public var path: String
    public var message: String

    public init(_ path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

/// Every problem found in a profiling input, reported at once.
public struct ProfilingError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String?
    public var issues: [ProfilingIssue]

    public init(file: String? = nil, _ issues: [ProfilingIssue]) {
        self.file = file
        self.issues = issues
    }

    public var description: String {
        let head = (file.map { "\($0): " } ?? "") + "\(issues.count) problem\(issues.count == 1 ? "" : "s")"
        return head + "\n" + issues.map { "  - \($0)" }.joined(separator: "\n")
    }
}
