// exp-task-scaling: Flan's task-count scaling, in miniature.
//
// THE CLAIM (Flan, "Scaling Instruction-Finetuned Language Models", Sec. 3; papers/flan.md)
// Held-out performance of an instruction-finetuned model rises with the number of finetuning tasks
// (0, 9, 89, 282, 1,836 in the paper), most of the gain coming by a few hundred tasks, at every model size.
//
// THE MINIATURE
// 1. A synthetic suite of 300 tasks in 14 clusters (Corpora/TaskSuite.swift), each with six instruction
//    templates; three whole clusters are held out of finetuning, and template 6 is held out everywhere.
// 2. Per model size, one base model pretrained on plain sentences that show every operation
//    ("lamp with k in front gives: klamp"), never in the instruction format ("### ...\n>> ...").
// 3. Capability probes: the base on every cluster, in its pretraining phrasing, on unseen words.
// 4. Finetuning on N tasks (a nested ladder drawn across clusters; the seed draws the subset) at a fixed
//    budget of steps, a per-task example cap, loss on answer tokens, and a share of replayed pretraining text.
// 5. Held-out exact match by greedy generation, macro-averaged over the held-out clusters, with held-in
//    accuracy, copy-input and task-routing rates, and how much of the probe survives finetuning.
//
// Run: `swift run exp-task-scaling` (quick grid), `--full` (the report's grid), `--dry-run`, `--help`.

import ArgumentParser
import Corpora
import Evaluation
import Foundation
import Lab
import Ledger
import Models
import Tensor
import Training

BLAS.selectFastKernels()

// MARK: - The grid

/// A model size of the ladder.
struct Size: Codable {
    var name: String
    var layers: Int
    var heads: Int
    var width: Int
    var pretrainSteps: Int
    var pretrainLR: Float
    /// Measured training throughput on 2 cores at context 96 (tokens/s), for the ETA only.
    var tokensPerSecond: Double
}

/// Everything a grid fixes.
struct GridSpec {
    var name: String
    var sizes: [Size]
    var ladder: [Int]
    var seeds: Int
    var finetuneSteps: Int
    var evalPerCluster: Int
    var probePerCluster: Int
}

let context = 96, batch = 32
/// The clusters held out of finetuning. Chosen for being copy-and-edit skills a small base can learn from
/// plain sentences (the probes in the report show whether it did).
let heldOutClusters = ["prepend", "format", "lookup"]

func grid(_ name: String) -> GridSpec {
    let S = Size(name: "S", layers: 2, heads: 4, width: 64, pretrainSteps: 4000, pretrainLR: 2e-3, tokensPerSecond: 120_000)
    let M = Size(name: "M", layers: 4, heads: 4, width: 128, pretrainSteps: 4000, pretrainLR: 1e-3, tokensPerSecond: 30_000)
    if name == "full" {
        return GridSpec(name: name, sizes: [S, M], ladder: [0, 8, 32, 128, -1], seeds: 3, finetuneSteps: 800, evalPerCluster: 300, probePerCluster: 100)
    }
    var s = S
    s.pretrainSteps = 500
    return GridSpec(name: name, sizes: [s], ladder: [0, 16, -1], seeds: 1, finetuneSteps: 200, evalPerCluster: 100, probePerCluster: 50)
}

/// The recorded config of a pretraining cell.
struct PretrainConfig: Codable {
    var role = "pretrain"
    var grid: String
    var size: String
    var model: GPTConfig
    var steps: Int
    var batch: Int
    var lr: Float
    var corpusChars: Int
    var probePerCluster: Int
}

/// The recorded config of a finetuning cell.
struct FinetuneConfig: Codable {
    var role = "finetune"
    var grid: String
    var size: String
    /// N: finetuning tasks (all held-in tasks at the top of the ladder).
    var tasks: Int
    var heldOutClusters: [String]
    var steps: Int
    var batch: Int
    var lr: Float
    /// Examples per task (Flan caps examples per task).
    var perTaskCap: Int
    /// Share of each batch that is replayed pretraining text (Flan did not need this; tiny models do).
    var replayShare: Double
    var evalPerCluster: Int
}

