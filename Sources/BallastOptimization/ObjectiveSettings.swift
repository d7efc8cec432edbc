import BallastMarketData

/// An optimisation objective as a person names it (the `optimize` flags, a request file): the
/// name and its parameters as flat fields, checked in one place and turned into a
/// ``PortfolioObjective``.
public struct ObjectiveSettings: Sendable, Codable, Equatable {
    /// The objectives by name.
    public enum Name: String, Sendable, Codable, CaseIterable {
        /// ``PortfolioObjective/minimumVolatility``.
        case minVolatility = "min-volatility"
        /// ``PortfolioObjective/maximumSharpe(riskFreeRate:)``.
        case maxSharpe = "max-sharpe"
        /// ``PortfolioObjective/maximumUtility(riskAversion:)``.
        case maxUtility = "max-utility"
        /// ``PortfolioObjective/efficientReturn(targetReturn:)``.
        case efficientReturn = "efficient-return"
        /// ``PortfolioObjective/efficientRisk(targetVolatility:)``.
        case efficientRisk = "efficient-risk"
    }

    /// The objective (default maximum Sharpe).
    public var name: Name = .maxSharpe
    /// Risk aversion λ of maximum utility (default 1).
    public var riskAversion = 1.0
    /// The annual target return of efficient-return (fraction).
    public var targetReturn: Double?
    /// The annual target volatility of efficient-risk (fraction).
    public var targetVolatility: Double?

    /// The defaults documented on each field.
    public init() {}

    /// Checks that the objective has what it needs: a target return for efficient-return, a
    /// target volatility for efficient-risk, a positive finite risk aversion.
    ///
    /// - Throws: `SettingProblem` naming the field.
    public func validate() throws(SettingProblem) {
        if name == .efficientReturn && targetReturn == nil {
            throw SettingProblem(field: "targetReturn", message: "is needed by efficient-return")
        }
        if name == .efficientRisk && targetVolatility == nil {
            throw SettingProblem(field: "targetVolatility", message: "is needed by efficient-risk")
        }
        if !(riskAversion > 0 && riskAversion.isFinite) {
            throw SettingProblem(field: "riskAversion", message: "must be positive, got \(riskAversion)")
        }
        if let t = targetReturn, !t.isFinite { throw SettingProblem(field: "targetReturn", message: "must be a number, got \(t)") }
        if let t = targetVolatility, !(t > 0 && t.isFinite) {
            throw SettingProblem(field: "targetVolatility", message: "must be positive, got \(t)")
        }
    }

    /// The objective, with `riskFreeRate` for the Sharpe ratio.
    ///
    /// - Throws: what ``validate()`` throws.
    public func objective(riskFreeRate: Double) throws(SettingProblem) -> PortfolioObjective {
        try validate()
        return switch name {
        case .minVolatility: .minimumVolatility
        case .maxSharpe: .maximumSharpe(riskFreeRate: riskFreeRate)
        case .maxUtility: .maximumUtility(riskAversion: riskAversion)
        case .efficientReturn: .efficientReturn(targetReturn: targetReturn!)
        case .efficientRisk: .efficientRisk(targetVolatility: targetVolatility!)
        }
    }
}
