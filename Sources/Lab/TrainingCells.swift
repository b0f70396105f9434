import Foundation
import Ledger
import Models
import Training

/// How a cell trains: recorded whole in its config.
public struct TrainSettings: Codable, Equatable, Sendable {
    /// What the learning rate does after warmup.
    public enum Decay: String, Codable, Sendable {
        /// Cosine from `lr` down to `lr * finalLRFraction`.
        case cosine
        /// Stays at `lr`.
        case constant
    }

    public var steps: Int
    /// Rows per batch.
    public var batch: Int
    /// Peak learning rate (AdamW).
    public var lr: Float
    public var decay: Decay
    /// The cosine's end as a fraction of `lr` (ignored by `.constant`).
    public var finalLRFraction: Float
    /// Linear warmup over this share of the steps.
    public var warmupFraction: Double
    /// Seeds the data order and the trainer.
    public var seed: UInt64

    public init(steps: Int, batch: Int, lr: Float, decay: Decay, finalLRFraction: Float = 0.1, warmupFraction: Double = 0.05, seed: UInt64) {
        self.steps = steps; self.batch = batch; self.lr = lr; self.decay = decay; self.finalLRFraction = finalLRFraction
        self.warmupFraction = warmupFraction; self.seed = seed
    }

    /// The trainer's config.
    public var trainConfig: TrainConfig {
        let warmup = Int(Double(steps) * warmupFraction)
        switch decay {
        case .cosine:
            return TrainConfig(steps: steps, schedule: .warmupCosine(lr: lr, warmup: warmup, total: steps, minLR: lr * finalLRFraction), seed: seed)
        case .constant:
            return TrainConfig(steps: steps, schedule: .warmupLinear(lr: lr, warmup: warmup, total: steps, minLR: lr), seed: seed)
        }
    }
}

/// How finetuning replays pretraining text: a share of each batch's rows are windows of it.
public struct ReplaySettings: Codable, Equatable, Sendable {
    /// Share of each batch's rows that are replayed windows (0: no replay).
    public var rowShare: Double
    /// The replay's target share of the *loss* (see `ReplayMix`); nil: full windows, whatever share the rows give.
    public var lossShare: Double?
    /// Seeds the replay windows (added to the cell's seed).
    public var seedOffset: UInt64

    public init(rowShare: Double, lossShare: Double? = nil, seedOffset: UInt64 = 100) {
        self.rowShare = rowShare; self.lossShare = lossShare; self.seedOffset = seedOffset
    }

    /// Replay rows in a batch of `batch`.
    public func rows(batch: Int) -> Int { Int((Double(batch) * rowShare).rounded()) }
}

/// The two cells most experiments share: pretrain a base model, and finetune a parent's checkpoint on
/// instruction rows with replay. Both log every step to the run and report progress.
public enum TrainingCells {
    /// What a training cell leaves: the trained model and its log.
    public struct Trained {
        public var model: GPT
        public var log: TrainingLog
        /// The replay's realized share of loss-bearing tokens (finetuning with replay only).
        public var replayLossShare: Double?
    }

    static func train(_ model: GPT, data: BatchSource, _ settings: TrainSettings, _ ctx: CellContext) throws -> TrainingLog {
        let log = TrainingLog(run: ctx.run) { r in
            ctx.progress(step: r.step, of: settings.steps, String(format: "loss %.3f  %.0f tok/s", r.loss, Double(r.tokens) / max(r.seconds, 1e-9)))
        }
        let trainer = try Trainer(model: model, config: settings.trainConfig, data: data)
        _ = try trainer.run { log.record($0) }
        return log
    }

    /// Pretrains a new model of `config` (initialized from `initSeed`) on random windows of `tokens`, and
    /// saves it as the run's checkpoint.
    public static func pretrain(_ config: GPTConfig, initSeed: UInt64, tokens: [UInt16], _ settings: TrainSettings, _ ctx: CellContext) throws -> Trained {
        let model = try GPT(config: config, seed: initSeed)
        let data = try RandomWindowSampler(tokens: tokens, batch: settings.batch, context: config.blockSize, seed: settings.seed)
        let log = try train(model, data: data, settings, ctx)
        try ctx.saveCheckpoint(model)
        return Trained(model: model, log: log, replayLossShare: nil)
    }

    /// Finetunes `model` (e.g. a parent's checkpoint) on instruction `rows`, mixed with replayed windows of
    /// `replayTokens` as `replay` says. Rows must have the model's context length. Without rows the model is
    /// returned untouched (the "0 tasks" cell).
    public static func finetune(_ model: GPT, rows: InstructionRows, replay: ReplaySettings, replayTokens: [UInt16],
                                _ settings: TrainSettings, _ ctx: CellContext) throws -> Trained {
        guard !rows.rows.isEmpty else { return Trained(model: model, log: TrainingLog(run: ctx.run), replayLossShare: nil) }
        guard rows.rows[0].inputs.count == model.config.blockSize else {
            throw LabError.cell("instruction rows have \(rows.rows[0].inputs.count) positions but the model's context is \(model.config.blockSize)",
                                hint: "build the rows with context: model.config.blockSize")
        }
        let replayRows = replay.rows(batch: settings.batch)
        guard replayRows < settings.batch else {
            throw LabError.cell("replay takes all \(settings.batch) rows of a batch", hint: "use a row share below 1")
        }
        let instructions = try ExampleBatcher(examples: rows.rows, batch: settings.batch - replayRows, seed: settings.seed)
        guard replayRows > 0 else { return Trained(model: model, log: try train(model, data: instructions, settings, ctx), replayLossShare: nil) }
        let windows = try RandomWindowSampler(tokens: replayTokens, batch: replayRows, context: model.config.blockSize, seed: settings.seed + replay.seedOffset)
        let mix = try ReplayMix(instructions: instructions, replay: windows, lossShare: replay.lossShare)
        let log = try train(model, data: mix, settings, ctx)
        return Trained(model: model, log: log, replayLossShare: mix.realizedLossShare)
    }
}
