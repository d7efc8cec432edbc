import BallastMarketData
import Foundation

/// The worst fall of a wealth path: from a peak to the lowest point after it, and back.
public struct Drawdown: Sendable, Codable, Equatable {
    /// The fall as a negative fraction (empyrical's sign), 0 when the path never falls.
    public var depth: Double
    /// The last date at the peak before the fall (the start when the fall begins at once).
    public var peak: MarketDate
    /// The lowest point.
    public var trough: MarketDate
    /// The first date the path is back at the peak, `nil` if it never is.
    public var recovery: MarketDate?
    /// Trading days from the peak to the recovery (or to the last date when not recovered).
    public var length: Int
}

/// The compounded return of a calendar year or month.
public struct PeriodReturn: Sendable, Codable, Equatable {
    /// `2021` or `2021-03`.
    public var period: String
    /// The compounded return (a fraction).
    public var value: Double
}

/// Performance and risk statistics of a return series, with empyrical's conventions (see
/// ``MetricConventions``).
///
/// A figure that is undefined for the series is `nil` (`null` in JSON, "n/a" in tables), and
/// ``undefined`` says why:
/// - annualised figures (CAGR, volatility, Sharpe, Sortino, downside risk, Calmar, tracking
///   error, information ratio, alpha) need at least a year of history
///   (``minimumAnnualisationDays`` calendar days from the starting value to the last date):
///   returns over shorter periods are not annualised (the GIPS rule);
/// - a ratio whose denominator is zero or numerically zero (below
///   `DefinedRatio.dispersionThreshold(scale:)` of the typical absolute return) is undefined:
///   a portfolio of cash has no Sharpe ratio.
public struct PerformanceMetrics: Sendable, Codable, Equatable {
    /// Calendar days of history below which nothing is annualised
    /// (`MarketConventions.minimumAnnualisationDays`).
    public static let minimumAnnualisationDays = MarketConventions.minimumAnnualisationDays

    /// Number of returns.
    public var periods: Int
    /// `prod(1 + r) - 1`.
    public var totalReturn: Double
    /// Compound annual growth rate (`nil` under a year of history).
    @ExplicitNull public var cagr: Double? = nil
    /// Annualised standard deviation (`nil` below two returns or a year of history).
    @ExplicitNull public var annualVolatility: Double? = nil
    /// Annualised Sharpe ratio (`nil` without dispersion or under a year).
    @ExplicitNull public var sharpeRatio: Double? = nil
    /// Annualised Sortino ratio against a required return of 0 (`nil` without downside).
    @ExplicitNull public var sortinoRatio: Double? = nil
    /// Annualised downside deviation below 0 (`nil` under a year).
    @ExplicitNull public var downsideRisk: Double? = nil
    /// The largest fall of the wealth path, negative (empyrical's sign).
    public var maxDrawdown: Double
    /// Dates and length of that fall (`nil` when the path never falls).
    @ExplicitNull public var maxDrawdownPeriod: Drawdown? = nil
    /// CAGR / |max drawdown| (`nil` without a drawdown or under a year).
    @ExplicitNull public var calmarRatio: Double? = nil
    /// Historical one-day value at risk at 95% (a return, usually negative).
    public var valueAtRisk95: Double
    /// Mean of the returns at or below the 5% cutoff (a return, usually negative).
    public var conditionalValueAtRisk95: Double
    /// Annualised standard deviation of the active return (with a benchmark).
    @ExplicitNull public var trackingError: Double? = nil
    /// Annualised mean active return over its standard deviation (with a benchmark).
    @ExplicitNull public var informationRatio: Double? = nil
    /// Sensitivity to the benchmark's returns.
    @ExplicitNull public var beta: Double? = nil
    /// Annualised alpha against the benchmark, after the risk-free rate.
    @ExplicitNull public var alpha: Double? = nil
    /// Compounded return of each calendar year.
    public var yearlyReturns: [PeriodReturn]
    /// Compounded return of each calendar month.
    public var monthlyReturns: [PeriodReturn]
    /// Why each `nil` figure is undefined, by field name (`sharpeRatio`: "the returns have no
    /// dispersion ...").
    public var undefined: [String: String]