// MARK: - Step 1: the task suite and its split

let suite = TaskSuite()
let heldInTasks = suite.tasks.filter { !heldOutClusters.contains($0.cluster) }
let heldOutTasks = suite.tasks.filter { heldOutClusters.contains($0.cluster) }

/// The first N tasks of a seed's order: clusters interleaved so every prefix spans clusters (nested subsets).
func taskOrder(seed: Int) -> [TaskSuite.Task] {
    var rng = RNG(seed: UInt64(1000 + seed))
    var byCluster = suite.clusters.filter { !heldOutClusters.contains($0) }.map { c -> [TaskSuite.Task] in
        var t = suite.tasks(in: c); rng.shuffle(&t); return t
    }
    rng.shuffle(&byCluster)
    var out: [TaskSuite.Task] = []
    while byCluster.contains(where: { !$0.isEmpty }) {
        for i in byCluster.indices where !byCluster[i].isEmpty { out.append(byCluster[i].removeFirst()) }
    }
    return out
}

// MARK: - Step 2: text, tokens, examples

/// Characters are tokens (ASCII, vocabulary 128): exact string answers need no tokenizer subtleties.
func encode(_ s: String) -> [Int32] { s.utf8.map { Int32($0 & 0x7F) } }
func decode(_ ids: [Int32]) -> String { String(decoding: ids.map { UInt8($0) }, as: UTF8.self) }
let newline: Int32 = 10

/// Pretraining text: random tasks of every cluster in their plain phrasing, on training words only.
func pretrainingCorpus(chars: Int, seed: UInt64) -> [UInt16] {
    var rng = RNG(seed: seed)
    var out: [UInt16] = []
    out.reserveCapacity(chars + 100)
    while out.count < chars {
        let t = suite.tasks[rng.int(below: suite.tasks.count)]
        let (p, a) = suite.phrasing(t, input: suite.input(for: t, eval: false, rng: &rng))
        out += (p + a + "\n").utf8.map { UInt16($0) }
    }
    return out
}

/// One instruction example as a fixed-length row: loss on the answer and its newline only.
func row(_ inst: TaskSuite.Instance) -> (inputs: [Int32], targets: [Int32])? {
    let p = encode(inst.prompt), full = p + encode(inst.answer) + [newline]
    guard full.count <= context + 1 else { return nil }
    var x = [Int32](repeating: 0, count: context), y = [Int32](repeating: -1, count: context)
    for t in 0..<(full.count - 1) { x[t] = full[t]; if t + 1 >= p.count { y[t] = full[t + 1] } }
    return (x, y)
}

// MARK: - Step 3: evaluation by greedy generation

/// Greedy answers (up to the first newline) for many prompts, batched.
func answers(_ model: GPT, _ prompts: [String], maxNew: Int = 24) throws -> [String] {
    var out: [String] = []
    for chunk in stride(from: 0, to: prompts.count, by: 256) {
        let part = prompts[chunk..<min(chunk + 256, prompts.count)].map(encode)
        let gens = try model.generate(prompts: part, GenerationConfig(maxNewTokens: maxNew, stopTokens: [newline]))
        out += gens.map { decode($0.tokens.filter { $0 != newline }) }
    }
    return out
}

/// Probe accuracy per cluster: the model on unseen words in the pretraining phrasing.
func probe(_ model: GPT, clusters: [String], perCluster: Int, seed: UInt64) throws -> [String: Double] {
    var rng = RNG(seed: seed)
    var out: [String: Double] = [:]
    for c in clusters {
        let ts = suite.tasks(in: c)
        let items = (0..<perCluster).map { _ -> (String, String) in
            let t = ts[rng.int(below: ts.count)]
            return suite.phrasing(t, input: suite.input(for: t, eval: true, rng: &rng))
        }
        let got = try answers(model, items.map(\.0))
        out[c] = Double(zip(got, items).filter { $0 == $1.1 }.count) / Double(perCluster)
    }
    return out
}

