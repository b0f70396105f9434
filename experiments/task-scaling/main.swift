// exp-task-scaling: Flan's task-count scaling, in miniature.
//
// THE CLAIM (Flan, "Scaling Instruction-Finetuned Language Models", Sec. 3; papers/flan.md)
// Held-out performance of an instruction-finetuned model rises with the number of finetuning tasks
// (0, 9, 89, 282, 1,836 in the paper), most of the gain coming by a few hundred tasks, at every model size.
//
// THE MINIATURE
// 1. A synthetic suite of 312 tasks in 14 clusters (Corpora/TaskSuite.swift), each with six instruction
//    templates; three whole clusters are held out of finetuning, and template 6 is held out everywhere.
// 2. Per model size, one base model pretrained on plain sentences that show every operation
//    ("lamp with k in front gives: klamp"), never in the instruction format ("### ...\n>> ...").
// 3. Capability probes: the base on every cluster, in its pretraining phrasing, on unseen words.
// 4. Finetuning on N tasks (a nested ladder drawn across clusters; the seed draws the subset) at a fixed
//    budget of steps, a per-task example cap, loss on answer tokens, and a share of replayed pretraining text.
// 5. Held-out exact match by greedy generation, macro-averaged over the held-out clusters, beside its
//    chance floor, with held-in accuracy, copy-input and task-routing rates, the answer's log-probability,
//    and how much of the probe survives finetuning; no evaluation item may occur in any training text.
//
// Run: `swift run exp-task-scaling` (quick grid), `--full` (the report's grid), `--dry-run`, `--help`.

import Corpora
import Evaluation
import Foundation
import Lab
import Models
import Text
import Training

let suite = TaskSuite()
let chars = CharTokenizer()
let newline = chars.id("\n")

// MARK: - Step 1: the task suite and its split

/// The clusters held out of finetuning: copy-and-edit skills a small base can learn from plain sentences
/// (the probes in the report show whether it did).
let heldOutClusters = ["prepend", "format", "lookup"]
let heldIn = suite.tasks.filter { !heldOutClusters.contains($0.cluster) }
let heldOut = suite.tasks.filter { heldOutClusters.contains($0.cluster) }

// MARK: - Step 2: the grid

/// A model size of the ladder (`tokensPerSecond`, measured on 2 cores at context 96, feeds the ETA only).
struct Size {
    var name: String, layers: Int, heads: Int, width: Int, pretrainSteps: Int, pretrainLR: Float, tokensPerSecond: Double
}

let context = 96, batch = 32
let S = Size(name: "S", layers: 2, heads: 4, width: 64, pretrainSteps: 4000, pretrainLR: 2e-3, tokensPerSecond: 120_000)
let M = Size(name: "M", layers: 4, heads: 4, width: 128, pretrainSteps: 4000, pretrainLR: 1e-3, tokensPerSecond: 30_000)

/// Probe settings: the same items before and after finetuning, so the two probes differ by the model only.
struct Probe: Codable { var perCluster: Int; var seed: UInt64; var maxAnswer: Int }
/// The text a model is pretrained on (and replays): task lines in plain phrasing.
struct Corpus: Codable { var chars: Int; var seed: UInt64 }
/// Held-out and held-in evaluation sets: fixed per grid (not per seed), template 6 only.
struct Eval: Codable { var perCluster: Int; var seed: UInt64; var seenPerCluster: Int; var seenSeed: UInt64; var maxAnswer: Int }

/// A base model of one size, pretrained on the plain-phrasing corpus.
struct Pretrain: CellConfig {
    var size: String
    var model: GPTConfig
    var initSeed: UInt64
    var train: TrainSettings
    var corpus: Corpus
    var probe: Probe
    var heldOutClusters: [String]
    var label: String { "size=\(size)" }
}

/// The base finetuned on the seed's first N held-in tasks.
struct Finetune: CellConfig {
    /// The base's whole config (its corpus, probe and held-out clusters are this cell's too).
    var base: Pretrain
    /// N: finetuning tasks (all held-in tasks at the top of the ladder).
    var tasks: Int
    /// Seeds the task ladder (which N tasks).
    var ladderSeed: UInt64
    /// Examples per task (Flan caps examples per task), drawn with `exampleSeed` on the training templates.
    var perTaskCap: Int
    var exampleSeed: UInt64
    var train: TrainSettings
    /// Share of rows replayed from the pretraining text (Flan did not need this; tiny models do).
    var replay: ReplaySettings
    var replayCorpus: Corpus
    var eval: Eval
    /// Word n-grams the contamination check compares (GPT-3's 13; shorter items are matched whole).
    var contaminationNgram: Int
    var label: String { "size=\(base.size),tasks=\(tasks)" }
}

