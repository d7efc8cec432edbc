import BallastTestSupport
import Foundation
import Testing

@testable import BallastProfiling

@Suite("Questionnaire answers and the interactive session")
struct QuestionnaireSessionTests {
    /// The answers of the bundled balanced customer, q1 to q13.
    let answers = ["b", "a", "c", "c", "b", "c", "b", "d", "c", "c", "c", "c", "b"]

    @Test("--answers: case and full width do not matter; every problem is listed once, in question order")
    func parsing() throws {
        let text = answers.enumerated().map { "q\($0.offset + 1)=\($0.element)" }.joined(separator: ",")
        #expect(try questionnaire.answers(parsing: text).count == 13)
        let shouted = try questionnaire.answers(parsing: "Q1=B，ｑ２＝ａ," + text.split(separator: ",").dropFirst(2).joined(separator: ","))
        #expect(shouted["q1"] == "b" && shouted["q2"] == "a")
        // q3 wrong, q1 twice, q5 missing, an unknown item, a malformed pair; q7 given twice with a bad option first.
        let bad = "q3=z,q1=b,q1=c,q2=a,q4=c,q6=c,q7=x,q7=b,q8=d,q9=c,q10=c,q11=c,q12=c,q13=b,q99=a,nonsense"
        let error = #expect(throws: ProfilingError.self) { try questionnaire.answers(parsing: bad) }
        let paths = error?.issues.map(\.path) ?? []
        #expect(paths == ["answers.q1", "answers.q3", "answers.q5", "answers.q7", "--answers", "--answers"], "\(error?.issues ?? [])")
        #expect(error?.issues[0].message.contains("answered twice") == true)
        #expect(error?.issues[1].message.contains("a, b, c, d") == true)
    }

    @Test("Interactive: numbered questions, back, retry without the question, amount, review, edit, save")
    func session() {
        var s = QuestionnaireSession(questionnaire: questionnaire)
        #expect(s.prompt.hasPrefix("Investor risk profile\n") && s.prompt.contains("Question 1 of 14"))
        #expect(s.respond("<") != .next, "nothing before the first question")
        #expect(s.respond("") == .retry("This question needs an answer: type a, b, c or d."))
        #expect(s.respond("z") != .next)
        #expect(s.respond("B") == .next && s.step == .item(1))
        #expect(s.respond("<") == .next && s.step == .item(0) && s.prompt.contains("current answer: b"))
        for a in answers { #expect(s.respond(a) == .next) }
        #expect(s.step == .item(13) && s.prompt.contains("Enter to skip"))
        #expect(s.respond("") == .next && s.step == .amount)
        #expect(s.respond("lots") != .next)
        #expect(s.respond("1,250,000") == .next && s.step == .review && s.investableAmount == 1_250_000)
        #expect(s.prompt.contains("1,250,000") && s.prompt.contains("(not answered)"))
        #expect(s.respond("15") != .next)
        #expect(s.respond("2") == .next && s.step == .item(1))
        #expect(s.respond("b") == .next && s.step == .review, "an edit returns to the review")
        #expect(!s.isFinished)
        #expect(s.respond("") == .next && s.isFinished)
        var expected = Dictionary(uniqueKeysWithValues: answers.enumerated().map { ("q\($0.offset + 1)", $0.element) })
        expected["q2"] = "b"
        #expect(s.answers == expected)
    }

    @Test("Interactive in Chinese: every prompt and message in Chinese, full-width letters accepted")
    func chinese() {
        var s = QuestionnaireSession(questionnaire: questionnaire, locale: "zh-Hans", investableAmount: 5000)
        #expect(s.prompt.contains("投资者风险评估") && s.prompt.contains("第 1 题，共 14 题"))
        guard case .retry(let m) = s.respond("ｚ") else {
            Issue.record("a wrong answer is refused")
            return
        }
        #expect(m.contains("不是选项") && !m.contains("type"))
        #expect(s.respond("Ｂ") == .next && s.answers["q1"] == "b")
        for a in answers.dropFirst() { _ = s.respond(a) }
        #expect(s.respond("") == .next && s.step == .review, "the amount was given, so it is not asked")
        #expect(s.prompt.contains("请核对您的答案") && s.prompt.contains("5,000"))
        for english in ["Question", "answer", "Enter", "type", "save"] { #expect(!s.prompt.contains(english), "\(english)") }
    }
}
