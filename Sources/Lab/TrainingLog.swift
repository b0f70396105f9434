import Foundation
import Ledger
import Training

/// The bridge from a trainer's events to the ledger: every step's loss, learning rate, gradient norm and
/// throughput, and every evaluation's loss, go into the run's metric series. Used by every experiment cell
/// and by `lab demo`.
public final class TrainingLog {
    let run: RunHandle
    /// The last step's training loss (NaN before the first step).
    public private(set) var lastLoss: Float = .nan
    /// The last evaluation's loss (NaN when none ran).
    public private(set) var lastEvalLoss: Float = .nan
    /// Tokens trained on so far.
    public private(set) var tokens = 0
    let onStep: (StepRecord) -> Void

    /// `onStep` runs after each step is logged (progress printing).
    public init(run: RunHandle, onStep: @escaping (StepRecord) -> Void = { _ in }) {
        self.run = run; self.onStep = onStep
    }

    /// Logs one trainer event.
    public func record(_ event: TrainEvent) {
        switch event {
        case .step(let r):
            lastLoss = r.loss
            tokens += r.tokens
            run.log(step: r.step, [.trainLoss: Double(r.loss), .learningRate: Double(r.lr), .gradNorm: Double(r.gradNorm),
                                   .tokensPerSecond: Double(r.tokens) / max(r.seconds, 1e-9)])
            onStep(r)
        case .evaluation(let e):
            lastEvalLoss = e.loss
            run.log(.evalLoss, step: e.step, Double(e.loss))
        case .checkpoint:
            break
        }
    }
}
