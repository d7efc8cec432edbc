import Foundation

/// An answer as a customer types it, made comparable: compatibility forms folded (the
/// full-width letters and digits of a Chinese input method become ASCII), spaces trimmed,
/// lower case.
func normalisedAnswer(_ text: some StringProtocol) -> String {
    String(text).precomposedStringWithCompatibilityMapping.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
}

extension Questionnaire {
    /// Reads answers given as `item=option` pairs separated by commas (`q1=b,q2=a`), as
    /// `ballast questionnaire --answers` takes them.
    ///
    /// Items and options are matched without regard to case, and full-width letters, digits,
    /// `＝` and `，` count as their ASCII forms. Every problem is reported at once, in question
    /// order: a pair that is not `item=option`, an unknown item, an option the item does not
    /// offer (naming those it does), an item answered twice, and a required item left out.
    ///
    /// - Throws: ``ProfilingError`` listing every problem, each at `--answers` or `answers.ITEM`.
    public func answers(parsing text: String) throws(ProfilingError) -> [String: String] {
        var chosen: [String: String] = [:]
        var problems: [(order: Int, issue: ProfilingIssue)] = []
        let order = Dictionary(uniqueKeysWithValues: items.enumerated().map { ($1.id, $0) })
        let pairs = text.precomposedStringWithCompatibilityMapping.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        for pair in pairs where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1).map(normalisedAnswer)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                problems.append((items.count, ProfilingIssue("--answers", "`\(pair)` is not ITEM=OPTION (for example q1=b)")))
                continue
            }
            guard let item = items.first(where: { $0.id.lowercased() == parts[0] }) else {
                problems.append(
                    (
                        items.count,
                        ProfilingIssue("--answers", "`\(parts[0])` is not an item of the questionnaire (items q1 to q\(items.count))")
                    ))
                continue
            }
            if let earlier = chosen[item.id] {
                problems.append(
                    (order[item.id]!, ProfilingIssue("answers.\(item.id)", "answered twice (\(earlier) and \(parts[1])); give one answer")))
                continue
            }
            guard item.option(parts[1]) != nil else {
                let offered = item.options.map(\.id).joined(separator: ", ")
                problems.append(
                    (order[item.id]!, ProfilingIssue("answers.\(item.id)", "`\(parts[1])` is not one of its options (\(offered))")))
                continue
            }
            chosen[item.id] = parts[1]
        }
        for (i, item) in items.enumerated() where item.required && chosen[item.id] == nil {
            if !problems.contains(where: { $0.issue.path == "answers.\(item.id)" }) {
                problems.append((i, ProfilingIssue("answers.\(item.id)", "missing: this question must be answered")))
            }
        }
        guard problems.isEmpty else {
            throw ProfilingError(
                problems.enumerated().sorted { ($0.element.order, $0.offset) < ($1.element.order, $1.offset) }.map(\.element.issue))
        }
        return chosen
    }
}

/// The questionnaire taken interactively, one step at a time: a title, "Question n of N",
/// the options, going back, the investable amount, a review of every answer before saving,
/// and an edit of any answer from the review.
///
/// The session holds no terminal: a front end shows ``prompt``, passes each line the customer
/// types to ``respond(_:)`` and shows the message it returns, until ``isFinished``. Every
/// text is in the session's locale (`en` or `zh-Hans`).
public struct QuestionnaireSession: Sendable {
    /// Where the session is.
    public enum Step: Sendable, Equatable {
        /// Asking item N (0-based).
        case item(Int)
        /// Asking for the investable amount.
        case amount
        /// Showing every answer, before saving.
        case review
        /// Saved: ``answers`` and ``investableAmount`` are final.
        case finished
    }

    /// What a line typed by the customer did.
    public enum Response: Sendable, Equatable {
        /// Accepted (or a move back): show ``prompt`` for the next step.
        case next
        /// Not accepted: show this short message and read another line (the question is not shown again).
        case retry(String)
    }

    /// The questionnaire.
    public let questionnaire: Questionnaire
    /// `en` or `zh-Hans`.
    public let locale: String
    /// Whether the investable amount is asked for after the items.
    public let asksAmount: Bool
    /// The answers so far, by item.
    public private(set) var answers: [String: String] = [:]
    /// The investable amount, when given.
    public private(set) var investableAmount: Double?
    /// The current step.
    public private(set) var step: Step = .item(0)
    /// Whether the current question was reached from the review (it returns there).
    private var editing = false

    /// A session over `questionnaire` in `locale`; `investableAmount` is recorded as given,
    /// and asked for after the items when `nil` and `asksAmount`.
    public init(questionnaire: Questionnaire, locale: String = "en", investableAmount: Double? = nil, asksAmount: Bool = true) {
        self.questionnaire = questionnaire
        self.locale = locale == "zh-Hans" ? "zh-Hans" : "en"
        self.investableAmount = investableAmount
        self.asksAmount = asksAmount && investableAmount == nil
    }

    /// Whether the answers are saved.
    public var isFinished: Bool { step == .finished }

    private var zh: Bool { locale == "zh-Hans" }

