import BallastMarketData
import Foundation
import Testing

@testable import BallastOptimization

@Suite("Objective settings")
struct ObjectiveSettingsTests {
    @Test("each name gives its objective with its parameter")
    func objectives() throws {
        var s = ObjectiveSettings()
        (s.riskAversion, s.targetReturn, s.targetVolatility) = (3, 0.07, 0.12)
        let expected: [ObjectiveSettings.Name: PortfolioObjective] = [
            .minVolatility: .minimumVolatility, .maxSharpe: .maximumSharpe(riskFreeRate: 0.015),
            .maxUtility: .maximumUtility(riskAversion: 3), .efficientReturn: .efficientReturn(targetReturn: 0.07),
            .efficientRisk: .efficientRisk(targetVolatility: 0.12),
        ]
        #expect(expected.count == ObjectiveSettings.Name.allCases.count)
        for name in ObjectiveSettings.Name.allCases {
            s.name = name
            #expect(try s.objective(riskFreeRate: 0.015) == expected[name])
        }
    }

    @Test("a missing target or a risk aversion out of range names the field")
    func problems() {
        func field(_ change: (inout ObjectiveSettings) -> Void) -> String? {
            var s = ObjectiveSettings()
            change(&s)
            do throws(SettingProblem) {
                _ = try s.objective(riskFreeRate: 0.02)
                return nil
            } catch { return error.field }
        }
        #expect(field { _ in } == nil)
        #expect(field { $0.name = .efficientReturn } == "targetReturn")
        #expect(field { $0.name = .efficientRisk } == "targetVolatility")
        #expect(
            field {
                $0.name = .efficientRisk
                $0.targetVolatility = -0.1
            } == "targetVolatility")
        #expect(field { $0.riskAversion = 0 } == "riskAversion")
        #expect(field { $0.riskAversion = .nan } == "riskAversion")
        #expect(
            field {
                $0.name = .minVolatility
                $0.targetReturn = 0.05
            } == nil)
    }
}
