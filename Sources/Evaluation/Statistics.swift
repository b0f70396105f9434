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
        /// The mean difference with its Student-t interval. When every difference is equal (`degenerate`) the
        /// interval has zero width: that is no evidence of certainty, only of a spread that cannot be estimated.
        public var difference: Interval
        /// The t statistic; nil when the t-test is undefined (see `tTestUndefined`).
        public var t: Double?
        /// Two-sided p-value of the paired t-test; nil when the t-test is undefined (see `tTestUndefined`).
        public var pValue: Double?
        /// Why the t-test gives no p-value (fewer than two pairs, or all differences equal); nil when it is defined.
        public var tTestUndefined: String?
        /// Two-sided p-value of the exact sign-flip permutation test (all 2^n flips; n <= 20).
        public var permutationPValue: Double?
        /// Two or more differences, all equal: the spread is zero, the t interval collapses to a point and the
        /// t-test is undefined; only the exact sign-flip test speaks.
        public var degenerate: Bool { difference.n >= 2 && tTestUndefined != nil }
        public var test: String { tTestUndefined == nil ? "paired t-test over \(difference.n) seeds" : "exact sign-flip test over \(difference.n) seeds" }
    }

    /// The reason `paired` gives when every difference is equal.
    public static let allDifferencesEqual = "all paired differences are equal: the t-test is undefined; the exact sign-flip test is used"

    public static func mean(_ xs: [Double]) -> Double { xs.isEmpty ? .nan : xs.reduce(0, +) / Double(xs.count) }

    /// Sample standard deviation (n - 1 in the denominator).
    public static func standardDeviation(_ xs: [Double]) -> Double {
        guard xs.count > 1 else { return .nan }
        let m = mean(xs)
        return (xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count - 1)).squareRoot()
    }

    /// Whether two or more values are all equal (to 1e-12 relative: differences of fractions that tie can
    /// differ in the last bit). Such a sample has no spread to build an interval or a t statistic from.
    public static func allEqual(_ xs: [Double]) -> Bool {
        guard xs.count > 1, let lo = xs.min(), let hi = xs.max() else { return false }
        return hi - lo <= 1e-12 * max(1, abs(lo), abs(hi))
    }

    /// Student-t interval for the mean at `level` (0.95: the 95% interval). With one value the interval
    /// is unbounded (-inf, inf): one seed says nothing about spread. With all values equal (`allEqual`) it is
    /// the point [mean, mean]: zero width from zero observed spread, which callers must not read as certainty.
    public static func meanInterval(_ xs: [Double], level: Double = 0.95) -> Interval {
        let n = xs.count, m = mean(xs)
        guard n > 1 else { return Interval(mean: m, low: -.infinity, high: .infinity, n: n) }
        if allEqual(xs) { return Interval(mean: m, low: m, high: m, n: n) }
        let half = tQuantile(0.5 + level / 2, df: Double(n - 1)) * standardDeviation(xs) / Double(n).squareRoot()
        return Interval(mean: m, low: m - half, high: m + half, n: n)
    }

    /// Paired comparison of b against a (same seeds, same order): the interval of b - a and the tests.
    /// With fewer than two pairs, or with all differences equal (zero spread, e.g. two seeds whose differences
    /// tie exactly), the t-test has no p-value (`pValue` nil, `tTestUndefined` says why) rather than p = 0.
    public static func paired(_ a: [Double], _ b: [Double], level: Double = 0.95) -> PairedTest {
        precondition(a.count == b.count, "paired samples differ in length")
        let d = zip(a, b).map { $1 - $0 }
        let interval = meanInterval(d, level: level)
        let n = d.count
        let sd = standardDeviation(d)
        var t: Double?, p: Double?, undefined: String?
        if n < 2 {
            undefined = "fewer than two paired seeds: the t-test is undefined"
        } else if allEqual(d) || !(sd > 0) {
            undefined = allDifferencesEqual
        } else {
            let tt = interval.mean / (sd / Double(n).squareRoot())
            t = tt
            p = 2 * tSurvival(abs(tt), df: Double(n - 1))
        }
        return PairedTest(difference: interval, t: t, pValue: p, tTestUndefined: undefined,
                          permutationPValue: n <= 20 && n > 0 ? signFlipPValue(d) : nil)
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

    // MARK: What a number of seeds can show

    /// The smallest two-sided p-value the exact sign-flip test can reach with `n` paired seeds: 2 / 2^n (only
    /// the all-positive and all-negative patterns are as extreme as a sample whose signs all agree). With
    /// two seeds it is 0.5, so no two-seed comparison is significant by this test; n = 0 gives 1.
    public static func minimumSignFlipPValue(seeds n: Int) -> Double {
        n < 1 ? 1 : min(1, 2 / pow(2, Double(n)))
    }

    /// The fewest paired seeds with which the exact sign-flip test can reach p < `alpha` (6 for 0.05).
    public static func seedsForSignFlip(alpha: Double = 0.05) -> Int {
        var n = 1
        while minimumSignFlipPValue(seeds: n) >= alpha { n += 1 }
        return n
    }

    /// The smallest n >= 2 with t_{(1+level)/2, n-1} * sd / sqrt(n) < |mean - target|: how many seeds the
    /// `level` interval of a mean needs to exclude `target` if the observed mean and spread held. Nil when
    /// `sd` is zero or not finite (no spread to extrapolate from), when mean equals target, or when more than
    /// `limit` seeds would be needed.
    public static func seedsToExclude(_ target: Double, mean: Double, sd: Double, level: Double = 0.95, limit: Int = 1000) -> Int? {
        let gap = abs(mean - target)
        guard sd.isFinite, sd > 0, gap.isFinite, gap > 0, limit >= 2 else { return nil }
        for n in 2...limit where tQuantile(0.5 + level / 2, df: Double(n - 1)) * sd / Double(n).squareRoot() < gap { return n }
        return nil
    }

    /// How many paired seeds a decisive verdict would need if the observed mean difference and its spread
    /// held: the interval must clear zero when `mean >= minEffect` (towards "replicated"), or clear
    /// `minEffect` from below otherwise (towards "not replicated"), and there must be at least
    /// `seedsForSignFlip(alpha:)` seeds so the exact sign-flip test can agree. Nil as for `seedsToExclude`.
    public static func seedsForDecision(mean: Double, sd: Double, minEffect: Double, level: Double = 0.95, limit: Int = 1000) -> Int? {
        let target = mean >= minEffect ? 0 : minEffect
        return seedsToExclude(target, mean: mean, sd: sd, level: level, limit: limit).map { max($0, seedsForSignFlip(alpha: 1 - level)) }
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