enum Cell {
    case pretrain(Pretrain)
    case finetune(Finetune)
}

struct TaskScaling: Experiment {
    static let name = "task-scaling"
    static let abstract = "Flan's task-count scaling in miniature: held-out exact match against the number of finetuning tasks, per model size."
    static let discussion = """
    Quick grid (default): one small size, N in {0, 16, all}, one seed, a few minutes. Full grid (--full): sizes S \
    and M (7x parameters), N in {0, 8, 32, 128, all 256 held-in tasks}, 3 seeds (the seed draws the task subset \
    and the finetuning order over one base per size), about 25 minutes on 2 cores. Every cell is a run in the \
    ledger; finished cells at the same commit and config are skipped. Then `lab tables task-scaling` writes \
    ablations/task-scaling.md.
    """

    static func seeds(_ grid: GridName) -> Int { grid == .full ? 3 : 1 }

    static func preamble(_ grid: GridName) -> String? {
        "suite: \(suite.tasks.count) tasks in \(suite.clusters.count) clusters; held out: \(heldOutClusters.joined(separator: ", ")) (\(heldOut.count) tasks); held in: \(heldIn.count)"
    }

    static func plan(_ plan: inout Plan<Cell>) throws {
        let full = plan.grid == .full
        var sizes = [S, M], ladder = [0, 8, 32, 128, heldIn.count], finetuneSteps = 800
        var eval = Eval(perCluster: 300, seed: 4242, seenPerCluster: 75, seenSeed: 4343, maxAnswer: 24)
        var probe = Probe(perCluster: 100, seed: 99, maxAnswer: 24)
        if !full {
            sizes = [S]; sizes[0].pretrainSteps = 500; ladder = [0, 16, heldIn.count]; finetuneSteps = 200
            eval.perCluster = 100; eval.seenPerCluster = 25; probe.perCluster = 50
        }
        let corpus = Corpus(chars: 4_000_000, seed: 7)
        var bases: [String: (key: CellKey, config: Pretrain)] = [:]
        for size in sizes {
            let model = GPTConfig(blockSize: context, vocabSize: chars.vocabSize, nLayer: size.layers, nHead: size.heads, nEmbd: size.width)
            let train = TrainSettings(steps: size.pretrainSteps, batch: batch, lr: size.pretrainLR, decay: .cosine, finalLRFraction: 0.1, seed: 1)
            let cfg = Pretrain(size: size.name, model: model, initSeed: 1, train: train, corpus: corpus, probe: probe, heldOutClusters: heldOutClusters)
            let key = try plan.add(.pretrain(cfg), seed: 1, estimate: Double(size.pretrainSteps * batch * context) / size.tokensPerSecond + 20)
            bases[size.name] = (key, cfg)
        }
        for seed in plan.seeds {
            for size in sizes {
                for n in ladder {
                    let train = TrainSettings(steps: finetuneSteps, batch: batch, lr: 5e-4, decay: .constant, seed: UInt64(seed))
                    let base = bases[size.name]!
                    let cfg = Finetune(base: base.config, tasks: n, ladderSeed: UInt64(1000 + seed), perTaskCap: 64, exampleSeed: UInt64(seed) * 7919 + 13,
                                       train: train, replay: ReplaySettings(rowShare: 0.25, lossShare: nil, seedOffset: 100),
                                       replayCorpus: Corpus(chars: 1_000_000, seed: 7), eval: eval, contaminationNgram: 13)
                    let cost = (n == 0 ? 0 : Double(finetuneSteps * batch * context) / size.tokensPerSecond) + 15
                    try plan.add(.finetune(cfg), seed: seed, estimate: cost, parents: [.base: base.key])
                }
            }
        }
    }

    static func run(_ cell: Cell, _ ctx: CellContext) throws -> any CellMetrics {
        switch cell {
        case .pretrain(let cfg): return try pretrain(cfg, ctx)
        case .finetune(let cfg): return try finetune(cfg, ctx)
        }
    }
}

// MARK: - Step 3: probes (the base's skills, asked in the phrasing it was pretrained on)

/// Probe accuracy per cluster: greedy answers to plain-phrasing items on unseen words.
func probe(_ model: GPT, clusters: [String], _ p: Probe) throws -> GroupedAccuracy {
    let items = suite.probeItems(clusters: clusters, perCluster: p.perCluster, seed: p.seed)
    return try Answers.exactMatch(model, prompts: items.map(\.prompt), references: items.map(\.answer), groups: items.map(\.cluster),
                                  tokenizer: chars, stop: newline, maxNew: p.maxAnswer).accuracy
}