/// Held-out evaluation instances: eval words, the held-out template, fixed per grid (not per seed).
func evalInstances(_ tasks: [TaskSuite.Task], perCluster: Int, seed: UInt64) -> [String: [TaskSuite.Instance]] {
    var rng = RNG(seed: seed)
    var out: [String: [TaskSuite.Instance]] = [:]
    for c in Array(Set(tasks.map(\.cluster))).sorted() {
        let ts = tasks.filter { $0.cluster == c }
        out[c] = (0..<perCluster).map { _ in
            let t = ts[rng.int(below: ts.count)]
            return suite.instance(t, input: suite.input(for: t, eval: true, rng: &rng), template: TaskSuite.evalTemplate)
        }
    }
    return out
}

// MARK: - Step 4: the cells

/// Pretrains a base model of `size` and probes it on every cluster.
func pretrain(_ size: Size, _ cfg: PretrainConfig, _ ctx: Runner.Context) throws -> [String: Double] {
    let corpus = pretrainingCorpus(chars: cfg.corpusChars, seed: 7)
    let model = try GPT(config: cfg.model, seed: 1)
    let data = try RandomWindowSampler(tokens: corpus, batch: cfg.batch, context: context, seed: 1)
    let tc = TrainConfig(steps: cfg.steps, schedule: .warmupCosine(lr: cfg.lr, warmup: cfg.steps / 20, total: cfg.steps, minLR: cfg.lr / 10), seed: 1)
    let trainer = try Trainer(model: model, config: tc, data: data)
    var last: Float = .nan
    _ = try trainer.run { event in
        if case .step(let r) = event {
            last = r.loss
            ctx.run.log(step: r.step, [.trainLoss: Double(r.loss), .learningRate: Double(r.lr), .tokensPerSecond: Double(r.tokens) / r.seconds])
            ctx.progress(step: r.step, of: cfg.steps, String(format: "loss %.3f  %.0f tok/s", r.loss, Double(r.tokens) / r.seconds))
        }
    }
    let path = ctx.directory.appendingPathComponent("model.safetensors")
    try model.save(to: path)
    try ctx.run.addArtifact(path: path.path, kind: "checkpoint")
    let probes = try probe(model, clusters: suite.clusters, perCluster: cfg.probePerCluster, seed: 99)
    var summary: [String: Double] = ["params": Double(model.parameterCount()), "pretrain_tokens": Double(cfg.steps * cfg.batch * context),
                                     "final_loss": Double(last)]
    for (c, v) in probes { summary["probe_\(c)"] = v }
    summary["probe_heldout"] = Statistics.mean(heldOutClusters.map { probes[$0]! })
    summary["probe_heldin"] = Statistics.mean(suite.clusters.filter { !heldOutClusters.contains($0) }.map { probes[$0]! })
    ctx.run.log(.evalLoss, step: cfg.steps, Double(last))
    return summary
}

