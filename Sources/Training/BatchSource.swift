import Foundation
import Tensor

/// One training batch: `batch` rows of `context` input ids and their targets (-1 where a position
/// carries no loss, e.g. the prompt of an instruction example).
public struct Batch: Sendable {
    public var inputs: [Int32]
    public var targets: [Int32]
    public var batch: Int
    public init(inputs: [Int32], targets: [Int32], batch: Int) { self.inputs = inputs; self.targets = targets; self.batch = batch }
}

/// A deterministic stream of batches whose position can be saved and restored exactly (for resume).
public protocol BatchSource: AnyObject {
    func next() -> Batch
    /// The position in the stream, as JSON-encodable state.
    var state: BatchSourceState { get }
    func restore(_ state: BatchSourceState) throws
}

/// A batch source's saved position: an RNG state and a cursor.
public struct BatchSourceState: Codable, Equatable, Sendable {
    public var rng: RNG
    public var cursor: Int
    public var epoch: Int
    /// The states of a composite source's parts (see `ReplayMix`).
    public var parts: [BatchSourceState]?
    public init(rng: RNG, cursor: Int = 0, epoch: Int = 0, parts: [BatchSourceState]? = nil) {
        self.rng = rng; self.cursor = cursor; self.epoch = epoch; self.parts = parts
    }
}

/// Random windows of context + 1 tokens from a token stream (nanoGPT's `get_batch`): each row starts at a
/// uniformly drawn offset; targets are the inputs shifted by one.
public final class RandomWindowSampler: BatchSource {
    public let tokens: [UInt16]
    public let batch: Int, context: Int
    var rng: RNG

    public init(tokens: [UInt16], batch: Int, context: Int, seed: UInt64) throws {
        guard tokens.count > context + 1 else {
            throw TrainingError.data("\(tokens.count) tokens, fewer than one window of \(context + 1)", hint: "use more data or a shorter context")
        }
        self.tokens = tokens; self.batch = batch; self.context = context
        rng = RNG(seed: seed)
    }

    public func next() -> Batch {
        var x: [Int32] = [], y: [Int32] = []
        x.reserveCapacity(batch * context); y.reserveCapacity(batch * context)
        for _ in 0..<batch {
            let o = rng.int(below: tokens.count - context - 1)
            for t in 0..<context { x.append(Int32(tokens[o + t])); y.append(Int32(tokens[o + t + 1])) }
        }
        return Batch(inputs: x, targets: y, batch: batch)
    }

    public var state: BatchSourceState { BatchSourceState(rng: rng) }
    public func restore(_ state: BatchSourceState) throws { rng = state.rng }
}

/// Fixed-length examples (input ids and per-position targets, -1 for no loss), served in shuffled order,
/// reshuffled every epoch. Every example must have exactly `context` positions (pad with -1 targets).
public final class ExampleBatcher: BatchSource {
    public let examples: [(inputs: [Int32], targets: [Int32])]
    public let batch: Int
    var rng: RNG
    /// The generator as it was before the current epoch's shuffle: saving it (with the cursor) is enough
    /// to rebuild the order exactly.
    var epochStart: RNG
    var order: [Int] = []
    var cursor = 0, epoch = 0

    public init(examples: [(inputs: [Int32], targets: [Int32])], batch: Int, seed: UInt64) throws {
        guard let first = examples.first else { throw TrainingError.data("no examples", hint: "generate at least one example") }
        guard examples.allSatisfy({ $0.inputs.count == first.inputs.count && $0.targets.count == first.inputs.count }) else {
            throw TrainingError.data("examples differ in length", hint: "pad every example to the context length")
        }
        self.examples = examples; self.batch = batch
        rng = RNG(seed: seed)
        epochStart = rng
        reshuffle()
    }

    func reshuffle() {
        epochStart = rng
        order = Array(examples.indices)
        rng.shuffle(&order)
    }

    public func next() -> Batch {
        var x: [Int32] = [], y: [Int32] = []
        for _ in 0..<batch {
            if cursor == order.count { epoch += 1; cursor = 0; reshuffle() }
            let e = examples[order[cursor]]
            cursor += 1
            x += e.inputs; y += e.targets
        }
        return Batch(inputs: x, targets: y, batch: batch)
    }

    public var state: BatchSourceState { BatchSourceState(rng: epochStart, cursor: cursor, epoch: epoch) }

    public func restore(_ state: BatchSourceState) throws {
        rng = state.rng
        reshuffle()
        guard state.cursor <= order.count else {
            throw TrainingError.checkpoint("data cursor \(state.cursor) beyond \(order.count) examples", hint: "the checkpoint was made with other data")
        }
        cursor = state.cursor
        epoch = state.epoch
    }
}
