import Foundation
import Ledger
import XCTest
@testable import Reports

/// The engine the toy runs record.
let toyEngine = RunEnvironment.Engine(blasCore: "TestCore (test)", kernelISA: "scalar", threads: 1)

/// Reports against a real temporary git repository and a real ledger: regeneration byte for byte,
/// `--check` catching a hand edit, the audit's findings, and `lab reproduce` of an older commit.
final class ReportsTests: XCTestCase {
    var root = ""
    var ledger: Ledger!

    func sh(_ args: [String]) throws {
        try Reproduce.git(["-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"] + args, in: root)
    }

    func write(_ text: String, _ path: String) throws {
        let full = root + "/" + path
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: full, atomically: true, encoding: .utf8)
    }

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "reports-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        addTeardownBlock { [root] in try? FileManager.default.removeItem(atPath: root) }
        try sh(["init", "-q"])
        try write(".lab/\n", ".gitignore")
        try write("""
        {"experiment": "toy", "title": "Toy scaling", "paper": "papers/toy.md", "notebook": "experiments/toy/main.swift",
         "select": {"role": "toy"}, "x": {"key": "n", "label": "tasks"}, "series": {"key": "size", "label": "size"},
         "metrics": [{"key": "score", "label": "score", "percent": true}, {"key": "loss", "label": "loss"}],
         "setup": [{"key": "params", "label": "parameters", "digits": 0}], "setup_config": ["steps"],
         "claims": [{"id": "up", "text": "Score rises with tasks", "metric": "score", "from": 0, "direction": "increase", "min_effect": 0.05}],
         "plots": [{"kind": "line", "metric": "score", "title": "Score"}, {"kind": "bars", "metric": "loss", "title": "Loss"}]}
        """, "experiments/toy/report.json")
        try write("// the toy notebook\n", "experiments/toy/main.swift")
        try write("# Toy\n<!-- report:claim -->\nThe paper says score rises (from 1.0 to 2.0).\n<!-- /report:claim -->\n", "papers/toy.md")
        try write("let engine = 1\n", "Sources/Engine/engine.swift")
        try sh(["add", "."])
        try sh(["commit", "-q", "-m", "first"])
        ledger = try Ledger(path: root + "/.lab/ledger.sqlite")
    }

    struct ToyConfig: Codable { var role = "toy"; var size: String; var n: Int; var steps = 10 }

    /// Records one finished toy run.
    @discardableResult
    func recordRun<C: Codable>(_ config: C, cell: String, seed: Int64, summary: [String: Double], overrides: [String: String] = [:]) throws -> String {
        let run = try ledger.startRun(try Ledger.RunSpec(experiment: "toy", cell: cell, seed: seed, config: config, engine: toyEngine, overrides: overrides),
                                      directory: root, warn: { _ in })
        try run.finish(summary: summary)
        return run.id
    }

    /// Seed noise that differs between cells (so paired differences have spread): 0.002 * (seed * (n + 3) mod 7).
    static func noise(_ seed: Int64, _ n: Int) -> Double { 0.002 * Double(seed * Int64(n + 3) % 7) }

    /// Records finished toy runs: score = 0.1 * n / 16 + seed noise (so the effect is clear).
    @discardableResult
    func record(sizes: [String] = ["A", "B"], ns: [Int] = [0, 4, 16], seeds: [Int64] = [1, 2, 3], overrides: [String: String] = [:]) throws -> [String] {
        var ids: [String] = []
        for size in sizes {
            for n in ns {
                for seed in seeds {
                    let spec = try Ledger.RunSpec(experiment: "toy", cell: "size=\(size),n=\(n)", seed: seed, config: ToyConfig(size: size, n: n), engine: toyEngine, overrides: overrides)
                    let run = try ledger.startRun(spec, directory: root, warn: { _ in })
                    for step in 1...5 { run.log(.trainLoss, step: step, 1.0 / Double(step)) }
                    try run.finish(summary: ["score": 0.1 * Double(n) / 16 + 0.01 * Double(seed) + Self.noise(seed, n) + (size == "B" ? 0.05 : 0),
                                             "loss": 2 - Double(n) / 16, "params": size == "A" ? 1000 : 4000])
                    ids.append(run.id)
                }
            }
        }
        return ids
    }

    func testReportRegeneratesByteForByteAndCheckCatchesHandEdits() throws {
        try record()
        let files = try Tables.generate(experiment: "toy", root: root, ledger: ledger)
        XCTAssertEqual(files.map(\.name), ["toy.runs.jsonl", "toy.md", "toy-score-line.svg", "toy-loss-bars.svg"])
        try Tables.write(files, root: root)
        XCTAssertEqual(try Tables.check(experiment: "toy", root: root), [])
        // The same runs give the same bytes, from the ledger and from the committed records alike.
        let again = try Tables.generate(experiment: "toy", root: root, ledger: ledger)
        XCTAssertEqual(again.map(\.content), files.map(\.content))
        let md = files[1].content
        XCTAssertTrue(md.contains("**Score rises with tasks**: **replicated** at this scale."), md)
        XCTAssertTrue(md.contains("The paper says score rises"))
        XCTAssertTrue(md.contains("| A | 16 | 3 |"), md)
        XCTAssertTrue(md.contains("![Score](toy-score-line.svg)"))
        XCTAssertTrue(files[2].content.hasPrefix("<svg") && files[2].content.contains("<polygon"))
        XCTAssertEqual(Audit.citedRuns(md)?.count, 18)

        // A hand edit is caught.
        try (md.replacingOccurrences(of: "replicated", with: "REPLICATED")).write(toFile: root + "/ablations/toy.md", atomically: true, encoding: .utf8)
        XCTAssertEqual(try Tables.check(experiment: "toy", root: root), ["ablations/toy.md (differs)"])
        // So is a missing plot.
        try FileManager.default.removeItem(atPath: root + "/ablations/toy-loss-bars.svg")
        XCTAssertTrue(try Tables.check(experiment: "toy", root: root).contains("ablations/toy-loss-bars.svg (missing)"))
    }

    func testMissingSeedIsFlaggedAndFewSeedsAreInconclusive() throws {
        try record(sizes: ["A"], ns: [0, 16], seeds: [1, 2, 3])
        try record(sizes: ["A"], ns: [4], seeds: [1, 2])
        var md = try Tables.generate(experiment: "toy", root: root, ledger: ledger)[1].content
        XCTAssertTrue(md.contains("| A | 4 | 2 ⚠ |"), md)
        XCTAssertTrue(md.contains("missing seed 3"), md)

        // One seed per cell: no interval, so the verdict cannot be "replicated".
        let fresh = try Ledger(path: root + "/.lab/other.sqlite")
        ledger = fresh
        try record(sizes: ["A"], ns: [0, 16], seeds: [1])
        md = try Tables.generate(experiment: "toy", root: root, ledger: fresh)[1].content
        XCTAssertTrue(md.contains("**inconclusive**"), md)
    }

    func testVerdictNotReplicatedWhenTheEffectIsRuledOut() throws {
        // Score falls with n: the interval lies below min_effect.
        for n in [0, 16] {
            for seed: Int64 in [1, 2, 3] {
                let run = try ledger.startRun(try Ledger.RunSpec(experiment: "toy", cell: "n=\(n)", seed: seed, config: ToyConfig(size: "A", n: n), engine: toyEngine), directory: root, warn: { _ in })
                try run.finish(summary: ["score": 0.5 - 0.01 * Double(n) + Self.noise(seed, n), "loss": 1, "params": 1000])
            }
        }
        let md = try Tables.generate(experiment: "toy", root: root, ledger: ledger)[1].content
        XCTAssertTrue(md.contains("**not replicated**"), md)
    }

    func testAuditPassesThenFlagsStaleDirtyAndForeignRuns() throws {
        try record(sizes: ["A"], ns: [0, 16])
        try Tables.write(try Tables.generate(experiment: "toy", root: root, ledger: ledger), root: root)
        try sh(["add", "."])
        try sh(["commit", "-q", "-m", "report"])
        var result = try Audit.audit(report: root + "/ablations/toy.md", root: root, ledger: ledger)
        XCTAssertTrue(result.passed, "\(result.findings)")
        XCTAssertEqual(result.runsChecked, 6)

        // Presentation-only change: not stale.
        try write((try String(contentsOfFile: root + "/experiments/toy/report.json", encoding: .utf8)) + "\n", "experiments/toy/report.json")
        try sh(["commit", "-qam", "spec whitespace"])
        XCTAssertTrue(try Audit.audit(report: root + "/ablations/toy.md", root: root, ledger: ledger).passed)
        // A change to the reports' own code renders the same records differently; it cannot change them.
        try write("// renderer\n", "Sources/Reports/render.swift")
        try sh(["add", "."])
        try sh(["commit", "-qm", "renderer change"])
        XCTAssertTrue(try Audit.audit(report: root + "/ablations/toy.md", root: root, ledger: ledger).passed)

        // A change to the engine makes every run stale, listed per cell.
        try write("let engine = 2\n", "Sources/Engine/engine.swift")
        try sh(["commit", "-qam", "engine change"])
        result = try Audit.audit(report: root + "/ablations/toy.md", root: root, ledger: ledger)
        XCTAssertFalse(result.passed)
        XCTAssertEqual(result.staleCells.map(\.cell), ["size=A,n=0", "size=A,n=16"])
        XCTAssertEqual(result.staleCells.first?.files, ["Sources/Engine/engine.swift"])

        // A run made on a dirty tree is flagged.
        try write("let engine = 3\n", "Sources/Engine/engine.swift")
        let dirtyRun = try ledger.startRun(try Ledger.RunSpec(experiment: "toy", cell: "size=A,n=4", seed: 1, config: ToyConfig(size: "A", n: 4), engine: toyEngine), directory: root, warn: { _ in })
        try dirtyRun.finish(summary: ["score": 0.3, "loss": 1])
        try sh(["checkout", "--", "Sources/Engine/engine.swift"])
        try Tables.write(try Tables.generate(experiment: "toy", root: root, ledger: ledger), root: root)
        result = try Audit.audit(report: root + "/ablations/toy.md", root: root, ledger: ledger)
        XCTAssertEqual(result.findings.filter { $0.kind == .dirty }.map(\.run), [dirtyRun.id])
        XCTAssertTrue(try Audit.audit(report: root + "/ablations/toy.md", root: root, ledger: ledger, allowDirty: true).findings.allSatisfy { $0.kind != .dirty })

        // A run at a commit this repository does not have, and one at a commit HEAD does not descend from.
        let recordsPath = root + "/ablations/toy.runs.jsonl"
        var records = try Tables.decode(try String(contentsOfFile: recordsPath, encoding: .utf8), source: "toy")
        records[0].run.code.commit = String(repeating: "ab", count: 20)
        try sh(["checkout", "-q", "-b", "side", "HEAD~1"])
        try write("side\n", "side.txt")
        try sh(["add", "side.txt"])
        try sh(["commit", "-qm", "side"])
        let sideCommit = try GitHistory(at: root).head()!
        try sh(["checkout", "-q", "-"])
        records[1].run.code.commit = sideCommit
        try Tables.write([("toy.runs.jsonl", try Tables.encode(records))], root: root)
        result = try Audit.audit(report: root + "/ablations/toy.md", root: root, ledger: nil)
        XCTAssertEqual(result.findings.filter { $0.kind == .unknownCommit }.map(\.run), [records[0].run.id])
        XCTAssertEqual(result.findings.filter { $0.kind == .notAncestor }.map(\.run), [records[1].run.id])
        // Edited records no longer give the committed report.
        XCTAssertFalse(result.findings.filter { $0.kind == .regenerate }.isEmpty)
    }

    /// `lab runs` headlines each run with its experiment's primary metric (the first claim's), named in the header.
    func testRunsHeadlinesThePrimaryMetric() throws {
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("lab").path
        guard FileManager.default.isExecutableFile(atPath: exe) else { throw XCTSkip("the lab executable is not built next to the tests (\(exe))") }
        try record(sizes: ["A"], ns: [16], seeds: [1])
        func runs(_ args: [String]) throws -> [String] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: exe)
            p.arguments = ["runs", "--db", ledger.path] + args
            p.currentDirectoryURL = URL(fileURLWithPath: root)
            let out = Pipe()
            p.standardOutput = out
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 0)
            return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
        }
        var lines = try runs([])
        XCTAssertTrue(lines.first?.hasSuffix("  score") == true, "\(lines)")
        XCTAssertTrue(lines.last?.hasSuffix(String(format: "  %.4f", 0.11 + Self.noise(1, 16))) == true, "\(lines)")
        // An experiment without a report spec falls back (eval_loss, heldout_loss, else the first key), named per run.
        let run = try ledger.startRun(try Ledger.RunSpec(experiment: "other", cell: "c", seed: 1, config: ToyConfig(size: "A", n: 0), engine: toyEngine),
                                      directory: root, warn: { _ in })
        try run.finish(summary: ["zeta": 1, "heldout_loss": 2.5])
        lines = try runs([])
        XCTAssertTrue(lines.first?.hasSuffix("  main metric") == true, "\(lines)")
        XCTAssertTrue(lines.last?.hasSuffix("  heldout_loss=2.5000") == true, "\(lines)")
    }

    func testReproduceAnOlderCommitExactly() throws {
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("lab").path
        guard FileManager.default.isExecutableFile(atPath: exe) else { throw XCTSkip("the lab executable is not built next to the tests (\(exe))") }
        // The cell's command is a script in the repository; commit B changes it, so only a checkout of
        // commit A reproduces the run.
        func script(steps: Int) -> String {
            "#!/bin/sh\nexec \"$LAB_EXE\" demo --corpus-mb 0.2 --vocab 300 --steps \(steps) --batch 2 --context 16 --width 16 --layers 1 --heads 2 --threads 1 --out .lab/demo\n"
        }
        try write(script(steps: 3), "run.sh")
        try sh(["add", "run.sh"])
        try sh(["commit", "-qm", "A"])
        setenv("LAB_EXE", exe, 1)
        setenv("LAB_RERUN", "sh run.sh", 1)
        defer { unsetenv("LAB_RERUN") }
        let status = try Reproduce.execute(["sh", "run.sh"], in: root, extraEnv: ["LAB_DB": ledger.path])
        XCTAssertEqual(status, 0)
        let original = try XCTUnwrap(ledger.runs(Ledger.Filter(experiment: "demo")).last)
        XCTAssertEqual(original.rerun?.command, ["sh", "run.sh"])
        XCTAssertFalse(original.code.dirty)

        try write(script(steps: 5), "run.sh")
        try sh(["commit", "-qam", "B"])
        // The ledger named by a relative path (as `--db .lab/ledger.sqlite` gives it): the child must still
        // record into this file, not into one inside its temporary worktree.
        let here = FileManager.default.currentDirectoryPath
        _ = FileManager.default.changeCurrentDirectoryPath(root)
        defer { _ = FileManager.default.changeCurrentDirectoryPath(here) }
        let relative = try Ledger(path: ".lab/ledger.sqlite")
        let out = try Reproduce.run(original.id, ledger: relative, root: root, say: { _ in })
        XCTAssertTrue(out.passed && out.exact, "\(out.comparisons)")
        XCTAssertEqual(out.reproduction.parentID, original.id)
        XCTAssertEqual(out.reproduction.code.commit, original.code.commit)
        XCTAssertNotNil(out.original.summary["heldout_loss"])
        // The worktree is gone and the repository's worktree list is clean.
        XCTAssertFalse(FileManager.default.fileExists(atPath: NSTemporaryDirectory() + "lab-reproduce-\(original.id.prefix(8))-\(getpid())"))

        // A tampered original no longer reproduces.
        XCTAssertFalse(Reproduce.compare(original, { var r = out.reproduction; r.summary["heldout_loss"]! += 1e-6; return r }()).allSatisfy(\.ok))
    }
}
