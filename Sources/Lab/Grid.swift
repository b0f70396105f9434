import Foundation
import Ledger

/// One unit of an experiment: a named cell at one seed with its resolved config, an estimate of its
/// cost, and the cells it needs first (e.g. a finetuning cell needs its size's pretraining cell).
public struct GridCell: Sendable {
    /// A stable key (e.g. "finetune,size=S,tasks=64"); with the seed it identifies the run.
    public var name: String
    public var seed: Int
    /// The resolved config (the run's `config`; resume compares it).
    public var config: JSONValue
    /// Estimated seconds on this machine (for the ETA and `--dry-run`).
    public var estimate: Double
    /// Cells (name, seed) that must finish first; the first is recorded as the run's parent.
    public var dependencies: [CellKey]

    public init<C: Encodable>(name: String, seed: Int, config: C, estimate: Double, dependencies: [CellKey] = []) throws {
        let data = try JSONEncoder().encode(config)
        self.config = try JSONDecoder().decode(JSONValue.self, from: data)
        self.name = name; self.seed = seed; self.estimate = estimate; self.dependencies = dependencies
    }

    public var key: CellKey { CellKey(name: name, seed: seed) }
}

public struct CellKey: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var seed: Int
    public init(name: String, seed: Int) { self.name = name; self.seed = seed }
    public var description: String { "\(name) seed \(seed)" }
}

/// A planned grid: cells in execution order (dependencies first).
public struct Grid: Sendable {
    public var cells: [GridCell]

    public init(_ cells: [GridCell]) throws {
        var seen = Set<CellKey>()
        for c in cells {
            for d in c.dependencies where !seen.contains(d) {
                throw LabError.grid("cell \(c.key) depends on \(d), which is not planned before it")
            }
            guard seen.insert(c.key).inserted else { throw LabError.grid("cell \(c.key) is planned twice") }
        }
        self.cells = cells
    }

    /// The cells whose name contains `only` (and seed equals `seed`), with everything they depend on.
    public func restricted(only: String?, seed: Int?) -> Grid {
        guard only != nil || seed != nil else { return self }
        let byKey = Dictionary(uniqueKeysWithValues: cells.map { ($0.key, $0) })
        var keep = Set<CellKey>()
        func add(_ k: CellKey) { if keep.insert(k).inserted { byKey[k]?.dependencies.forEach(add) } }
        for c in cells where (only.map { c.name.contains($0) } ?? true) && (seed.map { c.seed == $0 } ?? true) { add(c.key) }
        return (try? Grid(cells.filter { keep.contains($0.key) })) ?? self
    }

    public var totalEstimate: Double { cells.reduce(0) { $0 + $1.estimate } }
}

public enum LabError: Error, CustomStringConvertible {
    case grid(String)
    case cell(String, hint: String)

    public var description: String {
        switch self {
        case .grid(let m): return "grid: \(m)"
        case .cell(let m, let hint): return "\(m) (\(hint))"
        }
    }
}
