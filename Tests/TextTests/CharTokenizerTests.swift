import XCTest
@testable import Text

final class CharTokenizerTests: XCTestCase {
    func testRoundTripAndErrors() throws {
        let t = CharTokenizer()
        XCTAssertEqual(t.encode("Ab\n"), [65, 98, 10])
        XCTAssertEqual(try t.decode(t.encode("### x >> y\n")), "### x >> y\n")
        XCTAssertThrowsError(try t.decode([200]))
        XCTAssertThrowsError(try t.validate("café"))
        XCTAssertNoThrow(try t.validate("cafe"))
        XCTAssertEqual(t.id("\n"), 10)
    }

    func testBothTokenizersSatisfyTheProtocol() throws {
        let bpe = try BPETokenizer(merges: [(97, 98)])
        let tokenizers: [any Tokenizer] = [CharTokenizer(), bpe]
        for t in tokenizers { XCTAssertEqual(try t.decode(t.encode("abc")), "abc") }
        XCTAssertEqual(bpe.encode("abc"), [256, 99])
    }
}
