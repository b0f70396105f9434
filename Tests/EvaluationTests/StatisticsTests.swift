import XCTest
@testable import Evaluation

/// Values from SciPy (scripts/stats_golden.py).
final class StatisticsTests: XCTestCase {
    func testStudentTQuantilesAndTails() {
        let quantiles: [(Double, Double)] = [(1, 12.7062047362), (2, 4.3026527297), (4, 2.7764451052), (9, 2.2621571628),
                                             (29, 2.0452296421), (100, 1.9839715185)]
        for (df, q) in quantiles { XCTAssertEqual(Statistics.tQuantile(0.975, df: df), q, accuracy: 1e-8, "df \(df)") }
        let tails: [(Double, Double, Double)] = [(2.0, 4, 0.1161165235), (0.5, 9, 0.6290712998), (3.3, 2, 0.0808476938), (1.2, 29, 0.2398511273)]
        for (t, df, p) in tails { XCTAssertEqual(2 * Statistics.tSurvival(t, df: df), p, accuracy: 1e-9, "t \(t) df \(df)") }
    }

    func testMeanIntervalAndPairedTest() throws {
        let a = [0.61, 0.58, 0.66, 0.63, 0.60], b = [0.52, 0.55, 0.57, 0.50, 0.56]
        let m = Statistics.meanInterval(a)
        XCTAssertEqual(m.mean, 0.616, accuracy: 1e-12)
        XCTAssertEqual(m.low, 0.5781343372, accuracy: 1e-9)
        XCTAssertEqual(m.high, 0.6538656628, accuracy: 1e-9)
        let p = Statistics.paired(b, a)          // a - b
        XCTAssertEqual(p.difference.mean, 0.076, accuracy: 1e-12)
        XCTAssertEqual(p.difference.low, 0.0251069206, accuracy: 1e-9)
        XCTAssertEqual(p.difference.high, 0.1268930794, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(p.t), 4.1461399145, accuracy: 1e-8)
        XCTAssertEqual(try XCTUnwrap(p.pValue), 0.0143050179, accuracy: 1e-9)
        XCTAssertNil(p.tTestUndefined)
        XCTAssertFalse(p.degenerate)
        XCTAssertTrue(p.difference.excludesZero)
        // All five differences are positive: only the all-positive and all-negative patterns are as extreme.
        XCTAssertEqual(p.permutationPValue!, 2.0 / 32.0, accuracy: 1e-12)
    }

    func testDegenerateSamples() {
        let one = Statistics.meanInterval([0.5])
        XCTAssertEqual(one.n, 1)
        XCTAssertFalse(one.excludesZero, "one seed gives no interval")
        let same = Statistics.paired([1, 1, 1], [1, 1, 1])
        XCTAssertNil(same.pValue)
        XCTAssertEqual(same.permutationPValue, 1)
        XCTAssertFalse(same.difference.excludesZero)
        let single = Statistics.paired([0.1], [0.3])
        XCTAssertNil(single.pValue)
        XCTAssertNotNil(single.tTestUndefined)
        XCTAssertFalse(single.degenerate, "one pair is too few, not zero spread")
    }

    /// Two seeds whose differences tie (0.007 each, equal only up to rounding): the old test returned p = 0
    /// and the interval [0.7%, 0.7%]; SciPy returns p ~ 1e-15 (scripts/stats_golden.py). Neither is evidence.
    func testTiedPairedDifferencesGiveNoTTestPValue() {
        let a = [0.10, 0.20], b = [0.107, 0.207]
        XCTAssertNotEqual(b[0] - a[0], b[1] - a[1], "the differences should tie only up to rounding")
        let p = Statistics.paired(a, b)
        XCTAssertNil(p.pValue)
        XCTAssertNil(p.t)
        XCTAssertEqual(p.tTestUndefined, Statistics.allDifferencesEqual)
        XCTAssertTrue(p.degenerate)
        XCTAssertEqual(p.test, "exact sign-flip test over 2 seeds")
        XCTAssertEqual(p.permutationPValue, 0.5)
        XCTAssertEqual(p.difference.low, p.difference.high, "zero spread: a point, flagged by `degenerate`")
        XCTAssertEqual(p.difference.mean, 0.007, accuracy: 1e-12)
        XCTAssertTrue(Statistics.allEqual([0.107 - 0.10, 0.207 - 0.20, 0.007]))
        XCTAssertFalse(Statistics.allEqual([0.007, 0.0071]))
        XCTAssertFalse(Statistics.allEqual([0.007]), "one value has no spread to judge")
    }

