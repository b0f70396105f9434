import Evaluation
import Foundation
import Ledger
import XCTest
@testable import Reports

/// Verdicts that cannot overstate: tied paired differences, the `min_effect` rule, the floors and seed
/// counts printed per claim, and the planned seed set. Same temporary repository and ledger as `ReportsTests`.
extension ReportsTests {
    /// Under the old rule ("replicated" when the interval lies above zero) each of these read "replicated".
    func testMinEffectRule() {
        // Interval above zero, mean below min_effect, interval reaching past it: inconclusive.
        let small = [0.03, 0.045, 0.06, 0.035, 0.05, 0.04]
        XCTAssertGreaterThan(Statistics.meanInterval(small).low, 0)
        XCTAssertEqual(Verdict.decide(differences: small, minEffect: 0.05), .inconclusive)
        // Interval above zero but entirely below min_effect: the paper's effect is ruled out.
        let tiny = [0.010, 0.012, 0.011, 0.013]
        XCTAssertGreaterThan(Statistics.meanInterval(tiny).low, 0)
        XCTAssertEqual(Verdict.decide(differences: tiny, minEffect: 0.05), .notReplicated)
        // Mean at or above min_effect and interval above zero.
        XCTAssertEqual(Verdict.decide(differences: small, minEffect: 0.04), .replicated)
        XCTAssertEqual(Verdict.decide(differences: small.map { -$0 }, minEffect: 0.01), .notReplicated)
        // Fewer than three paired seeds: inconclusive whatever the value, even a near-tie whose t interval
        // (one degree of freedom) is narrow and above min_effect.
        let nearTie = [0.030, 0.030 + 1.0 / 900]
        XCTAssertGreaterThan(Statistics.meanInterval(nearTie).low, 0.02)
        XCTAssertEqual(Verdict.decide(differences: nearTie, minEffect: 0.02), .inconclusive)
        XCTAssertEqual(Verdict.decide(differences: [0.5], minEffect: 0.05), .inconclusive)
        XCTAssertEqual(Verdict.decide(differences: [], minEffect: 0.05), .inconclusive)
        XCTAssertTrue(Verdict.rule.contains("at least the smallest effect the claim needs (`min_effect`)"))
    }

    /// A rise that stays below the metric's chance floor is not a replication.
    func testARiseBelowTheChanceFloorIsNotReplicated() throws {
        for n in [0, 16] {
            for seed: Int64 in [1, 2, 3] {
                try recordRun(ToyConfig(size: "A", n: n), cell: "size=A,n=\(n)", seed: seed,
                              summary: ["score": 0.01 + (n == 16 ? 0.10 + 0.001 * Double(seed) : 0), "loss": 1, "params": 1000, "floor": 0.2])
            }
        }
        func verdict(chance: String) throws -> Verdict {
            var spec = try ReportSpec.load(path: ReportSpec.path(experiment: "toy", root: root))
            spec.metrics[0].chanceMetric = chance
            return try ReportData(spec: spec, records: try ledger.export(experiment: "toy")).evaluate(spec.claims[0]).overall
        }
        XCTAssertEqual(try verdict(chance: "floor"), .inconclusive, "11% against a 20% floor")
        XCTAssertEqual(try verdict(chance: "none_reported"), .replicated, "no floor: the rise alone decides")
    }

    /// A claim made for every series fails as soon as one series rules it out.
    func testOverallVerdictOfAUniversalClaim() {
        XCTAssertEqual(Verdict.overall([.replicated, .notReplicated]), .notReplicated)
        XCTAssertEqual(Verdict.overall([.replicated, .replicated]), .replicated)
        XCTAssertEqual(Verdict.overall([.replicated, .inconclusive]), .inconclusive)
        XCTAssertEqual(Verdict.overall([]), .inconclusive)
    }

    /// All differences equal: no interval, no t-test; the exact sign-flip test decides and needs 6 seeds.
    func testTiedDifferencesAreDecidedByTheSignFlipTest() {
        // Ties up to rounding, as real fractions give them.
        func tied(_ n: Int, _ v: Double) -> [Double] { (0..<n).map { (0.1 * Double($0) + v) - 0.1 * Double($0) } }
        XCTAssertEqual(Verdict.decide(differences: tied(2, 0.007), minEffect: 0.005), .inconclusive, "p = 0 was the old answer")
        XCTAssertEqual(Verdict.decide(differences: tied(5, 0.1), minEffect: 0.05), .inconclusive, "sign-flip floor 0.0625")
        XCTAssertEqual(Verdict.decide(differences: tied(6, 0.1), minEffect: 0.05), .replicated, "sign-flip p = 2/64")
        XCTAssertEqual(Verdict.decide(differences: tied(6, 0.01), minEffect: 0.05), .notReplicated, "below min_effect in every seed")
        XCTAssertEqual(Verdict.decide(differences: tied(6, 0.04), minEffect: 0.05), .notReplicated)
        XCTAssertEqual(Verdict.decide(differences: tied(6, 0), minEffect: 0), .inconclusive)
    }