/// The chance floor of a set of items, macro over clusters like the accuracy it stands beside.
func chanceFloor(_ items: [TaskSuite.Item]) -> Double {
    ChanceFloor.macro(items.map { ChanceFloor.Item(group: $0.cluster, input: $0.input, answer: $0.answer, guessChance: suite.guessChance($0.task, input: $0.input)) })
}

// MARK: - Step 4: pretraining a base

struct BaseMetrics: CellMetrics {
    var params: Int
    var pretrainTokens: Int
    var finalLoss: Double
    var probe: [String: Double]
    var probeHeldout: Double
    var probeHeldin: Double
    /// The probes' chance floors (best trivial strategy on the same items).
    var probeHeldoutChance: Double
    var probeHeldinChance: Double
    /// Probe items found in the pretraining text (the cell fails when this is not 0).
    var contaminatedItems: Int
}

/// Pretrains a base model on the plain-phrasing corpus and probes it on every cluster.
func pretrain(_ cfg: Pretrain, _ ctx: CellContext) throws -> BaseMetrics {
    let text = suite.pretrainingText(chars: cfg.corpus.chars, seed: cfg.corpus.seed)
    let items = suite.probeItems(clusters: suite.clusters, perCluster: cfg.probe.perCluster, seed: cfg.probe.seed)
    let findings = try ContaminationCheck().require(items: items.map { ContaminationCheck.Item(pair: $0.pair, prompt: $0.prompt, answer: $0.answer) },
                                                    sources: [ContaminationCheck.Source(name: "pretraining text", pairs: text.pairs, texts: text.lines)])
    let trained = try TrainingCells.pretrain(cfg.model, initSeed: cfg.initSeed, tokens: text.ids, cfg.train, ctx)
    let probes = try probe(trained.model, clusters: suite.clusters, cfg.probe)
    let heldInClusters = suite.clusters.filter { !cfg.heldOutClusters.contains($0) }
    return BaseMetrics(params: trained.model.parameterCount(), pretrainTokens: trained.log.tokens, finalLoss: Double(trained.log.lastLoss),
                       probe: probes.perGroup,
                       probeHeldout: Statistics.mean(cfg.heldOutClusters.map { probes.accuracy($0)! }),
                       probeHeldin: Statistics.mean(heldInClusters.map { probes.accuracy($0)! }),
                       probeHeldoutChance: chanceFloor(items.filter { cfg.heldOutClusters.contains($0.cluster) }),
                       probeHeldinChance: chanceFloor(items.filter { !cfg.heldOutClusters.contains($0.cluster) }),
                       contaminatedItems: findings.reduce(0) { $0 + $1.items })
}

// MARK: - Step 5: finetuning on N tasks

struct FinetuneMetrics: CellMetrics {
    var params: Int
    var examples: Int
    /// Examples longer than one row, left out.
    var droppedExamples: Int
    var finetuneTokens: Int
    var finalTrainLoss: Double
    /// The replay's share of loss-bearing tokens (25% of rows is most of the loss: see the report).
    var replayLossShare: Double?
    /// Held-out exact match, macro over clusters, and its chance floor (best trivial strategy).
    var heldoutEM: Double
    var heldoutEMByCluster: [String: Double]
    var heldoutChance: Double
    /// Mean log-probability per answer token of the held-out references (teacher forcing).
    var heldoutAnswerLogprob: Double
    /// Share of held-out items answered with the input itself, or with what a finetuned task would give.
    var heldoutCopy: Double
    var heldoutRouted: Double
    /// Held-in tasks on the held-out template and unseen words (nil at N = 0).
    var seenEM: Double?
    var seenChance: Double?
    /// The base's probe on held-out clusters, held-out EM relative to it, and the same probe after finetuning.
    var probeHeldout: Double
    var heldoutOfProbe: Double
    var retainedProbe: Double
    var probeChance: Double
    /// Evaluation items found in any training text (the cell fails when this is not 0).
    var contaminatedItems: Int
}