    /// Computes the statistics of a return series.
    ///
    /// - Parameters:
    ///   - r: the returns, one per period.
    ///   - dates: the end of each period (for drawdown dates and calendar returns).
    ///   - start: the date of the starting value, before the first return.
    ///   - benchmark: the benchmark's returns on the same dates, for tracking error,
    ///     information ratio, beta and alpha.
    ///   - riskFreeRate: annual, applied per period as `riskFreeRate / periodsPerYear`.
    ///   - periodsPerYear: 252 for daily returns.
    ///   - resolution: the largest return that rounding of the underlying values can produce
    ///     (for money kept to the cent, half a cent over the smallest value; default 0): a
    ///     dispersion at or below it is no dispersion, and the ratios over it are undefined.
    public init(
        returns r: [Double], dates: [MarketDate], start: MarketDate, benchmark: [Double]? = nil, riskFreeRate: Double = 0,
        periodsPerYear: Double = 252, resolution: Double = 0
    ) {
        precondition(r.count == dates.count && (benchmark == nil || benchmark!.count == r.count), "one return per date")
        let n = r.count
        periods = n
        undefined = [:]
        maxDrawdown = 0
        valueAtRisk95 = 0
        conditionalValueAtRisk95 = 0
        yearlyReturns = []
        monthlyReturns = []
        let rf = riskFreeRate / periodsPerYear
        var wealth = 1.0
        for x in r { wealth *= 1 + x }
        totalReturn = wealth - 1
        let days = dates.last.map { $0.dayNumber - start.dayNumber } ?? 0
        let annualised = days >= Self.minimumAnnualisationDays
        let shortReason =
            "the history covers \(days) calendar day\(days == 1 ? "" : "s"); figures are annualised from \(Self.minimumAnnualisationDays) days (a year) on"
        // Rounding in a standard deviation is of the order of ε times the returns' size.
        var scale = abs(rf)
        for x in r { scale += abs(x) / Double(max(n, 1)) }
        let zeroDispersion = Swift.max(DefinedRatio.dispersionThreshold(scale: scale), resolution)
        let vol = Self.standardDeviation(r)
        let excess = r.map { $0 - rf }
        let excessDeviation = Self.standardDeviation(excess)
        if annualised && n > 0 {
            cagr = pow(wealth, periodsPerYear / Double(n)) - 1
            annualVolatility = vol.map { $0 * periodsPerYear.squareRoot() }
            if let s = excessDeviation {
                sharpeRatio = DefinedRatio.value(Self.mean(excess), over: s, zeroBelow: zeroDispersion).map {
                    $0 * periodsPerYear.squareRoot()
                }
            }
            if sharpeRatio == nil {
                undefined["sharpeRatio"] =
                    n < 2
                    ? "fewer than two returns"
                    : "the returns in excess of the risk-free rate have no dispersion (standard deviation \(String(format: "%.1e", excessDeviation ?? 0))): a riskless portfolio has no Sharpe ratio"
            }
        } else {
            for key in [
                "cagr", "annualVolatility", "sharpeRatio", "sortinoRatio", "downsideRisk", "calmarRatio", "trackingError",
                "informationRatio", "alpha",
            ] {
                undefined[key] = shortReason
            }
        }
        // Downside risk against a required return of 0, over all periods.
        var downside = 0.0
        for x in r where x < 0 { downside += x * x }
        let downsideDeviation = n > 0 ? (downside / Double(n)).squareRoot() : 0
        if annualised {
            downsideRisk = downsideDeviation * periodsPerYear.squareRoot()
            if n >= 2, let ratio = DefinedRatio.value(Self.mean(r), over: downsideDeviation, zeroBelow: zeroDispersion) {
                sortinoRatio = ratio * periodsPerYear.squareRoot()
            } else {
                undefined["sortinoRatio"] = "no return falls below 0, so the downside risk is zero"
            }
        }
        // Drawdown on the wealth path including the starting value.
        var w = 1.0
        var peak = 1.0
        var peakIndex = -1
        var worst = 0.0
        var worstPeak = -1
        var worstTrough = -1
        for k in 0..<n {
            w *= 1 + r[k]
            if w > peak {
                peak = w
                peakIndex = k
            }
            let dd = (w - peak) / peak
            if dd < worst {
                worst = dd
                worstPeak = peakIndex
                worstTrough = k
            }
        }
        maxDrawdown = worst
        if worstTrough >= 0 {
            // Wealth at the peak, then the first date back at it.
            var level = 1.0
            for k in 0...max(worstPeak, 0) where worstPeak >= 0 { level *= 1 + r[k] }
            var x = level
            for k in (worstPeak + 1)...worstTrough { x *= 1 + r[k] }
            var recovered: Int?
            if worstTrough + 1 < n {
                for k in (worstTrough + 1)..<n {
                    x *= 1 + r[k]
                    if x >= level {
                        recovered = k
                        break
                    }
                }
            }
            maxDrawdownPeriod = Drawdown(
                depth: worst, peak: worstPeak >= 0 ? dates[worstPeak] : start, trough: dates[worstTrough],
                recovery: recovered.map { dates[$0] },
                length: (recovered ?? (n - 1)) - worstPeak)
            if let cagr { calmarRatio = DefinedRatio.value(cagr, over: abs(worst), zeroBelow: zeroDispersion) }
        }
        if annualised && calmarRatio == nil { undefined["calmarRatio"] = "the wealth path never falls, so there is no drawdown" }
        // Historical VaR: 5th percentile with linear interpolation (numpy's default); CVaR:
        // the mean of the returns up to empyrical's cutoff index.
        let sorted = r.sorted()
        if n > 0 {
            let h = Double(n - 1) * 0.05
            let lo = Int(h.rounded(.down))
            let hi = min(lo + 1, n - 1)
            let t = h - Double(lo)
            let a = sorted[lo]
            let b = sorted[hi]
            valueAtRisk95 = t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t
            let cutoff = Int(Double(n - 1) * 0.05)
            conditionalValueAtRisk95 = Self.mean(Array(sorted[0...cutoff]))
        }
        if let b = benchmark, n >= 2 {
            let active = zip(r, b).map { $0 - $1 }
            if annualised, let s = Self.standardDeviation(active) {
                trackingError = s * periodsPerYear.squareRoot()
                informationRatio = DefinedRatio.value(Self.mean(active), over: s, zeroBelow: zeroDispersion).map {
                    $0 * periodsPerYear.squareRoot()
                }
                if informationRatio == nil { undefined["informationRatio"] = "the portfolio tracks the benchmark exactly" }
            }
            // empyrical: beta from raw returns (population moments), alpha from the
            // risk-free-adjusted residuals, compounded to a year.
            let mb = Self.mean(b)
            var cov = 0.0
            var varB = 0.0
            for k in 0..<n {
                let d = b[k] - mb
                cov += d * r[k]
                varB += d * d
            }
            cov /= Double(n)
            varB /= Double(n)
            if let beta = DefinedRatio.value(cov, over: varB, zeroBelow: zeroDispersion * zeroDispersion) {
                self.beta = beta
                var residual = 0.0
                for k in 0..<n { residual += (r[k] - rf) - beta * (b[k] - rf) }
                if annualised { alpha = pow(1 + residual / Double(n), periodsPerYear) - 1 }
            } else {
                undefined["beta"] = "the benchmark's returns have no dispersion"
                undefined["alpha"] = undefined["alpha"] ?? "the benchmark's returns have no dispersion"
            }
        }
        yearlyReturns = Self.compound(r, dates: dates) { String($0.components.year) }
        monthlyReturns = Self.compound(r, dates: dates) {
            let (y, m, _) = $0.components
            return "\(y)-" + (m < 10 ? "0" : "") + "\(m)"
        }
    }