    /// The task-scaling M/32 case in miniature: two seeds whose differences tie.
    func testReportShowsTiedDifferencesAsDegenerate() throws {
        for n in [0, 16] {
            for seed: Int64 in [1, 2] {
                try recordRun(ToyConfig(size: "A", n: n), cell: "size=A,n=\(n)", seed: seed,
                              summary: ["score": 0.1 * Double(seed) + (n == 16 ? 0.07 : 0), "loss": Double(seed), "params": 1000])
            }
        }
        let md = try Tables.generate(experiment: "toy", root: root, ledger: ledger)[1].content
        XCTAssertFalse(md.contains("p=0.000"), md)
        XCTAssertFalse(md.contains("[7.0%, 7.0%]"), md)
        XCTAssertTrue(md.contains("| A | 16 | 2 | 22.0% [-41.5%, 85.5%] |"), md)
        XCTAssertTrue(md.contains("+7.0% [all equal], t-test undefined, sign-flip p=0.500"), md)
        XCTAssertTrue(md.contains("| size A: tasks 16 vs 0 | +7.0% | [all equal] | 2 | undefined ‡ | 0.500 | sign-flip 0.500; t-test: no floor, unreliable at n < 3 | — | inconclusive |"), md)
        XCTAssertTrue(md.contains("‡ All paired differences are equal in size A: tasks 16 vs 0 (+7.0% for each seed)"), md)
    }

    /// Per row: the smallest p each test can reach, and the seeds a decisive answer would need.
    func testClaimRowsShowTheFloorAndTheSeedsNeeded() throws {
        try record(sizes: ["A"], ns: [0, 16], seeds: [1, 2, 3])
        let data = try ReportData(spec: try ReportSpec.load(path: ReportSpec.path(experiment: "toy", root: root)),
                                  records: try ledger.export(experiment: "toy"))
        let r = try XCTUnwrap(data.evaluate(data.spec.claims[0]).results.first)
        XCTAssertEqual(r.differences.count, 3)
        let sd = Statistics.standardDeviation(r.differences)
        XCTAssertGreaterThan(sd, 0)
        XCTAssertEqual(r.seedsNeeded, Statistics.seedsForDecision(mean: r.test!.difference.mean, sd: sd, minEffect: 0.05))
        XCTAssertEqual(r.seedsNeeded, 6, "clears zero with 3 seeds; the sign-flip test needs 6")
        let md = ReportRenderer.summary(data)
        XCTAssertTrue(md.contains("| 3 | \(String(format: "%.3f", r.test!.pValue!)) | 0.250 | sign-flip 0.250; t-test: no floor | 6 | replicated |"), md)
    }

    func testPlannedSeedsComeFromTheRunsOverrides() throws {
        // Planned 1, 2, 3; finished 1, 2: every cell misses seed 3 (inference would call (1, 2) the set).
        try record(sizes: ["A"], ns: [0, 16], seeds: [1, 2], overrides: ["planned_seeds": "1,2,3"])
        var data = try ReportData(spec: try ReportSpec.load(path: ReportSpec.path(experiment: "toy", root: root)),
                                  records: try ledger.export(experiment: "toy"))
        XCTAssertEqual(data.plannedSeeds, [1, 2, 3])
        XCTAssertEqual(data.seedPlan, .recorded)
        var md = try Tables.generate(experiment: "toy", root: root, ledger: ledger)[1].content
        XCTAssertTrue(md.contains("planned seeds 1, 2, 3, as recorded by the runs"), md)
        XCTAssertTrue(md.contains("| A | 0 | 2 ⚠ |") && md.contains("| A | 16 | 2 ⚠ |"), md)
        XCTAssertTrue(md.contains("⚠ Seeds differ from the planned set (1, 2, 3): size A, tasks 0: missing seed 3; size A, tasks 16: missing seed 3."), md)

        // A later run records another plan: the most recent one's set is used, and the disagreement is flagged.
        try recordRun(ToyConfig(size: "A", n: 4), cell: "size=A,n=4", seed: 1, summary: ["score": 0.1, "loss": 1], overrides: ["planned_seeds": "1, 2"])
        data = try ReportData(spec: data.spec, records: try ledger.export(experiment: "toy"))
        XCTAssertEqual(data.plannedSeeds, [1, 2])
        XCTAssertEqual(data.seedPlan, .conflicting(others: [[1, 2, 3]]))
        md = try Tables.generate(experiment: "toy", root: root, ledger: ledger)[1].content
        XCTAssertTrue(md.contains("planned seeds 1, 2, as recorded by the most recent run; ⚠ other runs record (1, 2, 3)"), md)
        XCTAssertTrue(md.contains("| A | 4 | 1 ⚠ |") && md.contains("| A | 0 | 2 |"), md)

        // Records without the override (older runners): inferred, and said so.
        ledger = try Ledger(path: root + "/.lab/old.sqlite")
        try record(sizes: ["A"], ns: [0, 16], seeds: [1, 2])
        md = try Tables.generate(experiment: "toy", root: root, ledger: ledger)[1].content
        XCTAssertTrue(md.contains("planned seeds 1, 2; planned seed set not recorded; inferred from the runs"), md)
        XCTAssertEqual(ReportData.parseSeeds("3,1, 2"), [1, 2, 3])
        XCTAssertNil(ReportData.parseSeeds("1,two"))
    }
}
