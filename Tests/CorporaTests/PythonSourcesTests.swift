import XCTest
@testable import Corpora

final class PythonSourcesTests: XCTestCase {
    func testLoadsRealSourcesAndSplitsWholeFiles() throws {
        let corpus = try PythonSources.load(maxBytes: 300_000)
        XCTAssertGreaterThan(corpus.files.count, 5)
        XCTAssertTrue(corpus.files.contains { String(decoding: $0.bytes, as: UTF8.self).contains("def ") })
        let (train, held) = corpus.split(heldOutEvery: 5)
        XCTAssertEqual(train.count + held.count, corpus.files.count)
        XCTAssertTrue(Set(train.map(\.path)).isDisjoint(with: held.map(\.path)))
        XCTAssertThrowsError(try PythonSources.load(maxBytes: 10, python: "no-such-python"))
    }
}
