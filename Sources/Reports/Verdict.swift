import Evaluation
import Foundation

/// The outcome of testing one claim.
public enum Verdict: String, Codable, Sendable {
    case replicated, notReplicated = "not replicated", inconclusive

    /// The rule, as printed in every report.
    public static let rule = """
    For each compared pair of cells, the effect is the paired difference over seeds (same seed = same task \
    draw and initialization) between the treatment cell and the baseline cell, signed so that the paper's \
    direction is positive, with its 95% Student-t interval. **Replicated**: the interval lies above zero and \
    the mean effect is at least the smallest effect the claim needs (`min_effect`). **Not replicated**: the \
    interval lies entirely below `min_effect`, so an effect of the paper's kind is ruled out at this scale. \
    **Inconclusive**: neither (including fewer than three paired seeds: with two, the interval rests on one \
    degree of freedom and a near-tie makes it arbitrarily narrow; and a significant effect smaller than \
    `min_effect`). When all paired differences are equal the t interval collapses to a point and the t-test \
    is undefined; the exact sign-flip test then decides instead (p < 0.05 for the differences against zero \
    towards replicated, for the differences minus `min_effect` towards not replicated), and it cannot reach \
    p < 0.05 with fewer than 6 seeds. When the claim's metric declares a chance floor, a rise counts as \
    replicated only if the treatment's mean is above its floor (a rise that stays at or below chance shows \
    no skill). Overall (a claim holds for every compared pair, e.g. at every model \
    size): not replicated when any comparison rules the effect out; replicated when every comparison \
    replicates; inconclusive otherwise.
    """

    /// The significance level of the exact sign-flip test when it decides (all differences equal).
    public static let alpha = 0.05
    /// The fewest paired seeds on which an interval may decide.
    public static let minimumSeeds = 3

    /// The verdict on one set of paired differences (treatment - baseline, signed to the paper's direction)
    /// by `rule`.
    public static func decide(differences d: [Double], minEffect: Double) -> Verdict {
        guard d.count >= minimumSeeds else { return .inconclusive }
        let test = Statistics.paired([Double](repeating: 0, count: d.count), d)
        let mean = test.difference.mean
        if test.degenerate {
            // Zero spread: no interval to read. Ask the exact test whether the (identical) differences are
            // distinguishable from zero, or from min_effect.
            if mean >= minEffect && mean > 0 && (test.permutationPValue ?? 1) < alpha { return .replicated }
            if mean < minEffect && Statistics.signFlipPValue(d.map { $0 - minEffect }) < alpha { return .notReplicated }
            return .inconclusive
        }
        if test.difference.low > 0 && mean >= minEffect { return .replicated }
        if test.difference.high < minEffect { return .notReplicated }
        return .inconclusive
    }

    /// The overall verdict of a claim from its comparisons' verdicts.
    public static func overall(_ verdicts: [Verdict]) -> Verdict {
        if verdicts.contains(.notReplicated) { return .notReplicated }
        if !verdicts.isEmpty && verdicts.allSatisfy({ $0 == .replicated }) { return .replicated }
        return .inconclusive
    }
}

/// A cell named by its series and x (as `ReportData.xKey` text).
public struct CellKey: Equatable, Hashable, Sendable {
    public var series: String
    public var x: String
    public init(series: String, x: String) { self.series = series; self.x = x }
}

/// One claim tested on one pair of cells.
public struct ClaimResult {
    public var claim: ReportSpec.Claim
    public var baseline: CellKey
    public var treatment: CellKey
    /// The paired test of (treatment - baseline), signed to the paper's direction; nil without paired seeds.
    public var test: Statistics.PairedTest?
    /// Seeds both cells have (the pairs).
    public var pairedSeeds: [Int64]
    /// Seeds only one of the two cells has (left out of the pairing).
    public var unpairedSeeds: [Int64]
    public var verdict: Verdict
    /// The signed paired differences, by seed.
    public var differences: [Double]
    /// Seeds a decisive verdict would need if the observed mean and spread held
    /// (`Statistics.seedsForDecision`); nil when the spread is zero or undefined.
    public var seedsNeeded: Int? {
        guard let t = test, t.difference.n >= 2 else { return nil }
        return Statistics.seedsForDecision(mean: t.difference.mean, sd: Statistics.standardDeviation(differences), minEffect: claim.minEffect)
    }
}

