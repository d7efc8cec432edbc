import ArgumentParser
import Ballast

/// ``OutputSafety/refuseOverwriting(inputs:outputs:)`` as a usage error (exit 2).
func refuseOverwriting(inputs: [NamedPath], outputs: [NamedPath]) throws {
    do throws(PathClashError) { try OutputSafety.refuseOverwriting(inputs: inputs, outputs: outputs) } catch {
        throw ValidationError(error.description)
    }
}
