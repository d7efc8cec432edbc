import BallastWorkflows
import Foundation
import Testing

@Suite("An output never overwrites an input")
struct OutputSafetyTests {
    @Test("the same file by another name, a symbolic link or a hard link is refused; new paths and - pass")
    func clashes() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-safety-\(getpid())").path
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let book = dir + "/book.jsonl"
        #expect(FileManager.default.createFile(atPath: book, contents: Data("{}\n".utf8)))
        try FileManager.default.createSymbolicLink(atPath: dir + "/link.jsonl", withDestinationPath: book)
        try FileManager.default.linkItem(atPath: book, toPath: dir + "/hard.jsonl")
        let input = [NamedPath("--accounts", book)]
        for alias in [dir + "/./book.jsonl", dir + "/link.jsonl", dir + "/hard.jsonl"] {
            let e = #expect(throws: PathClashError.self) {
                try OutputSafety.refuseOverwriting(inputs: input, outputs: [NamedPath("--out", alias)])
            }
            #expect(e?.description.contains("--out") == true && e?.description.contains("--accounts") == true)
        }
        try OutputSafety.refuseOverwriting(inputs: input, outputs: [NamedPath("--out", dir + "/plans.jsonl"), NamedPath("--out", "-")])
        // Two outputs that are one existing file.
        #expect(throws: PathClashError.self) {
            try OutputSafety.refuseOverwriting(inputs: [], outputs: [NamedPath("--out", book), NamedPath("--errors", dir + "/hard.jsonl")])
        }
    }
}
