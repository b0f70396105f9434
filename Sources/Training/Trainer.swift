import Foundation
import Tensor
import Models

/// Which optimizer a run uses, with its settings.
public enum OptimizerChoice: Codable, Equatable, Sendable {
    case adamw(AdamW.Config)
    case adafactor(Adafactor.Config)
}

/// Everything that decides a training run besides the model and the data. Codable: the resolved config
/// is what the ledger stores.
public struct TrainConfig: Codable, Equatable, Sendable {
    public var steps: Int
    public var schedule: LRSchedule
    public var optimizer: OptimizerChoice = .adamw(AdamW.Config())
    /// Micro-batches per optimizer step; the loss of each is scaled by 1/gradAccumulation.
    public var gradAccumulation: Int = 1
    /// Global-norm clip (nanoGPT's 1.0); 0 turns clipping off.
    public var gradClip: Float = 1.0
    /// Evaluate every this many steps (0: never) on `evalBatches` batches.
    public var evalEvery: Int = 0
    public var evalBatches: Int = 4
    /// Save a checkpoint every this many steps (0: only at the end, when a directory is given).
    public var checkpointEvery: Int = 0
    /// Seed of the dropout generator.
    public var seed: UInt64 = 0

    public init(steps: Int, schedule: LRSchedule, optimizer: OptimizerChoice = .adamw(AdamW.Config()), gradAccumulation: Int = 1,
                gradClip: Float = 1.0, evalEvery: Int = 0, evalBatches: Int = 4, checkpointEvery: Int = 0, seed: UInt64 = 0) {
        self.steps = steps; self.schedule = schedule; self.optimizer = optimizer; self.gradAccumulation = gradAccumulation
        self.gradClip = gradClip; self.evalEvery = evalEvery; self.evalBatches = evalBatches
        self.checkpointEvery = checkpointEvery; self.seed = seed
    }

    public func validate() throws {
        if steps < 0 { throw TrainingError.config("steps is \(steps)", hint: "use 0 or more") }
        if gradAccumulation < 1 { throw TrainingError.config("gradAccumulation is \(gradAccumulation)", hint: "use 1 or more") }
        if gradClip < 0 { throw TrainingError.config("gradClip is \(gradClip)", hint: "use 0 (off) or a positive norm") }
        if evalEvery < 0 || evalBatches < 1 { throw TrainingError.config("evalEvery \(evalEvery), evalBatches \(evalBatches)", hint: "evalEvery >= 0, evalBatches >= 1") }
    }
}

/// What one optimizer step did.
public struct StepRecord: Codable, Equatable, Sendable {
    public var step: Int
    public var loss: Float
    public var lr: Float
    public var gradNorm: Float
    public var tokens: Int
    public var seconds: Double
}

/// A held-out evaluation during training.
public struct EvalRecord: Codable, Equatable, Sendable {
    public var step: Int
    public var loss: Float
}

/// Typed events of a training run (as mlx-swift's progress enums), for progress display and logging.
public enum TrainEvent: Sendable {
    case step(StepRecord)
    case evaluation(EvalRecord)
    case checkpoint(step: Int, directory: URL)
}

/// The training loop: gradient accumulation, clipping, schedule, optimizer, evaluation, checkpoints,
/// exact resume. Stops with `TrainingError.nonFiniteLoss` at the first NaN or infinite loss, before that
/// step's update touches the parameters.
public final class Trainer {
    public let model: GPT
    public let config: TrainConfig
    public let data: BatchSource
    public let evalData: BatchSource?
    public let optimizer: Optimizer
    public internal(set) var step = 0
    var dropoutRNG: RNG

    public init(model: GPT, config: TrainConfig, data: BatchSource, evalData: BatchSource? = nil) throws {
        try config.validate()
        self.model = model; self.config = config; self.data = data; self.evalData = evalData
        switch config.optimizer {
        case .adamw(let c): optimizer = AdamW(model.parameters, config: c)
        case .adafactor(let c): optimizer = Adafactor(model.parameters, config: c)
        }
        dropoutRNG = RNG(seed: config.seed)
    }

    /// Runs until `config.steps` (continuing from the current step after `resume`), sending events.
    /// With `checkpointDirectory`, saves every `checkpointEvery` steps and at the end.
    @discardableResult
    public func run(checkpointDirectory: URL? = nil, onEvent: (TrainEvent) -> Void = { _ in }) throws -> [StepRecord] {
        var records: [StepRecord] = []
        let params = model.parameters
        while step < config.steps {
            let t0 = DispatchTime.now().uptimeNanoseconds
            for p in params { p.zeroGrad() }
            var lossSum: Float = 0, tokens = 0
            let micro = config.gradAccumulation
            for _ in 0..<micro {
                let b = data.next()
                let (_, loss) = try withUnsafeMutablePointer(to: &dropoutRNG) { rng in
                    try model.forward(b.inputs, batch: b.batch, targets: b.targets, rng: model.config.dropout > 0 ? rng : nil)
                }
                let value = loss!.item
                guard value.isFinite else { throw TrainingError.nonFiniteLoss(step: step, value: value) }
                loss!.backward(seed: 1 / Float(micro))
                lossSum += value
                tokens += b.inputs.count
            }
            let (norm, scale) = clipCoefficient(params, maxNorm: config.gradClip)
            let lr = config.schedule.lr(at: step)
            optimizer.step(lr: lr, gradScale: scale)
            step += 1
            let rec = StepRecord(step: step, loss: lossSum / Float(micro), lr: lr, gradNorm: norm, tokens: tokens,
                                 seconds: Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            records.append(rec)
            onEvent(.step(rec))
            if config.evalEvery > 0, step % config.evalEvery == 0, let evalData {
                onEvent(.evaluation(EvalRecord(step: step, loss: try evaluate(evalData))))
            }
            if let dir = checkpointDirectory, config.checkpointEvery > 0, step % config.checkpointEvery == 0, step < config.steps {
                try saveCheckpoint(to: dir)
                onEvent(.checkpoint(step: step, directory: dir))
            }
        }
        if let dir = checkpointDirectory {
            try saveCheckpoint(to: dir)
            onEvent(.checkpoint(step: step, directory: dir))
        }
        for p in params { p.zeroGrad() }
        return records
    }

    /// Mean loss over `config.evalBatches` batches of `source`, without gradients or dropout.
    public func evaluate(_ source: BatchSource) throws -> Float {
        try Autograd.withNoGrad {
            var total: Float = 0
            for _ in 0..<config.evalBatches {
                let b = source.next()
                total += try model.forward(b.inputs, batch: b.batch, targets: b.targets).loss!.item
            }
            return total / Float(config.evalBatches)
        }
    }
}
