import Foundation

/// Batches of instruction rows mixed with replayed pretraining windows, where the replay's share of the
/// *loss* is a parameter.
///
/// Instruction rows carry loss on a few answer tokens; a replay window carries loss on every position.
/// A share of rows is therefore a much larger share of the loss (25% of rows of 96-token windows against
/// 5-token answers is about 87% of the loss). With `lossShare` set, each replay row keeps loss on its last
/// positions only, as many as make the replay `lossShare` of the batch's loss-bearing tokens (the rest of
/// the window is still read as context). With `lossShare` nil, replay rows carry loss on every position
/// (the share is then whatever the rows give; `realizedLossShare` measures it either way).
public final class ReplayMix: BatchSource {
    public let instructions: BatchSource, replay: BatchSource
    /// The replay's target share of loss-bearing tokens in (0, 1), or nil for full windows.
    public let lossShare: Double?
    /// Loss-bearing tokens served so far, per part (not part of the saved state: a diagnostic).
    public private(set) var instructionLossTokens = 0, replayLossTokens = 0

    public init(instructions: BatchSource, replay: BatchSource, lossShare: Double?) throws {
        if let s = lossShare, !(s > 0 && s < 1) {
            throw TrainingError.data("replay loss share \(s) is not in (0, 1)", hint: "use a share such as 0.1, or no replay")
        }
        self.instructions = instructions; self.replay = replay; self.lossShare = lossShare
    }

    public func next() -> Batch {
        let a = instructions.next()
        var b = replay.next()
        let rowLength = a.inputs.count / max(a.batch, 1)
        precondition(rowLength == b.inputs.count / max(b.batch, 1), "instruction and replay rows differ in length")
        let instrLoss = a.targets.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) }
        if let s = lossShare {
            // Keep the last k positions' targets of each replay row so the replay totals s/(1-s) of the
            // instruction loss; the remainder is spread over the first rows.
            let want = Int((Double(instrLoss) * s / (1 - s)).rounded())
            let per = want / b.batch, extra = want % b.batch
            for r in 0..<b.batch {
                let keep = min(rowLength, per + (r < extra ? 1 : 0))
                for t in 0..<(rowLength - keep) { b.targets[r * rowLength + t] = -1 }
            }
        }
        instructionLossTokens += instrLoss
        replayLossTokens += b.targets.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) }
        return Batch(inputs: a.inputs + b.inputs, targets: a.targets + b.targets, batch: a.batch + b.batch)
    }

    /// The replay's share of all loss-bearing tokens served so far.
    public var realizedLossShare: Double {
        let total = instructionLossTokens + replayLossTokens
        return total == 0 ? 0 : Double(replayLossTokens) / Double(total)
    }

    public var state: BatchSourceState {
        let a = instructions.state
        return BatchSourceState(rng: a.rng, cursor: a.cursor, epoch: a.epoch, parts: [a, replay.state])
    }

    public func restore(_ state: BatchSourceState) throws {
        guard let parts = state.parts, parts.count == 2 else {
            throw TrainingError.checkpoint("the saved data position is not a replay mix's", hint: "the checkpoint was made with other data")
        }
        try instructions.restore(parts[0]); try replay.restore(parts[1])
    }
}
