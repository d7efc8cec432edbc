import BallastMarketData
import Foundation

/// Target weights read from a file (`{symbol: weight}` for one portfolio, or
/// `{model: {symbol: weight}}` for a model book), checked by one rule wherever they are used:
/// `rebalance --models`, `backtest --strategy fixed:FILE` and a service embedding Ballast.
///
/// The rule: every weight is a finite number from 0 to 1; every symbol is one the prices
/// know, or the cash symbol; the weights sum to 1 within ``sumTolerance`` (cash is held only
/// when it is named: weights that sum to 0.8 are refused, not topped up with cash). Zero
/// weights are dropped.
public enum TargetWeights {
    /// How far the sum of the weights may be from 1 (rounding in a file written with a few
    /// decimals per weight).
    public static let sumTolerance = 1e-6

    /// One portfolio's weights, checked.
    ///
    /// - Parameters:
    ///   - weights: symbol to weight.
    ///   - source: the file (and model), for messages.
    ///   - known: the symbols that have prices (`nil`: not checked).
    ///   - cashSymbol: the symbol that stands for cash.
    /// - Throws: ``TargetWeightsError`` listing every problem at once.
    public static func checked(
        _ weights: [String: Double], source: String, known: Set<String>?, cashSymbol: String = RebalancePlanner.defaultCashSymbol
    ) throws(TargetWeightsError) -> [String: Double] {
        var problems: [String] = []
        for (symbol, w) in weights.sorted(by: { $0.key < $1.key }) {
            if !w.isFinite {
                problems.append("\(symbol): the weight is not a number")
            } else if w < 0 {
                problems.append(
                    "\(symbol): the weight \(w) is negative; weights are fractions from 0 to 1 (short positions are not supported)")
            } else if w > 1 {
                problems.append("\(symbol): the weight \(w) is above 1; weights are fractions (0.25 for 25%)")
            }
            if let known, symbol != cashSymbol, w != 0, !known.contains(symbol) {
                problems.append("\(symbol): no prices for this symbol; use one of the price files' symbols or \(cashSymbol)")
            }
        }
        let sum = weights.values.filter(\.isFinite).reduce(0, +)
        if problems.isEmpty && abs(sum - 1) > sumTolerance {
            problems.append(
                "the weights sum to \(String(format: "%.10g", sum)), not 1; "
                    + (sum < 1
                        ? "name the rest explicitly (\(cashSymbol): \(String(format: "%.10g", 1 - sum)) to hold it in cash)"
                        : "lower some weights"))
        }
        if !problems.isEmpty { throw TargetWeightsError(source: source, problems: problems) }
        return weights.filter { $0.value != 0 }
    }

    /// Reads `{symbol: weight}` from a file and checks it.
    public static func read(portfolio path: String, known: Set<String>?, cashSymbol: String = RebalancePlanner.defaultCashSymbol)
        throws(TargetWeightsError)
        -> [String: Double]
    {
        let object = try readObject(path)
        var weights: [String: Double] = [:]
        var problems: [String] = []
        for (k, v) in object {
            if let n = number(v) { weights[k] = n } else { problems.append("\(k): expected a weight (a number from 0 to 1)") }
        }
        if !problems.isEmpty { throw TargetWeightsError(source: path, problems: problems.sorted()) }
        return try checked(weights, source: path, known: known, cashSymbol: cashSymbol)
    }

    /// Reads `{model: {symbol: weight}}` from a file and checks every model; the problems of
    /// all models are reported at once, each under its model's name.
    public static func read(models path: String, known: Set<String>?, cashSymbol: String = RebalancePlanner.defaultCashSymbol)
        throws(TargetWeightsError)
        -> [String: [String: Double]]
    {
        let object = try readObject(path)
        var out: [String: [String: Double]] = [:]
        var problems: [String] = []
        for (model, value) in object.sorted(by: { $0.key < $1.key }) {
            guard case .object(let weights) = value else {
                problems.append("model \(model): expected an object {symbol: weight}")
                continue
            }
            var numbers: [String: Double] = [:]
            for (k, v) in weights {
                if let n = number(v) {
                    numbers[k] = n
                } else {
                    problems.append("model \(model): \(k): expected a weight (a number from 0 to 1)")
                }
            }
            do { out[model] = try checked(numbers, source: path, known: known, cashSymbol: cashSymbol) } catch {
                problems += error.problems.map { "model \(model): \($0)" }
            }
        }
        if !problems.isEmpty { throw TargetWeightsError(source: path, problems: problems) }
        return out
    }

    /// A JSON value as far as a weights file needs it.
    enum Value: Decodable {
        case number(Double), object([String: Value]), other

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if (try? c.decode(Bool.self)) != nil {
                self = .other
            } else if let n = try? c.decode(Double.self) {
                self = .number(n)
            } else if let o = try? c.decode([String: Value].self) {
                self = .object(o)
            } else {
                self = .other
            }
        }
    }

    static func readObject(_ path: String) throws(TargetWeightsError) -> [String: Value] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TargetWeightsError(source: path, problems: ["no such file or not readable"])
        }
        guard let json = try? JSONDecoder().decode(Value.self, from: data) else {
            throw TargetWeightsError(source: path, problems: ["not valid JSON; expected an object {symbol: weight}"])
        }
        guard case .object(let object) = json else {
            throw TargetWeightsError(source: path, problems: ["expected a JSON object {symbol: weight}, not a list or a value"])
        }
        return object
    }

    static func number(_ v: Value) -> Double? {
        if case .number(let n) = v { return n }
        return nil
    }
}

/// Target weights that cannot be used, with every problem.
public struct TargetWeightsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file.
    public var source: String
    /// Each problem, with the model and symbol it concerns.
    public var problems: [String]

    /// `file: problem; problem`, the first 20 problems and then how many more there are.
    public var description: String { "\(source): " + MessageList.joined(problems, separator: "; ") }
}