    /// 2/2^n (scripts/stats_golden.py): two seeds can never give p < 0.5; six are the fewest for p < 0.05.
    func testMinimumAttainableSignFlipPValue() {
        let floors: [(Int, Double)] = [(0, 1), (1, 1), (2, 0.5), (3, 0.25), (5, 0.0625), (6, 0.03125)]
        for (n, p) in floors { XCTAssertEqual(Statistics.minimumSignFlipPValue(seeds: n), p, accuracy: 1e-15, "n \(n)") }
        XCTAssertEqual(Statistics.seedsForSignFlip(alpha: 0.05), 6)
        XCTAssertEqual(Statistics.seedsForSignFlip(alpha: 0.01), 8)
        // The floor is attained: n differences of one sign.
        for n in 1...7 {
            XCTAssertEqual(Statistics.signFlipPValue([Double](repeating: 0.01, count: n).enumerated().map { $1 * Double($0 + 1) }),
                           Statistics.minimumSignFlipPValue(seeds: n), accuracy: 1e-15, "n \(n)")
        }
    }

    /// Golden values by brute force over SciPy's t quantiles (scripts/stats_golden.py).
    func testSeedsNeededForADecisiveInterval() {
        XCTAssertEqual(Statistics.seedsToExclude(0, mean: 1.0, sd: 1.0), 7)
        XCTAssertEqual(Statistics.seedsToExclude(0, mean: 0.076, sd: 0.0410), 4)
        XCTAssertEqual(Statistics.seedsToExclude(0.05, mean: 0.01, sd: 0.02), 4)
        XCTAssertEqual(Statistics.seedsToExclude(0, mean: 0.022, sd: 0.0197), 6)
        XCTAssertNil(Statistics.seedsToExclude(0, mean: 0.007, sd: 0), "no spread to extrapolate from")
        XCTAssertNil(Statistics.seedsToExclude(0, mean: 0.007, sd: .nan))
        XCTAssertNil(Statistics.seedsToExclude(0.02, mean: 0.02, sd: 0.01), "a mean on the target never clears it")
        XCTAssertNil(Statistics.seedsToExclude(0, mean: 0.001, sd: 1, limit: 50))
        // Towards "replicated" (mean >= min_effect: clear zero), at least 6 for the sign-flip test.
        XCTAssertEqual(Statistics.seedsForDecision(mean: 1.0, sd: 1.0, minEffect: 0.5), 7)
        XCTAssertEqual(Statistics.seedsForDecision(mean: 0.076, sd: 0.0410, minEffect: 0.05), 6)
        // Towards "not replicated" (mean below min_effect: clear min_effect from below).
        XCTAssertEqual(Statistics.seedsForDecision(mean: 0.01, sd: 0.02, minEffect: 0.05), 6)
        XCTAssertEqual(Statistics.seedsForDecision(mean: 0.04, sd: 0.02, minEffect: 0.05),
                       Statistics.seedsToExclude(0.05, mean: 0.04, sd: 0.02), "the target is min_effect, not zero")
        XCTAssertGreaterThan(Statistics.seedsToExclude(0.05, mean: 0.04, sd: 0.02)!, Statistics.seedsToExclude(0, mean: 0.04, sd: 0.02)!)
        XCTAssertNil(Statistics.seedsForDecision(mean: 0.007, sd: 0, minEffect: 0.02))
    }

    func testBootstrapIsDeterministicAndCoversTheMean() {
        let xs = [0.2, 0.4, 0.35, 0.5, 0.3, 0.45]
        let a = Statistics.bootstrapInterval(xs, seed: 3), b = Statistics.bootstrapInterval(xs, seed: 3)
        XCTAssertEqual(a, b)
        XCTAssertLessThan(a.low, a.mean)
        XCTAssertGreaterThan(a.high, a.mean)
        XCTAssertGreaterThanOrEqual(a.low, xs.min()!)
        XCTAssertLessThanOrEqual(a.high, xs.max()!)
    }
}