/// Finetunes the base on the seed's first N tasks and evaluates held-out and held-in exact match.
func finetune(_ cfg: FinetuneConfig, base: CellKey, seed: Int, _ ctx: Runner.Context) throws -> [String: Double] {
    let model = try GPT.load(from: URL(fileURLWithPath: try ctx.artifact(of: base, kind: "checkpoint")))
    let chosen = Array(taskOrder(seed: seed).prefix(cfg.tasks))
    var rng = RNG(seed: UInt64(seed) * 7919 + 13)

    // Training examples: per-task cap, training words, training templates.
    var examples: [(inputs: [Int32], targets: [Int32])] = []
    var trainPrompts = Set<String>()
    for t in chosen {
        for _ in 0..<cfg.perTaskCap {
            let inst = suite.instance(t, input: suite.input(for: t, eval: false, rng: &rng), template: rng.int(below: TaskSuite.trainTemplates.count))
            if let r = row(inst) { examples.append(r); trainPrompts.insert(inst.prompt) }
        }
    }

    // Evaluation sets, and the check that no evaluation instance occurs in the training data.
    let heldOut = evalInstances(heldOutTasks, perCluster: cfg.evalPerCluster, seed: 4242)
    let seen = chosen.isEmpty ? [:] : evalInstances(chosen, perCluster: max(cfg.evalPerCluster / 4, 20), seed: 4343)
    let evalPrompts = (heldOut.values.flatMap { $0 } + seen.values.flatMap { $0 }).map(\.prompt)
    let leaked = evalPrompts.filter { trainPrompts.contains($0) }.count
    guard leaked == 0 else { throw LabError.cell("\(leaked) evaluation prompts occur in the finetuning data", hint: "the split is broken") }

    var finalLoss = Double.nan
    if !chosen.isEmpty {
        let replayRows = Int((Double(cfg.batch) * cfg.replayShare).rounded())
        let instr = try ExampleBatcher(examples: examples, batch: cfg.batch - replayRows, seed: UInt64(seed))
        let source: BatchSource = replayRows == 0 ? instr : MixedBatchSource(
            primary: instr, secondary: try RandomWindowSampler(tokens: pretrainingCorpus(chars: 1_000_000, seed: 7), batch: replayRows, context: context, seed: UInt64(seed) + 100))
        let tc = TrainConfig(steps: cfg.steps, schedule: .warmupLinear(lr: cfg.lr, warmup: cfg.steps / 20, total: cfg.steps, minLR: cfg.lr), seed: UInt64(seed))
        let trainer = try Trainer(model: model, config: tc, data: source)
        _ = try trainer.run { event in
            if case .step(let r) = event {
                finalLoss = Double(r.loss)
                ctx.run.log(step: r.step, [.trainLoss: Double(r.loss), .tokensPerSecond: Double(r.tokens) / r.seconds])
                ctx.progress(step: r.step, of: cfg.steps, String(format: "loss %.3f", r.loss))
            }
        }
    }

    // Held-out exact match, macro-averaged over clusters; copy-input and routing rates.
    var summary: [String: Double] = ["params": Double(model.parameterCount()), "examples": Double(examples.count),
                                     "finetune_tokens": chosen.isEmpty ? 0 : Double(cfg.steps * cfg.batch * context), "final_train_loss": finalLoss,
                                     "leaked_eval_prompts": Double(leaked)]
    var perCluster: [Double] = [], copies = 0, routed = 0, total = 0
    for (c, insts) in heldOut.sorted(by: { $0.key < $1.key }) {
        let got = try answers(model, insts.map(\.prompt))
        let em = Double(zip(got, insts).filter { $0 == $1.answer }.count) / Double(insts.count)
        summary["heldout_em_\(c)"] = em
        perCluster.append(em)
        for (g, inst) in zip(got, insts) where g != inst.answer {
            total += 1
            if g == inst.input { copies += 1 }
            // Routing: the answer a seen task would give on this input (the model picked a familiar task).
            if chosen.contains(where: { $0.answer(for: inst.input) == g }) { routed += 1 }
        }
    }
    summary["heldout_em"] = Statistics.mean(perCluster)
    summary["heldout_copy"] = Double(copies) / Double(heldOut.values.reduce(0) { $0 + $1.count })
    summary["heldout_routed"] = Double(routed) / Double(heldOut.values.reduce(0) { $0 + $1.count })
    if !seen.isEmpty {
        var ems: [Double] = []
        for (_, insts) in seen.sorted(by: { $0.key < $1.key }) {
            let got = try answers(model, insts.map(\.prompt))
            ems.append(Double(zip(got, insts).filter { $0 == $1.answer }.count) / Double(insts.count))
        }
        summary["seen_em"] = Statistics.mean(ems)
    }
    // The base's capability on the held-out clusters, before and after finetuning.
    let baseProbe = ctx.dependencies[base]?.summary["probe_heldout"] ?? .nan
    summary["probe_heldout"] = baseProbe
    summary["heldout_of_probe"] = baseProbe > 0 ? summary["heldout_em"]! / baseProbe : .nan
    summary["retained_probe"] = Statistics.mean(Array(try probe(model, clusters: heldOutClusters, perCluster: 100, seed: 99).values))
    return summary
}

