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

    func testMeanIntervalAndPairedTest() {
        let a = [0.61, 0.58, 0.66, 0.63, 0.60], b = [0.52, 0.55, 0.57, 0.50, 0.56]
        let m = Statistics.meanInterval(a)
        XCTAssertEqual(m.mean, 0.616, accuracy: 1e-12)
        XCTAssertEqual(m.low, 0.5781343372, accuracy: 1e-9)
        XCTAssertEqual(m.high, 0.6538656628, accuracy: 1e-9)
        let p = Statistics.paired(b, a)          // a - b
        XCTAssertEqual(p.difference.mean, 0.076, accuracy: 1e-12)
        XCTAssertEqual(p.difference.low, 0.0251069206, accuracy: 1e-9)
        XCTAssertEqual(p.difference.high, 0.1268930794, accuracy: 1e-9)
        XCTAssertEqual(p.t, 4.1461399145, accuracy: 1e-8)
        XCTAssertEqual(p.pValue, 0.0143050179, accuracy: 1e-9)
        XCTAssertTrue(p.difference.excludesZero)
        // All five differences are positive: only the all-positive and all-negative patterns are as extreme.
        XCTAssertEqual(p.permutationPValue!, 2.0 / 32.0, accuracy: 1e-12)
    }

    func testDegenerateSamples() {
        let one = Statistics.meanInterval([0.5])
        XCTAssertEqual(one.n, 1)
        XCTAssertFalse(one.excludesZero, "one seed gives no interval")
        let same = Statistics.paired([1, 1, 1], [1, 1, 1])
        XCTAssertEqual(same.pValue, 1)
        XCTAssertFalse(same.difference.excludesZero)
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