extension ReportData {
    /// The pairs of cells `claim` compares, in table order: a side without a series stands for each series,
    /// a side without an x takes the other's (each x when neither fixes one; the largest x of the series with
    /// the `from`-only shorthand). Pairs naming one cell twice are skipped.
    public func comparisons(_ claim: ReportSpec.Claim) -> [(baseline: CellKey, treatment: CellKey)] {
        let categorical = spec.x.categorical ?? false
        let b = claim.baselineSide, t = claim.treatmentSide
        let bx = b.x.flatMap { ReportData.xKey($0, categorical: categorical) }, tx = t.x.flatMap { ReportData.xKey($0, categorical: categorical) }
        let seriesLoop: [String?] = b.series == nil || t.series == nil ? series : [nil]
        let xLoop: [String?] = bx == nil && tx == nil && !claim.comparesToLargest ? xs : [nil]
        var out: [(CellKey, CellKey)] = []
        for s in seriesLoop {
            for x in xLoop {
                let bs = b.series ?? s!, ts = t.series ?? s!
                guard let bX = bx ?? tx ?? x,
                      let tX = claim.comparesToLargest ? xs(of: ts).last : (tx ?? bx ?? x) else { continue }
                let pair = (CellKey(series: bs, x: bX), CellKey(series: ts, x: tX))
                if pair.0 != pair.1 && !out.contains(where: { $0.0 == pair.0 && $0.1 == pair.1 }) { out.append(pair) }
            }
        }
        return out
    }

    /// The paired comparison of two cells on `metric`, signed by `sign` (+1 or -1).
    public func compare(_ baseline: CellKey, _ treatment: CellKey, metric: String, sign: Double = 1)
        -> (test: Statistics.PairedTest?, paired: [Int64], unpaired: [Int64], differences: [Double]) {
        let a = cell(series: baseline.series, x: baseline.x)?.values(metric) ?? [:]
        let b = cell(series: treatment.series, x: treatment.x)?.values(metric) ?? [:]
        let seeds = Set(a.keys).intersection(b.keys).sorted()
        let unpaired = Set(a.keys).symmetricDifference(b.keys).sorted()
        guard !seeds.isEmpty else { return (nil, [], unpaired, []) }
        let t = Statistics.paired(seeds.map { sign * a[$0]! }, seeds.map { sign * b[$0]! })
        return (t, seeds, unpaired, seeds.map { sign * (b[$0]! - a[$0]!) })
    }

    /// Tests `claim` on every pair of cells it compares, by the stated rule.
    public func evaluate(_ claim: ReportSpec.Claim) -> (results: [ClaimResult], overall: Verdict) {
        let sign = claim.direction == "decrease" ? -1.0 : 1.0
        let chanceKey = spec.metrics.first { $0.key == claim.metric }?.chanceMetric
        let chanceConstant = spec.metrics.first { $0.key == claim.metric }?.chance
        let results = comparisons(claim).map { pair -> ClaimResult in
            let c = compare(pair.baseline, pair.treatment, metric: claim.metric, sign: sign)
            var verdict = Verdict.decide(differences: c.differences, minEffect: claim.minEffect)
            // An accuracy that rises but stays at or below its chance floor shows no skill: not a replication.
            if verdict == .replicated, claim.direction != "decrease", let t = cell(series: pair.treatment.series, x: pair.treatment.x) {
                let floor = chanceKey.map { k in Statistics.mean(t.values(k).sorted { $0.key < $1.key }.map(\.value)) } ?? chanceConstant
                if let floor, floor.isFinite, !(t.interval(claim.metric).mean > floor) { verdict = .inconclusive }
            }
            return ClaimResult(claim: claim, baseline: pair.baseline, treatment: pair.treatment, test: c.test, pairedSeeds: c.paired,
                               unpairedSeeds: c.unpaired, verdict: verdict, differences: c.differences)
        }
        return (results, Verdict.overall(results.map(\.verdict)))
    }
}
