import Foundation
import XCTest
@testable import Ledger

/// Exported run records read the same on any clone: artifact paths relative to the ledger's directory
/// (or the repository root), no working-tree path; the ledger still hands out usable absolute paths.
final class ArtifactPathTests: XCTestCase {
    /// A finished run in `repo` with a checkpoint under the ledger's directory and a log in the repository.
    func makeRun(_ ledger: Ledger, repo: String) throws -> String {
        let run = try ledger.startRun(try spec(), directory: repo, warn: { _ in })
        let dir = ledger.directory + "/artifacts/exp-test/\(run.id)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "ckpt".write(toFile: dir + "/model.bin", atomically: true, encoding: .utf8)
        try run.addArtifact(path: dir + "/model.bin", kind: "checkpoint")
        try "log".write(toFile: repo + "/train.log", atomically: true, encoding: .utf8)   // ignored by the fixture
        try run.addArtifact(path: repo + "/train.log", kind: "log")
        try run.finish(summary: ["eval_loss": 1])
        return run.id
    }

    func testExportedRecordHoldsNoAbsolutePathAndRoundTripsIntoAnotherDirectory() throws {
        let repo = try makeRepository(self)
        let a = try Ledger(path: repo + "/.lab/ledger.sqlite")
        let id = try makeRun(a, repo: repo)
        // Here the ledger hands out absolute paths, as before.
        let local = try a.artifacts(id)
        XCTAssertEqual(Set(local.map(\.path)), [a.directory + "/artifacts/exp-test/\(id)/model.bin", repo + "/train.log"])
        XCTAssertTrue(local.allSatisfy { $0.relativeTo == nil && FileManager.default.fileExists(atPath: $0.path) })

        let exported = try a.export()
        let enc = JSONEncoder(); enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: try enc.encode(exported), as: UTF8.self)
        XCTAssertFalse(json.contains(repo), "an exported record holds a path of this machine: \(json)")
        XCTAssertFalse(json.contains("\"/"), "an exported record holds an absolute path: \(json)")
        XCTAssertNil(exported[0].run.code.root)
        XCTAssertEqual(exported[0].artifacts.map(\.path), ["artifacts/exp-test/\(id)/model.bin", "train.log"])
        XCTAssertEqual(exported[0].artifacts.map(\.relativeTo), [.ledger, .repository])
        XCTAssertTrue(json.contains("\"relative_to\":\"ledger\""), json)

        // Another directory: the record imports, resolves against the new ledger, and exports identically.
        let other = try temporaryDirectory(self)
        let b = try Ledger(path: other + "/db/ledger.sqlite")
        XCTAssertEqual(try b.importRuns(exported).imported, 1)
        let checkpoint = try XCTUnwrap(try b.artifacts(id).first { $0.kind == "checkpoint" })
        XCTAssertEqual(checkpoint.path, other + "/db/artifacts/exp-test/\(id)/model.bin")
        XCTAssertEqual(try b.export(), exported)
        XCTAssertEqual(try b.importRuns(exported).skipped, 1, "importing again changes nothing")
    }

    func testOldRecordsWithAbsolutePathsKeepWorking() throws {
        let repo = try makeRepository(self)
        let a = try Ledger(path: repo + "/.lab/ledger.sqlite")
        let id = try makeRun(a, repo: repo)
        let absolute = a.directory + "/artifacts/exp-test/\(id)/model.bin"

        // A row written before migration 003 (absolute path, no anchor) reads as before and exports relative.
        try a.db.run("UPDATE artifacts SET path = ?, relative_to = NULL WHERE kind = 'checkpoint'", [.text(absolute)])
        XCTAssertEqual(try a.artifacts(id).first { $0.kind == "checkpoint" }?.path, absolute)
        let exported = try a.export()
        XCTAssertEqual(exported[0].artifacts.first { $0.kind == "checkpoint" }?.path, "artifacts/exp-test/\(id)/model.bin")

        // An old export (absolute paths, a working-tree root) imports: into the ledger it came from it is the
        // same run (skipped); into another directory its paths stay absolute, still pointing at the files.
        var old = exported[0]
        old.run.code.root = repo + "/"
        old.artifacts = try a.artifacts(id)
        XCTAssertEqual(try a.importRuns([old]).skipped, 1)
        let c = try Ledger(path: try temporaryDirectory(self) + "/ledger.sqlite")
        XCTAssertEqual(try c.importRuns([old]).imported, 1)
        XCTAssertEqual(try c.artifacts(id).first { $0.kind == "checkpoint" }?.path, absolute)
        XCTAssertNil(try c.run(id).code.root, "another machine's working-tree path is not kept")
        XCTAssertEqual(try c.export()[0].artifacts.first { $0.kind == "checkpoint" }.map { ($0.path, $0.relativeTo) }.map { "\($0.0) \($0.1.map(\.rawValue) ?? "absolute")" },
                       "\(absolute) absolute")
    }
}