    static func mean(_ x: [Double]) -> Double { x.isEmpty ? 0 : x.reduce(0, +) / Double(x.count) }

    /// Sample standard deviation (ddof 1); `nil` below two values.
    static func standardDeviation(_ x: [Double]) -> Double? {
        guard x.count >= 2 else { return nil }
        let m = mean(x)
        var s = 0.0
        for v in x { s += (v - m) * (v - m) }
        return (s / Double(x.count - 1)).squareRoot()
    }

    static func compound(_ r: [Double], dates: [MarketDate], key: (MarketDate) -> String) -> [PeriodReturn] {
        var out: [PeriodReturn] = []
        var current: String?
        var wealth = 1.0
        for (x, d) in zip(r, dates) {
            let k = key(d)
            if k != current {
                if let current { out.append(PeriodReturn(period: current, value: wealth - 1)) }
                current = k
                wealth = 1
            }
            wealth *= 1 + x
        }
        if let current { out.append(PeriodReturn(period: current, value: wealth - 1)) }
        return out
    }
}

/// How the statistics are defined, written next to them in every output.
public struct MetricConventions: Sendable, Codable, Equatable {
    /// Whose conventions these are.
    public var source = "empyrical conventions"
    /// Periods in a year, for annualising (from the data's frequency: 252, 52 or 12).
    public var periodsPerYear: Double
    /// The annual risk-free rate and how it is applied.
    public var riskFreeRate: String
    /// The annual risk-free rate as a number (a fraction).
    public var annualRiskFreeRate: Double
    /// What the returns are.
    public var returns: String
    /// How CAGR is computed.
    public var cagr: String
    /// How annual volatility is computed.
    public var annualVolatility: String
    /// How the Sharpe ratio is computed.
    public var sharpeRatio: String
    /// How the Sortino ratio and downside risk are computed.
    public var sortinoRatio: String
    /// How the maximum drawdown is measured.
    public var maxDrawdown = "largest fall of the wealth path including the starting value, negative"
    /// How the Calmar ratio is computed.
    public var calmarRatio = "CAGR / |max drawdown|"
    /// How value at risk is computed.
    public var valueAtRisk = "historical: 5th percentile of the period returns, linear interpolation"
    /// How conditional value at risk is computed.
    public var conditionalValueAtRisk = "mean of the period returns up to the 5% cutoff index (empyrical)"
    /// How tracking error is computed.
    public var trackingError: String
    /// How the information ratio is computed.
    public var informationRatio: String
    /// How beta is computed.
    public var beta = "cov(r, b) / var(b), population moments of raw returns (empyrical)"
    /// How alpha is computed.
    public var alpha: String
    /// When a figure is `null`.
    public var undefinedFigures =
        "annualised figures need a year of history (358 calendar days or more; shorter periods are not annualised, as in GIPS); a ratio whose denominator is zero or below 1e-10 of the typical absolute return or the rounding of money to the cent is undefined; the undefined field gives the reason for each"
    /// How turnover is computed.
    public var turnover = "sum over rebalances after the initial purchase of traded value / 2 / portfolio value, per year"
    /// How the money-weighted return is computed.
    public var moneyWeightedReturn = "annual internal rate of return of the flows, actual/365 day count"

    /// The conventions, with the risk-free rate used.
    public init(riskFreeRate: Double, periodsPerYear p: Double = 252) {
        let n = String(format: "%g", p)
        periodsPerYear = p
        annualRiskFreeRate = riskFreeRate
        self.riskFreeRate = "\(riskFreeRate) a year, applied per period as \(riskFreeRate) / \(n)"
        returns = "time-weighted returns of the portfolio value per period (\(n) a year; cash flows removed)"
        cagr = "(1 + total return)^(\(n) / periods) - 1"
        annualVolatility = "sample standard deviation (ddof 1) x sqrt(\(n))"
        sharpeRatio = "mean(r - rf) / std(r - rf, ddof 1) x sqrt(\(n)), rf per period"
        sortinoRatio = "mean(r) x \(n) / downside risk; downside risk = sqrt(mean(min(r, 0)^2)) x sqrt(\(n)) over all periods"
        trackingError = "std(r - b, ddof 1) x sqrt(\(n))"
        informationRatio = "mean(r - b) / std(r - b, ddof 1) x sqrt(\(n)) (empyrical's excess_sharpe annualised)"
        alpha = "(1 + mean((r - rf) - beta (b - rf)))^\(n) - 1 (empyrical)"
    }
}
