import BallastTestSupport
import Foundation
import Testing

@Suite("Investment process on the command line")
struct InvestmentProcessCLITests {
    static let yields = "market-data/multi-asset/ust_par_yields_daily_1990_2017.csv"

    @Test("data bond-returns writes the reference returns as CSV, and null for missing yields in JSON")
    func bondReturns() throws {
        let r = try ballast(["data", "bond-returns", "--yields", Self.yields, "--maturities", "2,5,10,30"])
        #expect(r.status == 0, "\(r.stderr)")
        let reference = try String(contentsOfFile: TestSupport.path("Tests/Fixtures/bond_returns_reference.csv"), encoding: .utf8)
        let ours = r.stdout.split(separator: "\n")
        let theirs = reference.split(separator: "\n")
        #expect(ours.count == theirs.count && ours.first == theirs.first)
        for (a, b) in zip(ours.dropFirst(), theirs.dropFirst()) {
            let x = a.split(separator: ",", omittingEmptySubsequences: false)
            let y = b.split(separator: ",", omittingEmptySubsequences: false)
            #expect(x[0] == y[0])
            for k in 1..<x.count {
                if y[k].isEmpty { #expect(x[k].isEmpty, "\(x[0])") } else { #expect(abs(Double(x[k])! - Double(y[k])!) < 1e-13, "\(x[0])") }
            }
        }
        let j = try ballast(["data", "bond-returns", "--yields", Self.yields, "--maturities", "30", "--format", "json"]).json()
        let returns = try #require((j["returns"] as? [String: Any])?["UST30Y"] as? [Any])
        #expect(returns.contains { $0 is NSNull })
        let bad = try ballast(["data", "bond-returns", "--yields", Self.yields, "--maturities", "4"])
        #expect(bad.status == 1 && bad.stderr.contains("no 4-year column"))
        let percent = try ballast(["data", "bond-returns", "--yields", Self.yields, "--maturities", "2", "--values", "percent-yields"])
        #expect(percent.status == 1, "fractions read as percent are refused: \(percent.stderr)")
    }

    @Test("assumptions build, approve and diff: the approval keeps the digest, an edited file is refused")
    func assumptions() throws {
        let a = try temporaryFile("cma-a.json", "")
        let b = try temporaryFile("cma-b.json", "")
        #expect(try ballast(["assumptions", "build", "-o", a, "-q", "--format", "json"]).status == 0)
        #expect(try ballast(["assumptions", "build", "--as-of", "2005-12-31", "-o", b, "-q", "--format", "json"]).status == 0)
        let approved = try ballast(["assumptions", "approve", a, "--by", "Committee"])
        #expect(approved.status == 0 && approved.stdout.contains("approved"))
        let text = try String(contentsOfFile: a, encoding: .utf8)
        #expect(text.contains("\"status\" : \"approved\""))
        let db = try temporaryFile("cma-audit.sqlite", "")
        try FileManager.default.removeItem(atPath: db)
        #expect(try ballast(["assumptions", "build", "-o", b, "-q", "--format", "json", "--audit-db", db]).status == 0)
        #expect(try ballast(["assumptions", "approve", b, "--by", "Committee", "--audit-db", db]).status == 0)
        let trail = try ballast(["audit", "list", "--audit-db", db])
        #expect(trail.stdout.contains("assumptions build") && trail.stdout.contains("assumptions approve"), "\(trail.stdout)")
        #expect(try ballast(["audit", "verify", "--audit-db", db]).status == 0)
        #expect(try ballast(["assumptions", "build", "--as-of", "2005-12-31", "-o", b, "-q", "--format", "json"]).status == 0)
        let diff = try ballast(["assumptions", "diff", b, a])
        #expect(diff.status == 0 && diff.stdout.contains("USEQ") && diff.stdout.contains("approval: draft -> approved"))
        try text.replacingOccurrences(of: "\"expectedReturn\" : 0.0", with: "\"expectedReturn\" : 0.1").write(
            toFile: a, atomically: true, encoding: .utf8)
        let edited = try ballast(["models", "build", "--assumptions", a])
        #expect(edited.status == 1 && edited.stderr.contains("does not match their digest"), "\(edited.stderr)")
    }

    @Test("models build --format json gives per level the weights, class weights, return, volatility, cap and the assumptions' version")
    func menu() throws {
        let r = try ballast(["models", "build", "--no-resampling", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try r.json()
        #expect((j["assumptionsVersion"] as? String)?.hasSuffix("@2010-03-31") == true)
        let levels = try #require(j["portfolios"] as? [[String: Any]])
        #expect(levels.count == 5)
        for l in levels {
            for key in ["level", "label", "weights", "assetClassWeights", "expectedReturn", "volatility", "volatilityCap"] {
                #expect(l[key] != nil, "\(key)")
            }
        }
    }

    @Test("models validate: the table and an HTML page with a chart per level, and the README's targets")
    func validate() throws {
        let html = try temporaryFile("validation.html", "")
        let r = try ballast(["models", "validate", "--no-resampling", "--html", html, "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let levels = try #require(try r.json()["levels"] as? [[String: Any]])
        #expect(levels.count == 5)
        for l in levels { #expect(try #require(l["volatilityToCap"] as? Double) <= 1.25) }
        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(page.components(separatedBy: "<svg").count == 7, "the value chart and one volatility chart per level")
        #expect(try ballast(["models", "validate", "--review-months", "0"]).status == 2)
    }
}