// MARK: - The command

struct TaskScaling: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exp-task-scaling",
        abstract: "Flan's task-count scaling in miniature: held-out exact match against the number of finetuning tasks, per model size.",
        discussion: """
        Quick grid (default): one small size, N in {0, 16, all}, one seed, a few minutes. Full grid (--full): sizes S \
        and M (7x parameters), N in {0, 8, 32, 128, all 256 held-in tasks}, 3 seeds (the seed draws the task subset \
        and the finetuning order over one base per size), about 40 minutes on 2 cores. Every cell is a run in the \
        ledger; finished cells at the same commit and config are skipped. Then `lab tables task-scaling` writes \
        ablations/task-scaling.md.
        """
    )
    @OptionGroup var lab: LabOptions

    func run() throws {
        let g = grid(lab.grid)
        let runner = try Runner(experiment: "task-scaling", options: lab)
        let seeds = Array(1...(lab.seeds ?? g.seeds))
        let corpusChars = 4_000_000
        var cells: [GridCell] = []
        var bases: [String: CellKey] = [:]
        for size in g.sizes {
            let model = GPTConfig(blockSize: context, vocabSize: 128, nLayer: size.layers, nHead: size.heads, nEmbd: size.width)
            let cfg = PretrainConfig(grid: g.name, size: size.name, model: model, steps: size.pretrainSteps, batch: batch, lr: size.pretrainLR,
                                     corpusChars: corpusChars, probePerCluster: g.probePerCluster)
            let cell = try GridCell(name: "pretrain,size=\(size.name)", seed: 1, config: cfg,
                                    estimate: Double(size.pretrainSteps * batch * context) / size.tokensPerSecond + 20)
            bases[size.name] = cell.key
            cells.append(cell)
        }
        for seed in seeds {
            for size in g.sizes {
                for n in g.ladder {
                    let tasks = n < 0 ? heldInTasks.count : n
                    let cfg = FinetuneConfig(grid: g.name, size: size.name, tasks: tasks, heldOutClusters: heldOutClusters, steps: g.finetuneSteps,
                                             batch: batch, lr: 5e-4, perTaskCap: 64, replayShare: 0.25, evalPerCluster: g.evalPerCluster)
                    let train = tasks == 0 ? 0 : Double(g.finetuneSteps * batch * context) / size.tokensPerSecond
                    cells.append(try GridCell(name: "finetune,size=\(size.name),tasks=\(tasks)", seed: seed, config: cfg,
                                              estimate: train + 15, dependencies: [bases[size.name]!]))
                }
            }
        }
        let plan = try Grid(cells).restricted(only: lab.only, seed: lab.seed)
        guard try runner.plan(plan) else { return }
        runner.say("suite: \(suite.tasks.count) tasks in \(suite.clusters.count) clusters; held out: \(heldOutClusters.joined(separator: ", ")) (\(heldOutTasks.count) tasks); held in: \(heldInTasks.count)")
        try runner.execute(plan) { cell, ctx in
            switch cell.config.flattened()["role"] {
            case "\"pretrain\"":
                let cfg = try JSONDecoder().decode(PretrainConfig.self, from: Data(cell.config.canonicalText.utf8))
                return try pretrain(g.sizes.first { $0.name == cfg.size }!, cfg, ctx)
            default:
                let cfg = try JSONDecoder().decode(FinetuneConfig.self, from: Data(cell.config.canonicalText.utf8))
                return try finetune(cfg, base: cell.dependencies[0], seed: cell.seed, ctx)
            }
        }
        runner.printReport()
    }
}

TaskScaling.main()
