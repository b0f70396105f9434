import ArgumentParser
import Corpora
import Foundation
import Lab
import Ledger
import Models
import Tensor
import Text
import Training

/// `lab demo`: the engine end to end on a real corpus, small by default (about two minutes on 2 cores).
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Train a BPE tokenizer and a small GPT on the Python standard library; report held-out loss and a sample.",
        discussion: """
        Steps: read the .py files of the installed Python standard library (a real corpus), hold out whole \
        files (1 in 10) for evaluation, train a byte-level BPE tokenizer on the training files, write nanoGPT \
        token files, train a GPT with AdamW and a warmup-cosine schedule, save a checkpoint, score the \
        held-out files with the same code as `lab loss`, and sample a continuation. Outputs go to --out.
        """
    )

    @Option(help: "Megabytes of Python source to read.") var corpusMB: Double = 3
    @Option(help: "Tokenizer vocabulary size.") var vocab: Int = 1024
    @Option(help: "Training steps.") var steps: Int = 800
    @Option(help: "Sequences per batch.") var batch: Int = 16
    @Option(help: "Context length.") var context: Int = 128
    @Option(help: "Model width (n_embd).") var width: Int = 128
    @Option(help: "Layers.") var layers: Int = 4
    @Option(help: "Heads.") var heads: Int = 4
    @Option(help: "Peak learning rate.") var lr: Float = 2e-3
    @Option(help: "Seed.") var seed: UInt64 = 1
    @Option(help: "Worker threads (default: all CPUs).") var threads: Int?
    @Option(help: "Output directory.") var out: String = ".lab/demo"
    @OptionGroup var ledger: LedgerOptions
    @Flag(help: "Refuse to start on a dirty working tree.") var requireClean = false

    func validate() throws {
        if corpusMB <= 0 { throw ValidationError("--corpus-mb must be positive") }
        if steps < 1 || batch < 1 || context < 2 { throw ValidationError("--steps and --batch must be at least 1, --context at least 2") }
    }

    func run() throws {
        if let threads { Parallel.threads = max(1, threads) }
        let dir = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let start = Date()
        func say(_ s: String) { print(String(format: "[%6.1fs] ", Date().timeIntervalSince(start)) + s); fflush(stdout) }
        say("BLAS \(BLAS.coreProvenance), kernels \(BLAS.kernelISA), \(Parallel.threads) threads")

        // 1. A real corpus, split by whole files so held-out loss is on unseen files.
        let corpus: PythonSources
        corpus = try PythonSources.load(maxBytes: Int(corpusMB * 1_000_000))
        let (trainFiles, heldFiles) = corpus.split(heldOutEvery: 10)
        say("corpus: \(corpus.files.count) files from \(corpus.root) (\(trainFiles.count) train, \(heldFiles.count) held out)")

        // 2. Tokenizer, trained on the training files only.
        let eot = "<|endoftext|>"
        let trainBytes = trainFiles.flatMap { $0.bytes + Array(eot.utf8) }
        let tok = try BPETrainer.train(corpus: trainBytes, vocabSize: vocab, specialTokens: [eot])
        try tok.save(to: dir.appendingPathComponent("tokenizer.json"))
        func encode(_ files: [PythonSources.File]) -> [UInt16] {
            files.flatMap { tok.encode(bytes: $0.bytes) + [tok.specialTokens[eot]!] }.map { UInt16($0) }
        }
        let trainIds = encode(trainFiles), heldIds = encode(heldFiles)
        try TokenFile.write(trainIds, to: dir.appendingPathComponent("train.bin"))
        try TokenFile.write(heldIds, to: dir.appendingPathComponent("val.bin"))
        say(String(format: "tokenizer: %d ids; train %d tokens (%.2f bytes/token), held-out %d tokens", tok.vocabSize, trainIds.count,
                   Double(trainBytes.count) / Double(max(trainIds.count, 1)), heldIds.count))

        // 3. Model and training.
        let cfg = GPTConfig(blockSize: context, vocabSize: tok.vocabSize, nLayer: layers, nHead: heads, nEmbd: width)
        let model = try GPT(config: cfg, seed: seed)
        let trainData = try RandomWindowSampler(tokens: trainIds, batch: batch, context: context, seed: seed)
        let heldData = try RandomWindowSampler(tokens: heldIds, batch: batch, context: context, seed: seed + 1)
        let tc = TrainConfig(steps: steps, schedule: .warmupCosine(lr: lr, warmup: max(steps / 20, 1), total: steps, minLR: lr / 10),
                             evalEvery: max(steps / 4, 1), evalBatches: 4, seed: seed)
        let trainer = try Trainer(model: model, config: tc, data: trainData, evalData: heldData)
        say("model: \(model.parameterCount()) parameters; training \(steps) steps of \(batch) x \(context) tokens")

        // The run goes into the ledger with its resolved config and the exact code state.
        struct DemoConfig: Codable { var model: GPTConfig; var train: TrainConfig; var corpusMB: Double; var vocab: Int; var batch: Int }
        let book = try ledger.open()
        let spec = try Ledger.RunSpec(experiment: "demo", cell: "d\(width)-L\(layers)-v\(vocab)", seed: Int64(seed),
                                      config: DemoConfig(model: cfg, train: tc, corpusMB: corpusMB, vocab: vocab, batch: batch), engine: .current,
                                      overrides: commandLineOverrides(after: "demo"), parentID: RerunSpec.reproductionParent,
                                      rerun: RerunSpec(command: rerunCommand(subcommand: "demo")))
        let run = try book.startRun(spec, requireClean: requireClean)
        say("ledger: run \(run.id.prefix(8)) in \(book.path) at \(run.record.code.shortCommit)")
        let t0 = Date()
        var summary: [String: Double] = [:]
        try run.run { run in
            // Every step and evaluation goes to the ledger through the shared bridge; the demo prints its own lines.
            let log = TrainingLog(run: run) { r in
                if r.step % 25 == 0 || r.step == 1 {
                    let el = Date().timeIntervalSince(t0), eta = el / Double(r.step) * Double(steps - r.step)
                    say(String(format: "step %4d/%d  loss %.3f  lr %.2e  |g| %.2f  %.0f tok/s  ETA %.0fs", r.step, steps, r.loss, r.lr, r.gradNorm,
                               Double(r.tokens) / r.seconds, eta))
                }
            }
            try trainer.run(checkpointDirectory: dir.appendingPathComponent("checkpoint")) { event in
                log.record(event)
                switch event {
                case .step: break
                case .evaluation(let e): say(String(format: "step %4d  held-out loss %.3f (4 batches)", e.step, e.loss))
                case .checkpoint(let s, let d): say("checkpoint at step \(s): \(d.path)")
                }
            }
            let ckpt = dir.appendingPathComponent("checkpoint/model.safetensors")
            try run.addArtifact(path: ckpt.path, kind: "checkpoint")
            try run.addArtifact(path: dir.appendingPathComponent("tokenizer.json").path, kind: "tokenizer")
            let (loss, n) = try evaluateLoss(try GPT.load(from: ckpt), ids: heldIds)
            summary = ["heldout_loss": loss, "heldout_tokens": Double(n), "params": Double(model.parameterCount())]
            return summary
        }

        // 4. Held-out loss over every window of the held-out files (what `lab loss` computes), from the saved checkpoint.
        let ckpt = dir.appendingPathComponent("checkpoint/model.safetensors")
        let reloaded = try GPT.load(from: ckpt)
        say(String(format: "held-out loss %.4f over %.0f tokens (uniform would be %.2f); check: lab loss %@ %@/val.bin",
                   summary["heldout_loss"] ?? .nan, summary["heldout_tokens"] ?? 0, log(Double(tok.vocabSize)), ckpt.path, dir.path))
        say("recorded as run \(run.id.prefix(8)): lab show \(run.id.prefix(8))")

        // 5. A sample.
        let prompt = tok.encode("def ")
        let g = try reloaded.generate(prompts: [prompt], GenerationConfig(maxNewTokens: 60, temperature: 0.8, topK: 40,
                                                                         stopTokens: [tok.specialTokens[eot]!], seed: seed))
        say("sample:\n" + (try tok.decode(prompt + g[0].tokens)))
    }
}
