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

extension ReportsTests {
    /// A reproduction (a run whose parent is a run of the same cell and seed) checks its parent; the report
    /// keeps citing the original.
    func testReproductionsDoNotReplaceTheirOriginals() throws {
        let ids = try record(sizes: ["A"], ns: [0, 16], seeds: [1, 2, 3])
        let original = try ledger.run(ids[0])
        let spec = try Ledger.RunSpec(experiment: "toy", cell: original.cell, seed: original.seed, config: original.config, engine: toyEngine,
                                      parentID: original.id)
        let repro = try ledger.startRun(spec, directory: root, warn: { _ in })
        try repro.finish(summary: original.summary)
        let md = try Tables.generate(experiment: "toy", root: root, ledger: ledger)[1].content
        XCTAssertTrue(md.contains(String(original.id.prefix(8))))
        XCTAssertFalse(md.contains(String(repro.id.prefix(8))), "the reproduction is not a report run")
    }
}
