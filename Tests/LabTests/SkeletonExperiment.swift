// A complete experiment written on the kit, as small as one can be: the skeleton a new notebook starts
// from (experiments/README.md points here). It "trains" nothing: its base cell records a number, and its
// child cells read that number through their parent by role. Everything that changes a result is in the
// recorded config.
import Foundation
import Lab

/// The base cell's config.
struct Base: CellConfig {
    var width: Int
    var label: String { "width=\(width)" }
}

/// A child cell: starts from a base and adds `bonus`.
struct Child: CellConfig {
    var width: Int
    var bonus: Double
    var label: String { "width=\(width),bonus=\(bonus)" }
}

/// The typed cell kinds; the case name is the recorded role.
enum SkeletonCell {
    case base(Base)
    case child(Child)
}

struct BaseMetrics: CellMetrics {
    var score: Double
    var perGroup: [String: Double]
}

struct ChildMetrics: CellMetrics {
    var score: Double
    var gain: Double
    var chance: Double
}

/// Counts cell executions (resume must not run a finished cell again).
nonisolated(unsafe) var skeletonExecutions: [String] = []

struct Skeleton: Experiment {
    static let name = "skeleton"
    static let abstract = "A skeleton experiment: one base per width, children with a bonus."
    static let discussion = "Quick grid: one width, 1 seed. Full grid: two widths, 3 seeds."

    static func seeds(_ grid: GridName) -> Int { grid == .full ? 3 : 1 }

    static func plan(_ plan: inout Plan<SkeletonCell>) throws {
        let widths = plan.grid == .full ? [8, 16] : [8]
        for w in widths {
            let base = try plan.add(.base(Base(width: w)), seed: 1, estimate: 1)
            for seed in plan.seeds {
                for bonus in [0.0, 0.5] {
                    try plan.add(.child(Child(width: w, bonus: bonus)), seed: seed, estimate: 1, parents: [.base: base])
                }
            }
        }
    }

    static func run(_ cell: SkeletonCell, _ ctx: CellContext) throws -> any CellMetrics {
        skeletonExecutions.append(ctx.cell.key.description)
        switch cell {
        case .base(let b):
            return BaseMetrics(score: Double(b.width) / 100, perGroup: ["a": 0.25, "b": .nan])
        case .child(let c):
            let start = try ctx.parent(.base).summary["score"] ?? .nan
            return ChildMetrics(score: start + c.bonus + Double(ctx.seed) / 1000, gain: c.bonus, chance: 0.1)
        }
    }
}
