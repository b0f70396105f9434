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
    /// The cells that must finish first, by the role they play for this one (e.g. "base").
    public var parents: [ParentRole: CellKey]

    public init(name: String, seed: Int, config: JSONValue, estimate: Double, parents: [ParentRole: CellKey] = [:]) {
        self.name = name; self.seed = seed; self.config = config; self.estimate = estimate; self.parents = parents
    }

    public var key: CellKey { CellKey(name: name, seed: seed) }

    /// The parent recorded as the run's `parent_id`: the `base` when there is one, else the first role by name.
    public var primaryParent: CellKey? { parents[.base] ?? parents.sorted { $0.key.rawValue < $1.key.rawValue }.first?.value }
}

/// The role a parent cell plays for a child (e.g. `.base`: the checkpoint it starts from).
public struct ParentRole: RawRepresentable, Hashable, Sendable, Codable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }
    public var description: String { rawValue }
    /// The model a cell starts from.
    public static let base: ParentRole = "base"
}

/// A cell at one seed.
public struct CellKey: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var seed: Int
    public init(name: String, seed: Int) { self.name = name; self.seed = seed }
    public var description: String { "\(name) seed \(seed)" }
}

/// A planned grid: cells in execution order (parents first).
public struct Grid: Sendable {
    public var cells: [GridCell]

    public init(_ cells: [GridCell]) throws {
        var seen = Set<CellKey>()
        for c in cells {
            for (role, d) in c.parents.sorted(by: { $0.key.rawValue < $1.key.rawValue }) where !seen.contains(d) {
                throw LabError.grid("cell \(c.key) needs its \(role) \(d), which is not planned before it")
            }
            guard seen.insert(c.key).inserted else { throw LabError.grid("cell \(c.key) is planned twice") }
        }
        self.cells = cells
    }

    /// The cells `--only` and `--seed` select: the one matching rule of the kit (planning, execution, forcing
    /// and `lab reproduce` all use it). `only` selects the cell of exactly that name when there is one (so
    /// "tasks=1" never also selects "tasks=128"), else every cell whose name contains it.
    public func targets(only: String?, seed: Int?) -> Set<CellKey> {
        let exact = only.map { o in cells.contains { $0.name == o } } ?? false
        return Set(cells.filter { c in
            (only.map { exact ? c.name == $0 : c.name.contains($0) } ?? true) && (seed.map { c.seed == $0 } ?? true)
        }.map(\.key))
    }

    /// The cells `--only`/`--seed` select, with everything they depend on; an error when none matches.
    public func restricted(only: String?, seed: Int?) throws -> Grid {
        guard only != nil || seed != nil else { return self }
        let byKey = Dictionary(uniqueKeysWithValues: cells.map { ($0.key, $0) })
        var keep = Set<CellKey>()
        func add(_ k: CellKey) { if keep.insert(k).inserted { byKey[k]?.parents.values.forEach(add) } }
        targets(only: only, seed: seed).forEach(add)
        if keep.isEmpty {
            let names = Array(Set(cells.map(\.name))).sorted()
            throw LabError.grid("no cell matches --only \(only ?? "(any)") --seed \(seed.map(String.init) ?? "(any)"); cells: \(names.prefix(12).joined(separator: "; "))\(names.count > 12 ? "; ..." : "")")
        }
        return try Grid(cells.filter { keep.contains($0.key) })
    }

    public var totalEstimate: Double { cells.reduce(0) { $0 + $1.estimate } }
}

/// Errors of the Lab layer: what went wrong and what to do.
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
