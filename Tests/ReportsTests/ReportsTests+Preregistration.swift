import Foundation
import Ledger
import XCTest
@testable import Reports

extension ReportsTests {
    /// The report says whether its claims were committed before its first run, and catches a claim changed after.
    func testPreregistrationIsCheckedAgainstTheFirstRunsCommit() throws {
        try record(sizes: ["A"], ns: [0, 16], seeds: [1, 2])
        var md = try Tables.generate(experiment: "toy", root: root, ledger: ledger)[1].content
        XCTAssertTrue(md.contains("they were fixed before it"), md)
        XCTAssertTrue(md.contains("No seed count is pre-registered"), md)

        // Lower min_effect after the runs: the report must say the claims changed.
        let path = root + "/experiments/toy/report.json"
        let spec = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "\"min_effect\": 0.05", with: "\"min_effect\": 0.01")
        try spec.write(toFile: path, atomically: true, encoding: .utf8)
        try sh(["commit", "-q", "-am", "lower min_effect"])
        md = try Tables.generate(experiment: "toy", root: root, ledger: ledger)[1].content
        XCTAssertTrue(md.contains("⚠ Pre-registration: the claims above (or the seed count) differ"), md)
    }

    func testPreregistrationFlagsASpecCommittedAfterTheRuns() throws {
        try sh(["rm", "-q", "--cached", "experiments/toy/report.json"])
        try sh(["commit", "-q", "-m", "spec not yet committed"])
        try record(sizes: ["A"], ns: [0, 16], seeds: [1, 2])
        let md = try Tables.generate(experiment: "toy", root: root, ledger: ledger)[1].content
        XCTAssertTrue(md.contains("was not committed at"), md)
    }
}
