import Foundation
import XCTest
@testable import Ledger

final class LedgerTests: XCTestCase {
    func testRunLifecycleMetricsAndProvenance() throws {
        let repo = try makeRepository(self)
        let ledger = try Ledger(path: repo + "/.lab/ledger.sqlite")
        var warnings: [String] = []
        let run = try ledger.startRun(try spec(), directory: repo, warn: { warnings.append($0) })
        XCTAssertTrue(warnings.isEmpty)
        run.log(.trainLoss, step: 1, 2.5)
        run.log(.trainLoss, step: 2, 2.0)
        run.log(.trainLoss, step: 2, 1.9)            // a repeated step: the last value wins
        run.log(step: 3, [.trainLoss: 1.5, .learningRate: 1e-3])
        try "ckpt".write(toFile: repo + "/model.bin", atomically: true, encoding: .utf8)
        try run.addArtifact(path: repo + "/model.bin", kind: "checkpoint")
        XCTAssertEqual(try ledger.run(run.id).status, .running)
        try run.finish(summary: ["eval_loss": 1.4])
        let r = try ledger.run(String(run.id.prefix(6)))
        XCTAssertEqual(r.status, .finished)
        XCTAssertEqual(r.summary["eval_loss"], 1.4)
        XCTAssertEqual(r.code.commit, try git(["rev-parse", "HEAD"], in: repo))
        XCTAssertFalse(r.code.dirty, "the ledger lives in an ignored folder: \(r.code.untracked)")
        XCTAssertEqual(r.overrides, ["lr": "0.001"])
        XCTAssertEqual(r.config, .object(["lr": .number(0.001), "layers": .number(2), "name": .string("tiny")]))
        XCTAssertEqual(r.environment.engine, testEngine, "the environment records the engine the caller handed in")
        XCTAssertEqual(r.pid, getpid())
        let m = try ledger.metrics(run.id).filter { $0.key == "train_loss" }
        XCTAssertEqual(m.map(\.step), [1, 2, 3])
        XCTAssertEqual(m.map(\.value), [2.5, 1.9, 1.5])
        let arts = try ledger.artifacts(run.id)
        XCTAssertEqual(arts.first?.sha256, SHA256.hex(Array("ckpt".utf8)))
        XCTAssertEqual(try ledger.runs(Ledger.Filter(commitPrefix: String(r.code.commit!.prefix(7)))).count, 1)
    }

    func testFailureClosesTheRunWithItsReason() throws {
        let repo = try makeRepository(self)
        let ledger = try Ledger(path: repo + "/.lab/l.sqlite")
        struct Boom: Error, CustomStringConvertible { var description: String { "loss is nan at step 7" } }
        let run = try ledger.startRun(try spec(), directory: repo)
        XCTAssertThrowsError(try run.run { r in r.log(.trainLoss, step: 1, 3); throw Boom() })
        let r = try ledger.run(run.id)
        XCTAssertEqual(r.status, .failed)
        XCTAssertEqual(r.error, "loss is nan at step 7")
        XCTAssertEqual(try ledger.metrics(run.id).count, 1, "points logged before the failure are kept")
    }

    func testDirtyTreePolicyAndNoRepositoryWarning() throws {
        let repo = try makeRepository(self)
        try "changed\n".write(toFile: repo + "/a.txt", atomically: true, encoding: .utf8)
        let ledger = try Ledger(path: repo + "/.lab/l.sqlite")
        XCTAssertThrowsError(try ledger.startRun(try spec(), directory: repo, requireClean: true)) { error in
            XCTAssertTrue("\(error)".contains("dirty"), "\(error)")
        }
        XCTAssertEqual(try ledger.runs().count, 0, "a refused run leaves no record")
        let dirty = try ledger.startRun(try spec(), directory: repo)
        try dirty.finish()
        let r = try ledger.run(dirty.id)
        XCTAssertTrue(r.code.dirty)
        XCTAssertTrue(try XCTUnwrap(try ledger.patch(r.code.diffSHA256!)).contains("+changed"))

        let plain = try temporaryDirectory(self)
        var warned = ""
        let outside = try ledger.startRun(try spec(), directory: plain, warn: { warned = $0 })
        try outside.finish()
        XCTAssertTrue(warned.contains("not inside a git repository"))
        XCTAssertFalse(try ledger.run(outside.id).code.isRepository)
    }

    func testDeadProcessReadsAsCrashed() throws {
        let dir = try temporaryDirectory(self)
        let ledger = try Ledger(path: dir + "/l.sqlite")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/true")
        try p.run(); p.waitUntilExit()
        let run = try ledger.startRun(try spec(), directory: dir, warn: { _ in })
        try run.sync()
        // Pretend the run belonged to the process that just exited.
        try ledger.db.run("UPDATE runs SET pid = ? WHERE id = ?", [.int(Int64(p.processIdentifier)), .text(run.id)])
        XCTAssertEqual(try ledger.run(run.id).status, .crashed)
        XCTAssertEqual(try ledger.runs(Ledger.Filter(status: .crashed)).map(\.id), [run.id])
        // A stale heartbeat from another host reads as crashed too.
        try ledger.db.run("UPDATE runs SET host = 'elsewhere', heartbeat_at = ? WHERE id = ?", [.real(Date().timeIntervalSince1970 - 600), .text(run.id)])
        XCTAssertEqual(try ledger.run(run.id).status, .crashed)
    }

