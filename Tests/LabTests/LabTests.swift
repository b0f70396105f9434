import Foundation
import XCTest
import Ledger
@testable import Lab

final class LabTests: XCTestCase {
    // MARK: Typed plans

    func testPlanRecordsRoleGridAndParentsAndNamesCells() throws {
        var plan = Plan<SkeletonCell>(grid: .full, seeds: [1, 2, 3])
        try Skeleton.plan(&plan)
        let grid = try plan.planned()
        XCTAssertEqual(grid.cells.count, 2 * (1 + 3 * 2))
        let child = try XCTUnwrap(grid.cells.first { $0.name == "child,width=16,bonus=0.5" && $0.seed == 2 })
        let flat = child.config.flattened()
        XCTAssertEqual(flat["role"], "\"child\"")
        XCTAssertEqual(flat["grid"], "\"full\"")
        XCTAssertEqual(flat["parents.base"], "\"base,width=16\"")
        XCTAssertEqual(flat["bonus"], "0.5")
        XCTAssertEqual(child.parents[.base], CellKey(name: "base,width=16", seed: 1))
        XCTAssertEqual(child.primaryParent, CellKey(name: "base,width=16", seed: 1))
        // The typed value comes back as written, not decoded from JSON.
        guard case .child(let c)? = plan.cell(child.key) else { return XCTFail("not a child cell") }
        XCTAssertEqual(c.bonus, 0.5)
    }

    func testPlanRefusesBadCells() throws {
        struct Clash: CellConfig { var role = "x"; var label: String { "" } }
        enum Bad { case clash(Clash), plain(Int) }
        var plan = Plan<Bad>(grid: .quick, seeds: [1])
        XCTAssertThrowsError(try plan.add(.clash(Clash()), seed: 1, estimate: 1)) { XCTAssertTrue("\($0)".contains("'role'")) }
        XCTAssertThrowsError(try plan.add(.plain(3), seed: 1, estimate: 1)) { XCTAssertTrue("\($0)".contains("not a CellConfig")) }
        var ok = Plan<SkeletonCell>(grid: .quick, seeds: [1])
        try ok.add(.base(Base(width: 4)), seed: 1, estimate: 1)
        XCTAssertThrowsError(try ok.add(.base(Base(width: 4)), seed: 1, estimate: 1)) { XCTAssertTrue("\($0)".contains("twice")) }
        XCTAssertThrowsError(try ok.add(.child(Child(width: 4, bonus: 0)), seed: 1, estimate: 1,
                                        parents: [.base: CellKey(name: "base,width=9", seed: 1)])) { XCTAssertTrue("\($0)".contains("not planned")) }
    }

    // MARK: --only / --seed

    func testOneMatchingRuleAndDependenciesKept() throws {
        var plan = Plan<SkeletonCell>(grid: .full, seeds: [1, 2, 3])
        try Skeleton.plan(&plan)
        let grid = try plan.planned()
        let one = try grid.restricted(only: "child,width=8,bonus=0.5", seed: 2)
        XCTAssertEqual(one.cells.map(\.key.description), ["base,width=8 seed 1", "child,width=8,bonus=0.5 seed 2"])
        let part = try grid.restricted(only: "bonus=0.0", seed: nil)
        XCTAssertEqual(part.cells.filter { $0.name.hasPrefix("child") }.count, 6)
        XCTAssertEqual(part.cells.filter { $0.name.hasPrefix("base") }.count, 2)
        XCTAssertThrowsError(try grid.restricted(only: "nothing-like-this", seed: nil)) { XCTAssertTrue("\($0)".contains("no cell matches")) }
        // An exact name selects that cell only, though another name contains it (what `lab reproduce` relies on).
        var ladder = Plan<SkeletonCell>(grid: .quick, seeds: [1])
        try ladder.add(.base(Base(width: 1)), seed: 1, estimate: 1)
        try ladder.add(.base(Base(width: 128)), seed: 1, estimate: 1)
        let lg = try ladder.planned()
        XCTAssertEqual(lg.targets(only: "base,width=1", seed: nil), [CellKey(name: "base,width=1", seed: 1)])
        XCTAssertEqual(lg.targets(only: "width=1", seed: nil).count, 2)
        XCTAssertThrowsError(try grid.restricted(only: nil, seed: 9))
    }

    // MARK: Typed metrics

