import XCTest
@testable import Training

final class InstructionRowsTests: XCTestCase {
    let examples = [InstructionExample(prompt: [1, 2, 3], answer: [4, 10]), InstructionExample(prompt: [5], answer: [6, 7, 10]),
                    InstructionExample(prompt: Array(repeating: 1, count: 9), answer: [2, 10])]

    func testUnpackedRowsCarryLossOnAnswersOnly() {
        let r = InstructionRows(examples, context: 8)
        XCTAssertEqual(r.dropped, 1, "the third example needs 11 tokens, more than context + 1")
        XCTAssertEqual(r.rows.count, 2)
        XCTAssertEqual(r.rows[0].inputs, [1, 2, 3, 4, 0, 0, 0, 0])
        XCTAssertEqual(r.rows[0].targets, [-1, -1, 4, 10, -1, -1, -1, -1])
        XCTAssertEqual(r.rows[1].inputs, [5, 6, 7, 0, 0, 0, 0, 0])
        XCTAssertEqual(r.rows[1].targets, [6, 7, 10, -1, -1, -1, -1, -1])
        XCTAssertEqual(r.lossTokens, 5)
    }

    func testPackedRowsKeepTheSameLossTokens() {
        let r = InstructionRows(Array(examples.prefix(2)), context: 8, packed: true)
        XCTAssertEqual(r.rows.count, 1)
        XCTAssertEqual(r.rows[0].inputs, [1, 2, 3, 4, 10, 5, 6, 7])
        XCTAssertEqual(r.rows[0].targets, [-1, -1, 4, 10, -1, 6, 7, 10])
        XCTAssertEqual(r.lossTokens, InstructionRows(Array(examples.prefix(2)), context: 8).lossTokens)
    }

    func testReplayMixHitsItsLossShare() throws {
        let rows = InstructionRows(Array(repeating: examples[0], count: 10), context: 8).rows
        let stream = (0..<500).map { UInt16($0 % 11) }
        func mix(_ share: Double?) throws -> ReplayMix {
            try ReplayMix(instructions: try ExampleBatcher(examples: rows, batch: 6, seed: 1),
                          replay: try RandomWindowSampler(tokens: stream, batch: 2, context: 8, seed: 2), lossShare: share)
        }
        // Full windows: 2 rows x 8 positions against 6 rows x 2 answer tokens = 16 / 28 of the loss.
        let full = try mix(nil)
        let b = full.next()
        XCTAssertEqual(b.batch, 8)
        XCTAssertEqual(full.realizedLossShare, 16.0 / 28.0, accuracy: 1e-12)
        // A 25% loss share: replay keeps loss on 4 positions (12 x 1/3), the last ones of its rows.
        let quarter = try mix(0.25)
        let q = quarter.next()
        XCTAssertEqual(quarter.realizedLossShare, 0.25, accuracy: 1e-12)
        XCTAssertEqual(Array(q.targets[(6 * 8)...]).map { $0 >= 0 }, [false, false, false, false, false, false, true, true,
                                                                      false, false, false, false, false, false, true, true])
        XCTAssertEqual(Array(q.inputs[(6 * 8)...]), Array(b.inputs[(6 * 8)...]), "the same windows, read whole as context")
        XCTAssertThrowsError(try mix(1.0))
        // The mix resumes exactly.
        let saved = quarter.state
        let next = quarter.next()
        let again = try mix(0.25)
        try again.restore(saved)
        XCTAssertEqual(again.next().inputs, next.inputs)
    }
}
