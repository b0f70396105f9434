import Foundation

/// One instruction example as token ids: the prompt (no loss) and the answer, terminator included (loss).
public struct InstructionExample: Equatable, Sendable {
    public var prompt: [Int32]
    public var answer: [Int32]
    public init(prompt: [Int32], answer: [Int32]) { self.prompt = prompt; self.answer = answer }
}

/// Fixed-length training rows from instruction examples, with loss on the answer tokens only (the
/// prompt's positions carry target -1). Unpacked: one example per row, padded. Packed: examples follow
/// each other in a row until the next would not fit (fewer rows, the same loss-bearing tokens).
public struct InstructionRows: Sendable {
    /// Rows of `context` input ids and `context` targets.
    public var rows: [(inputs: [Int32], targets: [Int32])]
    /// Examples longer than one row (context + 1 tokens), left out.
    public var dropped: Int
    /// Loss-bearing positions over all rows (answer tokens).
    public var lossTokens: Int

    /// Builds the rows; `pad` fills input positions after the last example (their targets are -1).
    public init(_ examples: [InstructionExample], context: Int, packed: Bool = false, pad: Int32 = 0) {
        var rows: [(inputs: [Int32], targets: [Int32])] = []
        var dropped = 0, loss = 0
        // A row is a stream of up to context + 1 tokens; position t predicts token t + 1.
        var stream: [Int32] = [], lossAt: [Bool] = []
        func flush() {
            guard stream.count > 1 else { stream = []; lossAt = []; return }
            var x = [Int32](repeating: pad, count: context), y = [Int32](repeating: -1, count: context)
            for t in 0..<(stream.count - 1) {
                x[t] = stream[t]
                if lossAt[t + 1] { y[t] = stream[t + 1]; loss += 1 }
            }
            rows.append((x, y))
            stream = []; lossAt = []
        }
        for e in examples {
            let n = e.prompt.count + e.answer.count
            guard n <= context + 1, !e.answer.isEmpty else { dropped += 1; continue }
            if !packed || stream.count + n > context + 1 { flush() }
            stream += e.prompt + e.answer
            lossAt += [Bool](repeating: false, count: e.prompt.count) + [Bool](repeating: true, count: e.answer.count)
        }
        flush()
        self.rows = rows; self.dropped = dropped; self.lossTokens = loss
    }

    /// Mean loss-bearing positions per row.
    public var lossTokensPerRow: Double { rows.isEmpty ? 0 : Double(lossTokens) / Double(rows.count) }
}
