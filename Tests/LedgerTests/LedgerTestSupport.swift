import Foundation
import XCTest
@testable import Ledger

/// A fresh temporary directory, removed at the end of the test.
func temporaryDirectory(_ test: XCTestCase) throws -> String {
    let dir = NSTemporaryDirectory() + "ledger-test-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
    return dir
}

/// Runs git (the CLI sets up fixture repositories; the ledger itself reads them through libgit2).
@discardableResult
func git(_ args: [String], in dir: String) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"] + args
    p.currentDirectoryURL = URL(fileURLWithPath: dir)
    let out = Pipe()
    p.standardOutput = out
    p.standardError = Pipe()
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { throw LedgerError.invalid("git \(args.joined(separator: " ")) failed", hint: dir) }
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}

/// A repository with one commit of `a.txt` and a .gitignore ignoring `*.log`.
func makeRepository(_ test: XCTestCase) throws -> String {
    let dir = try temporaryDirectory(test)
    try git(["init", "-q"], in: dir)
    try "one\n".write(toFile: dir + "/a.txt", atomically: true, encoding: .utf8)
    try "*.log\n.lab/\n".write(toFile: dir + "/.gitignore", atomically: true, encoding: .utf8)
    try git(["add", "."], in: dir)
    try git(["commit", "-q", "-m", "first"], in: dir)
    return dir
}

struct TinyConfig: Codable { var lr: Double; var layers: Int; var name: String }

/// The engine test runs record (the ledger is handed it; it never reads Tensor).
let testEngine = RunEnvironment.Engine(blasCore: "TestCore (test)", kernelISA: "scalar", threads: 1)

func spec(_ cell: String = "c1", seed: Int64 = 1, lr: Double = 0.001) throws -> Ledger.RunSpec {
    try Ledger.RunSpec(experiment: "exp-test", cell: cell, seed: seed, config: TinyConfig(lr: lr, layers: 2, name: "tiny"), engine: testEngine,
                       overrides: ["lr": "\(lr)"])
}