    func testMetricsFlattenToSnakeCaseAndDropNonFinite() throws {
        struct M: CellMetrics {
            var heldoutEM = 0.5
            var heldoutEMByCluster = ["lookup": 0.25, "format": Double.nan]
            var examples = 12
            var seenEM: Double? = nil
            var retainedProbe = Double.infinity
        }
        let s = try M().summary()
        XCTAssertEqual(s, ["heldout_em": 0.5, "heldout_em_by_cluster.lookup": 0.25, "examples": 12])
        struct Bad: CellMetrics { var name = "x" }
        XCTAssertThrowsError(try Bad().summary())
    }

    // MARK: The whole kit: run, resume, parents by role, planned seeds, the report

    /// A repository with the skeleton's report spec committed, made the current directory for the test.
    func skeletonRepository(select grid: String, metric: String) throws -> String {
        let repo = try makeRepository(self)
        try FileManager.default.createDirectory(atPath: repo + "/experiments/skeleton", withIntermediateDirectories: true)
        try """
        {"experiment": "skeleton", "title": "Skeleton", "paper": "papers/none.md", "notebook": "experiments/skeleton/main.swift",
         "select": {"grid": "\(grid)", "role": "child"}, "x": {"key": "bonus", "label": "bonus"}, "series": {"key": "width", "label": "width"},
         "metrics": [{"key": "\(metric)", "label": "score", "digits": 3, "chance_metric": "chance"}], "setup": [], "setup_config": [],
         "claims": [{"id": "bonus", "text": "The bonus raises the score", "metric": "\(metric)", "from": 0, "direction": "increase", "min_effect": 0.1}],
         "plots": []}
        """.write(toFile: repo + "/experiments/skeleton/report.json", atomically: true, encoding: .utf8)
        try git(["add", "."], in: repo)
        try git(["commit", "-q", "-m", "skeleton"], in: repo)
        let here = FileManager.default.currentDirectoryPath
        _ = FileManager.default.changeCurrentDirectoryPath(repo)
        addTeardownBlock { _ = FileManager.default.changeCurrentDirectoryPath(here) }
        return repo
    }

    func testRunResumeAndReport() throws {
        let repo = try skeletonRepository(select: "full", metric: "score")
        let db = repo + "/.lab/ledger.sqlite"

        skeletonExecutions = []
        try Skeleton.run(options: try LabOptions.parse(["--full", "--db", db, "--threads", "1"]))
        XCTAssertEqual(skeletonExecutions.count, 14)
        let ledger = try Ledger(path: db)
        let runs = try ledger.runs(Ledger.Filter(experiment: "skeleton", status: .finished))
        XCTAssertEqual(runs.count, 14)
        let child = try XCTUnwrap(runs.first { $0.cell == "child,width=16,bonus=0.5" && $0.seed == 3 })
        XCTAssertEqual(child.summary["score"] ?? .nan, 0.16 + 0.5 + 0.003, accuracy: 1e-12)
        XCTAssertEqual(child.overrides["planned_seeds"], "1,2,3")
        let base = try XCTUnwrap(runs.first { $0.cell == "base,width=16" })
        XCTAssertEqual(child.parentID, base.id)
        XCTAssertEqual(base.summary["per_group.a"], 0.25)
        XCTAssertNil(base.summary["per_group.b"])

        // Resume: nothing runs again at the same commit and config.
        skeletonExecutions = []
        try Skeleton.run(options: try LabOptions.parse(["--full", "--db", db]))
        XCTAssertEqual(skeletonExecutions, [])
        // --force with --only reruns the selected cell only; its parent is reused.
        try Skeleton.run(options: try LabOptions.parse(["--full", "--db", db, "--force", "--only", "child,width=8,bonus=0.0", "--seed", "2"]))
        XCTAssertEqual(skeletonExecutions, ["child,width=8,bonus=0.0 seed 2"])
        // A dry run plans without running.
        skeletonExecutions = []
        try Skeleton.run(options: try LabOptions.parse(["--full", "--db", db, "--dry-run", "--force"]))
        XCTAssertEqual(skeletonExecutions, [])
    }

    func testReportNamingAnUnreportedMetricFails() throws {
        let repo = try skeletonRepository(select: "quick", metric: "scor")
        XCTAssertThrowsError(try Skeleton.run(options: try LabOptions.parse(["--db", repo + "/.lab/l.sqlite"]))) { error in
            XCTAssertTrue("\(error)".contains("scor"), "\(error)")
        }
    }
}
