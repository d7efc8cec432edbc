import BallastLinearAlgebra
import BallastMarketData

/// A data problem found while estimating a risk model, with a fix.
public struct RiskModelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable identifiers of the kinds of problem.
    public enum Code: String, Sendable, Codable {
        /// Too few observations for the estimator.
        case insufficientData = "insufficient-data"
        /// Missing returns where the estimator needs complete rows.
        case incompleteData = "incomplete-data"
        /// Two assets share too few dates (pairwise estimates).
        case insufficientOverlap = "insufficient-overlap"
        /// An asset's returns do not vary.
        case zeroVariance = "zero-variance"
        /// A parameter is out of its domain (span, half-life, confidence, ...).
        case invalidParameter = "invalid-parameter"
        /// The matrix is not positive definite where one is required.
        case notPositiveDefinite = "not-positive-definite"
        /// A factorisation or iteration failed.
        case numericalFailure = "numerical-failure"
        /// Series that should share dates or assets do not.
        case misalignedData = "misaligned-data"
    }

    /// What kind of problem this is.
    public var code: Code
    /// The asset (or pair of assets, `A/B`) concerned, if any.
    public var asset: String?
    /// What is wrong.
    public var message: String
    /// How to fix it.
    public var fix: String

    /// Creates an error.
    public init(_ code: Code, asset: String? = nil, message: String, fix: String) {
        self.code = code
        self.asset = asset
        self.message = message
        self.fix = fix
    }

    /// `message (asset A); fix`.
    public var description: String {
        message + (asset.map { " (asset \($0))" } ?? "") + "; " + fix
    }

    static func from(_ e: LinearAlgebraError) -> RiskModelError {
        switch e {
        case .notPositiveDefinite:
            return RiskModelError(
                .notPositiveDefinite, message: e.description, fix: "repair the covariance (eigenvalue clipping or nearest correlation)")
        default:
            return RiskModelError(.numericalFailure, message: e.description, fix: "check the input data for extreme or constant values")
        }
    }
}
