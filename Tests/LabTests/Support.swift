import Foundation
import XCTest

/// A fresh temporary directory, removed at the end of the test.
func temporaryDirectory(_ test: XCTestCase) throws -> String {
    let dir = NSTemporaryDirectory() + "lab-test-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
    return dir
}

/// Runs git in `dir` (fixture repositories; the ledger reads them through libgit2).
func git(_ args: [String], in dir: String) throws {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"] + args
    p.currentDirectoryURL = URL(fileURLWithPath: dir)
    p.standardOutput = Pipe(); p.standardError = Pipe()
    try p.run(); p.waitUntilExit()
    guard p.terminationStatus == 0 else { throw NSError(domain: "git", code: Int(p.terminationStatus), userInfo: [NSLocalizedDescriptionKey: args.joined(separator: " ")]) }
}

/// A repository with one commit, ignoring the ledger folder.
func makeRepository(_ test: XCTestCase) throws -> String {
    let dir = try temporaryDirectory(test)
    try git(["init", "-q"], in: dir)
    try ".lab/\n".write(toFile: dir + "/.gitignore", atomically: true, encoding: .utf8)
    try git(["add", "."], in: dir)
    try git(["commit", "-q", "-m", "first"], in: dir)
    return dir
}
