import Evaluation
import Foundation

/// The outcome of testing one claim.
public enum Verdict: String, Codable, Sendable {
    case replicated, notReplicated = "not replicated", inconclusive

    /// The rule, as printed in every report.
    public static let rule = """
    For each series, the effect is the paired difference over seeds (same seed = same task draw and \
    initialization) between the compared cell and the baseline cell, signed so that the paper's direction \
    is positive, with its 95% Student-t interval. **Replicated**: the interval lies above zero. \
    **Not replicated**: the interval lies below the smallest effect the claim needs (`min_effect`), so an \
    effect of the paper's kind is ruled out at this scale. **Inconclusive**: neither (including fewer than \
    two paired seeds). Overall: replicated when every series replicates; not replicated when none does and \
    at least one rules the effect out; inconclusive otherwise.
    """
}

/// One claim tested on one series.
public struct ClaimResult {
    public var claim: ReportSpec.Claim
    public var series: String
    public var fromX: Double
    public var toX: Double
    /// The paired test of (to - from), signed to the paper's direction; nil without paired seeds.
    public var test: Statistics.PairedTest?
    public var pairedSeeds: [Int64]
    public var verdict: Verdict
}

extension ReportData {
    /// Tests `claim` on every series by the stated rule.
    public func evaluate(_ claim: ReportSpec.Claim) -> (perSeries: [ClaimResult], overall: Verdict) {
        var results: [ClaimResult] = []
        for s in series {
            let xs = cells.filter { $0.series == s }.map(\.x)
            let toX = claim.to ?? xs.max() ?? claim.from
            var r = ClaimResult(claim: claim, series: s, fromX: claim.from, toX: toX, test: nil, pairedSeeds: [], verdict: .inconclusive)
            if let a = cell(series: s, x: claim.from)?.values(claim.metric), let b = cell(series: s, x: toX)?.values(claim.metric), toX != claim.from {
                let seeds = Set(a.keys).intersection(b.keys).sorted()
                r.pairedSeeds = seeds
                if !seeds.isEmpty {
                    let sign = claim.direction == "decrease" ? -1.0 : 1.0
                    let t = Statistics.paired(seeds.map { sign * a[$0]! }, seeds.map { sign * b[$0]! })
                    r.test = t
                    if seeds.count >= 2 {
                        if t.difference.low > 0 { r.verdict = .replicated }
                        else if t.difference.high < claim.minEffect { r.verdict = .notReplicated }
                    }
                }
            }
            results.append(r)
        }
        let overall: Verdict
        if !results.isEmpty && results.allSatisfy({ $0.verdict == .replicated }) { overall = .replicated }
        else if !results.contains(where: { $0.verdict == .replicated }) && results.contains(where: { $0.verdict == .notReplicated }) { overall = .notReplicated }
        else { overall = .inconclusive }
        return (results, overall)
    }
}
