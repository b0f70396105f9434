import Foundation

/// Statistics over seeds for the reports: Student-t confidence intervals, paired differences with a
/// paired t-test, an exact sign-flip permutation test, and a seeded percentile bootstrap. Checked against
/// SciPy (scripts/stats_golden.py).
public enum Statistics {
    /// A mean with its confidence interval over n values.
    public struct Interval: Codable, Equatable, Sendable {
        public var mean: Double
        public var low: Double
        public var high: Double
        public var n: Int
        /// Whether the interval excludes zero.
        public var excludesZero: Bool { low > 0 || high < 0 }
    }

    /// A paired comparison (b - a over matched seeds).
    public struct PairedTest: Codable, Equatable, Sendable {
        public var difference: Interval
        public var t: Double
        /// Two-sided p-value of the paired t-test.
        public var pValue: Double
        /// Two-sided p-value of the exact sign-flip permutation test (all 2^n flips; n <= 20).
        public var permutationPValue: Double?
        public var test: String { "paired t-test over \(difference.n) seeds" }
    }

    public static func mean(_ xs: [Double]) -> Double { xs.isEmpty ? .nan : xs.reduce(0, +) / Double(xs.count) }

    /// Sample standard deviation (n - 1 in the denominator).
    public static func standardDeviation(_ xs: [Double]) -> Double {
        guard xs.count > 1 else { return .nan }
        let m = mean(xs)
        return (xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count - 1)).squareRoot()
    }

    /// Student-t interval for the mean at `level` (0.95: the 95% interval). With one value the interval
    /// is unbounded (-inf, inf): one seed says nothing about spread.
    public static func meanInterval(_ xs: [Double], level: Double = 0.95) -> Interval {
        let n = xs.count, m = mean(xs)
        guard n > 1 else { return Interval(mean: m, low: -.infinity, high: .infinity, n: n) }
        let half = tQuantile(0.5 + level / 2, df: Double(n - 1)) * standardDeviation(xs) / Double(n).squareRoot()
        return Interval(mean: m, low: m - half, high: m + half, n: n)
    }

    /// Paired comparison of b against a (same seeds, same order): the interval of b - a and the tests.
    public static func paired(_ a: [Double], _ b: [Double], level: Double = 0.95) -> PairedTest {
        precondition(a.count == b.count, "paired samples differ in length")
        let d = zip(a, b).map { $1 - $0 }
        let interval = meanInterval(d, level: level)
        let n = d.count
        let sd = standardDeviation(d)
        var t = Double.nan, p = Double.nan
        if n > 1 {
            if sd > 0 {
                t = interval.mean / (sd / Double(n).squareRoot())
                p = 2 * tSurvival(abs(t), df: Double(n - 1))
            } else {
                t = interval.mean == 0 ? 0 : (interval.mean > 0 ? .infinity : -.infinity)
                p = interval.mean == 0 ? 1 : 0
            }
        }
        return PairedTest(difference: interval, t: t, pValue: p, permutationPValue: n <= 20 && n > 0 ? signFlipPValue(d) : nil)
    }

    /// Exact two-sided sign-flip test of mean(d) = 0: the share of the 2^n sign patterns whose |mean| is at
    /// least the observed one.
    public static func signFlipPValue(_ d: [Double]) -> Double {
        let n = d.count
        let observed = abs(d.reduce(0, +))
        var extreme = 0
        for mask in 0..<(1 << n) {
            var s = 0.0
            for i in 0..<n { s += (mask >> i) & 1 == 1 ? -d[i] : d[i] }
            if abs(s) >= observed - 1e-12 * max(1, observed) { extreme += 1 }
        }
        return Double(extreme) / Double(1 << n)
    }

    /// Percentile bootstrap interval of the mean, `resamples` draws from a seeded generator (deterministic).
    public static func bootstrapInterval(_ xs: [Double], level: Double = 0.95, resamples: Int = 10_000, seed: UInt64 = 0) -> Interval {
        let n = xs.count
        guard n > 1 else { return Interval(mean: mean(xs), low: -.infinity, high: .infinity, n: n) }
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {   // SplitMix64
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var means = [Double](repeating: 0, count: resamples)
        for r in 0..<resamples {
            var s = 0.0
            for _ in 0..<n { s += xs[Int(next() % UInt64(n))] }
            means[r] = s / Double(n)
        }
        means.sort()
        let lo = means[max(0, Int((Double(resamples) * (1 - level) / 2).rounded(.down)))]
        let hi = means[min(resamples - 1, Int((Double(resamples) * (1 + level) / 2).rounded(.down)))]
        return Interval(mean: mean(xs), low: lo, high: hi, n: n)
    }

    // MARK: Student t distribution

    /// P(T > t) for Student's t with `df` degrees of freedom (t >= 0), through the regularized incomplete beta.
    public static func tSurvival(_ t: Double, df: Double) -> Double {
        let x = df / (df + t * t)
        return 0.5 * regularizedIncompleteBeta(x, a: df / 2, b: 0.5)
    }

    /// The p-quantile of Student's t (p in (0, 1)), by bisection on the survival function.
    public static func tQuantile(_ p: Double, df: Double) -> Double {
        if p == 0.5 { return 0 }
        if p < 0.5 { return -tQuantile(1 - p, df: df) }
        var lo = 0.0, hi = 1.0
        while tSurvival(hi, df: df) > 1 - p { hi *= 2 }
        for _ in 0..<200 {
            let mid = (lo + hi) / 2
            if tSurvival(mid, df: df) > 1 - p { lo = mid } else { hi = mid }
        }
        return (lo + hi) / 2
    }

    /// I_x(a, b) by the continued fraction of Numerical Recipes (6.4), with the symmetry for convergence.
    static func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let lnNorm: Double = lgamma(a + b) - lgamma(a) - lgamma(b)
        let lnPowers: Double = a * log(x) + b * log(1 - x)
        let lbeta = lnNorm + lnPowers
        let front = exp(lbeta)
        if x < (a + 1) / (a + b + 2) { return front * betaContinuedFraction(x, a, b) / a }
        return 1 - front * betaContinuedFraction(1 - x, b, a) / b
    }

    static func betaContinuedFraction(_ x: Double, _ a: Double, _ b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...300 {
            let m = Double(m), m2 = 2 * m
            let denom1: Double = (a + m2 - 1) * (a + m2)
            var aa: Double = m * (b - m) * x / denom1
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d; h *= d * c
            let denom2: Double = (a + m2) * (a + m2 + 1)
            aa = -(a + m) * (a + b + m) * x / denom2
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let del = d * c
            h *= del
            if abs(del - 1) < 1e-15 { break }
        }
        return h
    }
}
