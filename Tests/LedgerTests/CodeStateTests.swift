import Foundation
import XCTest
@testable import Ledger

final class CodeStateTests: XCTestCase {
    func testCleanRepository() throws {
        let repo = try makeRepository(self)
        let s = try Git.capture(at: repo).state
        XCTAssertTrue(s.isRepository)
        XCTAssertEqual(s.commit, try git(["rev-parse", "HEAD"], in: repo))
        XCTAssertEqual(s.branch, "main")
        XCTAssertFalse(s.detached)
        XCTAssertFalse(s.dirty)
        XCTAssertNil(s.diffSHA256)
        XCTAssertTrue(s.untracked.isEmpty)
    }

    func testDirtyTreeRecordsStagedUnstagedAndUntracked() throws {
        let repo = try makeRepository(self)
        try "one\ntwo\n".write(toFile: repo + "/a.txt", atomically: true, encoding: .utf8)        // unstaged
        try "staged\n".write(toFile: repo + "/b.txt", atomically: true, encoding: .utf8)
        try git(["add", "b.txt"], in: repo)                                                         // staged
        try "new\n".write(toFile: repo + "/c.txt", atomically: true, encoding: .utf8)             // untracked
        try "noise\n".write(toFile: repo + "/run.log", atomically: true, encoding: .utf8)         // ignored
        let captured = try Git.capture(at: repo)
        let s = captured.state
        XCTAssertTrue(s.dirty)
        let patch = try XCTUnwrap(captured.patch)
        XCTAssertTrue(patch.contains("+two"), patch)
        XCTAssertTrue(patch.contains("+staged"), patch)
        XCTAssertEqual(s.diffSHA256, SHA256.hex(Array(patch.utf8)))
        XCTAssertEqual(s.untracked.map(\.path), ["c.txt"])
        XCTAssertEqual(s.untracked.first?.sha256, SHA256.hex(Array("new\n".utf8)))
        // The stored patch applies to the commit and gives back the working tree.
        let clone = try temporaryDirectory(self)
        try git(["clone", "-q", repo, clone], in: repo)
        let patchFile = clone + "/../p-\(UUID().uuidString).patch"
        try patch.write(toFile: patchFile, atomically: true, encoding: .utf8)
        try git(["apply", patchFile], in: clone)
        XCTAssertEqual(try String(contentsOfFile: clone + "/a.txt", encoding: .utf8), "one\ntwo\n")
        XCTAssertEqual(try String(contentsOfFile: clone + "/b.txt", encoding: .utf8), "staged\n")
    }

    func testDetachedHeadAndRemoteCredentialsStripped() throws {
        let repo = try makeRepository(self)
        try git(["remote", "add", "origin", "https://user:s3cret@example.com/team/lab.git"], in: repo)
        try git(["checkout", "-q", "--detach"], in: repo)
        let s = try Git.capture(at: repo).state
        XCTAssertTrue(s.detached)
        XCTAssertNil(s.branch)
        XCTAssertEqual(s.remoteURL, "https://example.com/team/lab.git")
        XCTAssertEqual(Git.stripCredentials("git@github.com:a/b.git"), "git@github.com:a/b.git")
    }

    func testOutsideARepository() throws {
        let dir = try temporaryDirectory(self)
        let s = try Git.capture(at: dir).state
        XCTAssertFalse(s.isRepository)
        XCTAssertNil(s.commit)
    }

    func testSHA256Vectors() {
        XCTAssertEqual(SHA256.hex(Array("".utf8)), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256.hex(Data(repeating: 0x61, count: 1_000_000)), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}
