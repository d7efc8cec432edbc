import Foundation

/// The long help of `command` (such as `"models build"`): its section of `Help.md`, which is
/// compiled into the binary, so that `--help` needs no file at run time.
///
/// The section is the text after the options in `ballast COMMAND --help`: paragraphs on one
/// line each (the parser wraps them to the terminal), then `EXAMPLES` and `EXIT CODES`.
func help(_ command: String) -> String { HelpText.sections[command] ?? "" }

/// The sections of `Help.md`, by command.
enum HelpText {
    /// Each `# command` heading's text, without the heading and the blank lines around it.
    static let sections: [String: String] = parse(String(decoding: PackageResources.Help_md, as: UTF8.self))

    /// Splits the Markdown file at its `# ` headings; an HTML comment before the first is skipped.
    static func parse(_ text: String) -> [String: String] {
        var sections: [String: String] = [:]
        var name: String?
        var lines: [Substring] = []
        func close() {
            if let name { sections[name] = lines.joined(separator: "\n").trimmingCharacters(in: .newlines) }
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# ") {
                close()
                (name, lines) = (String(line.dropFirst(2)), [])
            } else if name != nil {
                lines.append(line)
            }
        }
        close()
        return sections
    }
}