    /// The text to show for the current step: the title before the first question, then the
    /// question with its number and options, the amount, or the review.
    public var prompt: String {
        let n = questionnaire.items.count
        switch step {
        case .item(let i):
            let item = questionnaire.items[i]
            var text = i == 0 && !editing ? questionnaire.title.text(locale) + "\n" : ""
            text += "\n" + (zh ? "第 \(i + 1) 题，共 \(n) 题" : "Question \(i + 1) of \(n)") + "\n" + item.text.text(locale) + "\n"
            for o in item.options { text += "  \(o.id)) \(o.text.text(locale))\n" }
            var hints = [zh ? "输入选项字母" : "type the letter of your answer"]
            if !item.required { hints.append(zh ? "按回车跳过" : "Enter to skip") }
            if i > 0 || editing { hints.append(zh ? "< 返回上一题" : "< to go back") }
            if let a = answers[item.id] { hints.append((zh ? "当前答案：" : "current answer: ") + a) }
            return text + "(" + hints.joined(separator: zh ? "；" : "; ") + ")\n> "
        case .amount:
            return "\n"
                + (zh
                    ? "计划投资的金额（可选，按回车跳过；< 返回上一题）\n> " : "Amount you plan to invest (optional: Enter to skip; < to go back)\n> ")
        case .review:
            var text = "\n" + (zh ? "请核对您的答案：" : "Your answers:") + "\n"
            for (i, item) in questionnaire.items.enumerated() {
                let answer =
                    answers[item.id].flatMap { item.option($0) }.map { "\($0.id)) \($0.text.text(locale))" }
                    ?? (zh ? "（未答）" : "(not answered)")
                text += String(format: "%3d. ", i + 1) + item.text.text(locale) + "\n       " + answer + "\n"
            }
            if let investableAmount {
                text += "     " + (zh ? "计划投资金额：" : "Amount to invest: ") + Self.amountText(investableAmount) + "\n"
            }
            return text
                + (zh
                    ? "按回车保存，输入题号修改该题答案，输入 < 返回\n> "
                    : "Press Enter to save, type a question number to change its answer, or < to go back\n> ")
        case .finished:
            return ""
        }
    }

    /// Takes one line typed by the customer.
    public mutating func respond(_ line: String) -> Response {
        let typed = normalisedAnswer(line)
        let back = typed == "<" || typed == "back" || typed == "返回"
        switch step {
        case .item(let i):
            let item = questionnaire.items[i]
            if back {
                if editing {
                    (step, editing) = (.review, false)
                } else if i > 0 {
                    step = .item(i - 1)
                } else {
                    return .retry(zh ? "这是第一题，无法返回。" : "This is the first question; there is nothing to go back to.")
                }
                return .next
            }
            if typed.isEmpty {
                if item.required {
                    if editing && answers[item.id] != nil {
                        advance(from: i)
                        return .next
                    }
                    return .retry(zh ? "此题必答，请输入 \(optionList(item))。" : "This question needs an answer: type \(optionList(item)).")
                }
                answers[item.id] = nil
                advance(from: i)
                return .next
            }
            guard item.option(typed) != nil else {
                return .retry(
                    zh
                        ? "“\(line.trimmingCharacters(in: .whitespaces))”不是选项，请输入 \(optionList(item))。"
                        : "`\(line.trimmingCharacters(in: .whitespaces))` is not an option: type \(optionList(item)).")
            }
            answers[item.id] = typed
            advance(from: i)
            return .next
        case .amount:
            if back {
                step = .item(questionnaire.items.count - 1)
                return .next
            }
            if typed.isEmpty {
                step = .review
                return .next
            }
            guard let a = Double(typed.replacingOccurrences(of: ",", with: "")), a > 0, a < 1e13 else {
                return .retry(
                    zh
                        ? "请输入一个正数金额，例如 100000。"
                        : "`\(line.trimmingCharacters(in: .whitespaces))` is not an amount: type a number such as 100000.")
            }
            investableAmount = (a * 100).rounded() / 100
            step = .review
            return .next
        case .review:
            if back {
                step = asksAmount ? .amount : .item(questionnaire.items.count - 1)
                return .next
            }
            if typed.isEmpty {
                if let missing = questionnaire.items.firstIndex(where: { $0.required && answers[$0.id] == nil }) {
                    return .retry(zh ? "第 \(missing + 1) 题尚未回答。" : "Question \(missing + 1) is not answered yet.")
                }
                step = .finished
                return .next
            }
            guard let n = Int(typed), (1...questionnaire.items.count).contains(n) else {
                return .retry(
                    zh
                        ? "请按回车保存，或输入 1 到 \(questionnaire.items.count) 的题号。"
                        : "Press Enter to save, or type a question number from 1 to \(questionnaire.items.count).")
            }
            (step, editing) = (.item(n - 1), true)
            return .next
        case .finished:
            return .next
        }
    }

    private mutating func advance(from i: Int) {
        if editing {
            (step, editing) = (.review, false)
        } else if i + 1 < questionnaire.items.count {
            step = .item(i + 1)
        } else {
            step = asksAmount ? .amount : .review
        }
    }

    private func optionList(_ item: QuestionnaireItem) -> String {
        let ids = item.options.map(\.id)
        return ids.dropLast().joined(separator: ", ") + (zh ? " 或 " : " or ") + (ids.last ?? "")
    }

    static func amountText(_ a: Double) -> String {
        let f = NumberFormatter()
        (f.numberStyle, f.minimumFractionDigits, f.maximumFractionDigits) = (.decimal, 0, 2)
        f.locale = Locale(identifier: "en_US_POSIX")
        f.usesGroupingSeparator = true
        f.groupingSeparator = ","
        return f.string(from: NSNumber(value: a)) ?? String(a)
    }
}