/// Finetunes the base on the seed's first N tasks and evaluates held-out and held-in exact match.
func finetune(_ cfg: Finetune, _ ctx: CellContext) throws -> FinetuneMetrics {
    let base = try ctx.parent(.base)
    let model = try base.model()
    let chosen = Array(suite.ladder(seed: cfg.ladderSeed, excluding: cfg.base.heldOutClusters).prefix(cfg.tasks))

    // Training examples: per-task cap, training words, training templates; loss on the answer and its newline.
    let examples = suite.trainingExamples(chosen, perTask: cfg.perTaskCap, seed: cfg.exampleSeed)
    let rows = InstructionRows(examples.map { InstructionExample(prompt: chars.encode($0.prompt), answer: chars.encode($0.answer) + [newline]) },
                               context: model.config.blockSize)
    let pretraining = suite.pretrainingText(chars: cfg.base.corpus.chars, seed: cfg.base.corpus.seed)
    let replay = suite.pretrainingText(chars: cfg.replayCorpus.chars, seed: cfg.replayCorpus.seed)

    // Evaluation sets, and the check that none of their items occurs in any training text.
    let heldOutItems = suite.evaluationItems(heldOut, perCluster: cfg.eval.perCluster, seed: cfg.eval.seed)
    let seenItems = chosen.isEmpty ? [] : suite.evaluationItems(chosen, perCluster: cfg.eval.seenPerCluster, seed: cfg.eval.seenSeed)
    let probeItems = suite.probeItems(clusters: cfg.base.heldOutClusters, perCluster: cfg.base.probe.perCluster, seed: cfg.base.probe.seed)
    let findings = try ContaminationCheck(ngram: cfg.contaminationNgram).require(
        items: (heldOutItems + seenItems + probeItems).map { ContaminationCheck.Item(pair: $0.pair, prompt: $0.prompt, answer: $0.answer) },
        sources: [ContaminationCheck.Source(name: "pretraining text", pairs: pretraining.pairs, texts: pretraining.lines),
                  ContaminationCheck.Source(name: "replay text", pairs: replay.pairs, texts: replay.lines),
                  ContaminationCheck.Source(name: "finetuning examples", pairs: Set(examples.map { $0.taskID + "\u{1}" + $0.input }),
                                            texts: examples.map { $0.prompt + $0.answer })])

    let trained = try TrainingCells.finetune(model, rows: rows, replay: cfg.replay, replayTokens: replay.ids, cfg.train, ctx)

    // Held-out exact match (macro over clusters) beside its chance floor; copy-input and routing rates.
    let (heldOutEM, got) = try Answers.exactMatch(model, prompts: heldOutItems.map(\.prompt), references: heldOutItems.map(\.answer),
                                                  groups: heldOutItems.map(\.cluster), tokenizer: chars, stop: newline, maxNew: cfg.eval.maxAnswer)
    let wrong = zip(got, heldOutItems).filter { $0 != $1.answer }
    let copies = wrong.filter { $0 == $1.input }.count
    // Routing: the answer a finetuned task would give on this input (the model picked a familiar task).
    let routed = wrong.filter { g, item in chosen.contains { $0.answer(for: item.input) == g } }.count
    let scores = try Answers.teacherForced(model, heldOutItems.map { (chars.encode($0.prompt), chars.encode($0.answer) + [newline]) })

    var seenEM: Double?
    if !seenItems.isEmpty {
        seenEM = try Answers.exactMatch(model, prompts: seenItems.map(\.prompt), references: seenItems.map(\.answer), groups: seenItems.map(\.cluster),
                                        tokenizer: chars, stop: newline, maxNew: cfg.eval.maxAnswer).accuracy.macro
    }
    // The base's capability on the held-out clusters, before and after finetuning, on the same items.
    let baseProbe = try base.metric("probe_heldout")
    return FinetuneMetrics(
        params: model.parameterCount(), examples: rows.rows.count, droppedExamples: rows.dropped, finetuneTokens: trained.log.tokens, finalTrainLoss: Double(trained.log.lastLoss),
        replayLossShare: trained.replayLossShare,
        heldoutEM: heldOutEM.macro, heldoutEMByCluster: heldOutEM.perGroup, heldoutChance: chanceFloor(heldOutItems),
        heldoutAnswerLogprob: scores.reduce(0) { $0 + $1.logProb } / Double(scores.reduce(0) { $0 + $1.tokens }),
        heldoutCopy: Double(copies) / Double(heldOutItems.count), heldoutRouted: Double(routed) / Double(heldOutItems.count),
        seenEM: seenEM, seenChance: seenItems.isEmpty ? nil : chanceFloor(seenItems),
        probeHeldout: baseProbe, heldoutOfProbe: baseProbe > 0 ? heldOutEM.macro / baseProbe : .nan,
        retainedProbe: try probe(model, clusters: cfg.base.heldOutClusters, cfg.base.probe).macro, probeChance: chanceFloor(probeItems),
        contaminatedItems: findings.reduce(0) { $0 + $1.items })
}

// MARK: - Run

TaskScaling.main()
