/// The engine's version, recorded with every result.
public enum BallastVersion {
    /// Semantic version of the Ballast engine.
    public static let current = "0.1.0"
}