    func testExportImportRoundTripIsLossless() throws {
        let repo = try makeRepository(self)
        try "dirty\n".write(toFile: repo + "/a.txt", atomically: true, encoding: .utf8)
        let a = try Ledger(path: repo + "/.lab/a.sqlite")
        for seed in 1...2 {
            let r = try a.startRun(try spec(seed: Int64(seed)), directory: repo)
            for s in 0..<50 { r.log(.trainLoss, step: s, 1.0 / Double(s + 1)) }
            try r.finish(summary: ["eval_loss": Double(seed)])
        }
        let exported = try a.export()
        let b = try Ledger(path: repo + "/.lab/b.sqlite")
        XCTAssertEqual(try b.importRuns(exported).imported, 2)
        let reexported = try b.export()
        XCTAssertEqual(reexported, exported)
        let enc = JSONEncoder(); enc.outputFormatting = [.sortedKeys]
        XCTAssertEqual(try reexported.map { try enc.encode($0) }, try exported.map { try enc.encode($0) })
        XCTAssertEqual(try b.importRuns(exported).skipped, 2, "importing again changes nothing")
        var tampered = exported[0]
        tampered.metrics[3].value = 99
        XCTAssertThrowsError(try b.importRuns([tampered])) { XCTAssertTrue("\($0)".contains("different content"), "\($0)") }
        XCTAssertNotNil(exported[0].patch)
    }

    func testRefusesForeignCorruptAndNewerDatabasesWithoutTouchingThem() throws {
        let dir = try temporaryDirectory(self)
        // Foreign: a SQLite file with someone else's tables.
        let foreign = dir + "/foreign.sqlite"
        do { let db = try SQLiteDatabase(path: foreign, create: true); try db.exec("CREATE TABLE customers(id INTEGER)") }
        let before = try Data(contentsOf: URL(fileURLWithPath: foreign))
        XCTAssertThrowsError(try Ledger(path: foreign)) { XCTAssertTrue("\($0)".contains("not a lab ledger"), "\($0)") }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: foreign)), before)
        // Corrupt: not a database at all.
        let corrupt = dir + "/corrupt.sqlite"
        let junk = Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        try junk.write(to: URL(fileURLWithPath: corrupt))
        XCTAssertThrowsError(try Ledger(path: corrupt)) { XCTAssertTrue("\($0)".contains("corrupt"), "\($0)") }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: corrupt)), junk)
        // Newer: a ledger that lists a migration this build does not know.
        let newer = dir + "/newer.sqlite"
        do {
            let l = try Ledger(path: newer)
            try l.db.run("INSERT INTO lab_migrations(name, applied_at) VALUES ('999_from_the_future', 0)")
        }
        XCTAssertThrowsError(try Ledger(path: newer)) { XCTAssertTrue("\($0)".contains("newer"), "\($0)") }
    }

    func testAmbiguousAndMissingPrefixes() throws {
        let dir = try temporaryDirectory(self)
        let l = try Ledger(path: dir + "/l.sqlite")
        XCTAssertThrowsError(try l.run("abc")) { XCTAssertTrue("\($0)".contains("no run"), "\($0)") }
        for _ in 0..<20 { try l.startRun(try spec(), directory: dir, warn: { _ in }).finish() }
        XCTAssertThrowsError(try l.run("")) 
        let ids = try l.runs().map(\.id)
        let firstChars = Dictionary(grouping: ids, by: { $0.prefix(1) })
        if let (p, _) = firstChars.first(where: { $0.value.count > 1 }) {
            XCTAssertThrowsError(try l.run(String(p))) { XCTAssertTrue("\($0)".contains("ambiguous"), "\($0)") }
        }
    }

    /// Ctrl-C (SIGINT) in the middle of a run closes it as failed, with the points logged so far.
    func testInterruptClosesTheRunAsFailed() throws {
        let dir = try temporaryDirectory(self)
        let path = dir + "/int.sqlite"
        let exe = try labExecutable()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = ["bench", "--ledger", "--rows", "200000000", "--db", path]
        p.standardOutput = Pipe()
        p.standardError = Pipe()
        try p.run()
        // Wait until the run exists, then interrupt it.
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: path), let l = try? Ledger(path: path), let n = try? l.runs().count, n > 0 { break }
            usleep(50_000)
        }
        usleep(300_000)
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 128 + SIGINT)
        let runs = try Ledger(path: path).runs()
        XCTAssertEqual(runs.count, 1)
        XCTAssertEqual(runs.first?.status, .failed)
        XCTAssertEqual(runs.first?.error, "interrupted by SIGINT")
    }

    func labExecutable() throws -> String {
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("lab").path
        guard FileManager.default.isExecutableFile(atPath: exe) else {
            throw LedgerError.invalid("the lab executable is not built next to the tests (\(exe))", hint: "run `swift build` first")
        }
        return exe
    }

    /// Four processes log 10,000 rows each into one ledger at once; every row arrives.
    func testConcurrentProcessesLoseNoRow() throws {
        let dir = try temporaryDirectory(self)
        let path = dir + "/shared.sqlite"
        _ = try Ledger(path: path)
        let exe = try labExecutable()
        let procs = (0..<4).map { _ -> Process in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: exe)
            p.arguments = ["bench", "--ledger", "--rows", "10000", "--db", path, "--json"]
            p.standardOutput = Pipe()
            return p
        }
        for p in procs { try p.run() }
        for p in procs { p.waitUntilExit(); XCTAssertEqual(p.terminationStatus, 0) }
        let l = try Ledger(path: path)
        let runs = try l.runs()
        XCTAssertEqual(runs.count, 4)
        for r in runs {
            XCTAssertEqual(r.status, .finished)
            XCTAssertEqual(try l.metrics(r.id).count, 10_000, "run \(r.id)")
        }
    }
}
