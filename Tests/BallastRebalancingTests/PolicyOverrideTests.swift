import BallastMarketData
import Foundation
import Testing

@testable import BallastRebalancing

@Suite("Policy overrides")
struct PolicyOverrideTests {
    @Test("each override replaces its field and only it; no override keeps the policy")
    func replacesOnlyItsField() throws {
        var base = RebalancePolicy()
        (base.absoluteBand, base.costBasisPoints, base.trigger, base.maximumTurnover) = (0.03, 7, .relativeBand, 0.4)
        #expect(try RebalancePolicyOverrides().applied(to: base) == base)
        #expect(RebalancePolicyOverrides().fields.isEmpty)
        let changes: [(String, (inout RebalancePolicyOverrides) -> Void, (RebalancePolicy) -> Bool)] = [
            ("trigger", { $0.trigger = .calendar }, { $0.trigger == .calendar }),
            ("absoluteBand", { $0.absoluteBand = 0.1 }, { $0.absoluteBand == 0.1 }),
            ("relativeBand", { $0.relativeBand = 0.3 }, { $0.relativeBand == 0.3 }),
            ("driftThreshold", { $0.driftThreshold = 0.02 }, { $0.driftThreshold == 0.02 }),
            ("period", { $0.period = .annual }, { $0.period == .annual }),
            ("destination", { $0.destination = .bandEdge }, { $0.destination == .bandEdge }),
            ("minimumTradeValue", { $0.minimumTradeValue = 50 }, { $0.minimumTradeValue == 50 }),
            ("costBasisPoints", { $0.costBasisPoints = 12 }, { $0.costBasisPoints == 12 }),
            ("fixedCost", { $0.fixedCost = 1.5 }, { $0.fixedCost == 1.5 }),
            ("cashBuffer", { $0.cashBuffer = 0.01 }, { $0.cashBuffer == 0.01 }),
            ("fractionalDecimals", { $0.fractionalDecimals = 4 }, { $0.fractionalDecimals == 4 }),
            ("maximumTurnover", { $0.maximumTurnover = 0.2 }, { $0.maximumTurnover == 0.2 }),
        ]
        for (field, change, check) in changes {
            var o = RebalancePolicyOverrides()
            change(&o)
            #expect(o.fields == [field])
            let p = try o.applied(to: base)
            #expect(check(p), "\(field) was not applied")
            // Every other field is the base policy's: putting the base's value back gives the base.
            var restored = p
            switch field {
            case "trigger": restored.trigger = base.trigger
            case "absoluteBand": restored.absoluteBand = base.absoluteBand
            case "relativeBand": restored.relativeBand = base.relativeBand
            case "driftThreshold": restored.driftThreshold = base.driftThreshold
            case "period": restored.period = base.period
            case "destination": restored.destination = base.destination
            case "minimumTradeValue": restored.minimumTradeValue = base.minimumTradeValue
            case "costBasisPoints": restored.costBasisPoints = base.costBasisPoints
            case "fixedCost": restored.fixedCost = base.fixedCost
            case "cashBuffer": restored.cashBuffer = base.cashBuffer
            case "fractionalDecimals": restored.fractionalDecimals = base.fractionalDecimals
            default: restored.maximumTurnover = base.maximumTurnover
            }
            #expect(restored == base, "\(field) changed another field")
        }
    }

    @Test("an override out of range is refused with its field; a bad policy value is refused with the policy's")
    func outOfRange() {
        var o = RebalancePolicyOverrides()
        o.costBasisPoints = -1
        #expect(throws: RebalancePolicy.Problem.self) { try o.applied(to: RebalancePolicy()) }
        do { _ = try o.applied(to: RebalancePolicy()) } catch {
            #expect(error.field == "costBasisPoints" && o.fields.contains(error.field))
        }
        var bad = RebalancePolicy()
        bad.absoluteBand = -0.5
        do {
            _ = try RebalancePolicyOverrides().applied(to: bad)
            Issue.record("a negative band was accepted")
        } catch { #expect(error.field == "absoluteBand") }
    }
}
