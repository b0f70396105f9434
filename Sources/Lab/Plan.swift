import Foundation
import Ledger

/// A cell's config: everything that changes its result, recorded whole in the ledger.
public protocol CellConfig: Encodable, Sendable {
    /// What names the cell besides its kind, e.g. "size=S,tasks=32" (empty when the kind is enough).
    var label: String { get }
}

/// An experiment's grid under construction: typed cells (values of the experiment's `Cell` enum, each case
/// carrying a `CellConfig`), their seeds, cost estimates and parents by role.
///
/// A cell's recorded config is its case's config plus `role` (the case name) and `grid`; its name is
/// "role,label". The grid keeps the typed value, so a cell's body receives it as written, never decoded
/// back from JSON.
public struct Plan<Cell> {
    public let grid: GridName
    /// The planned seeds (recorded with every run, so a report knows which seeds are missing).
    public let seeds: [Int]
    var typed: [CellKey: Cell] = [:]
    var cells: [GridCell] = []

    public init(grid: GridName, seeds: [Int]) { self.grid = grid; self.seeds = seeds }

    /// Adds `cell` at `seed`; `parents` are cells added before, by the role they play. Returns the key that
    /// later cells name as a parent.
    @discardableResult
    public mutating func add(_ cell: Cell, seed: Int, estimate: Double, parents: [ParentRole: CellKey] = [:]) throws -> CellKey {
        let (role, config) = try Plan.kind(of: cell)
        var json = try Plan.encode(config)
        guard case .object(var fields) = json else { throw LabError.grid("the config of a \(role) cell does not encode as a JSON object") }
        for reserved in ["role", "grid", "parents"] where fields[reserved] != nil {
            throw LabError.grid("the config of a \(role) cell has a field '\(reserved)', which the kit records itself")
        }
        fields["role"] = .string(role)
        fields["grid"] = .string(grid.rawValue)
        if !parents.isEmpty {
            fields["parents"] = .object(Dictionary(uniqueKeysWithValues: parents.map { ($0.key.rawValue, JSONValue.string($0.value.name)) }))
        }
        json = .object(fields)
        let name = config.label.isEmpty ? role : "\(role),\(config.label)"
        let gc = GridCell(name: name, seed: seed, config: json, estimate: estimate, parents: parents)
        guard typed[gc.key] == nil else { throw LabError.grid("cell \(gc.key) is planned twice (two configs with the same label?)") }
        for (r, p) in parents where typed[p] == nil {
            throw LabError.grid("cell \(gc.key) names \(p) as its \(r), which is not planned before it")
        }
        typed[gc.key] = cell
        cells.append(gc)
        return gc.key
    }

    /// The typed cell of a planned key.
    public func cell(_ key: CellKey) -> Cell? { typed[key] }

    /// The planned grid (cells in the order they were added).
    public func planned() throws -> Grid { try Grid(cells) }

    /// The case name and config of an enum value whose case carries one `CellConfig`.
    static func kind(of cell: Cell) throws -> (String, any CellConfig) {
        let m = Mirror(reflecting: cell)
        guard m.displayStyle == .enum, let child = m.children.first, let label = child.label else {
            throw LabError.grid("\(Cell.self) must be an enum whose every case carries one CellConfig (got \(cell))")
        }
        guard let config = child.value as? any CellConfig else {
            throw LabError.grid("case \(label) of \(Cell.self) carries \(type(of: child.value)), which is not a CellConfig")
        }
        return (label, config)
    }

    static func encode(_ config: any CellConfig) throws -> JSONValue {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        return try JSONDecoder().decode(JSONValue.self, from: try enc.encode(config))
    }
}

/// A cell's final metrics: a struct whose stored numbers (and dictionaries or nested structs of numbers)
/// become the run's summary, keyed in snake case ("heldoutEM" -> "heldout_em"; a dictionary
/// `perCluster["lookup"]` -> "per_cluster.lookup"). Non-finite values are left out (they read as missing).
public protocol CellMetrics: Encodable {}

extension CellMetrics {
    /// The flattened summary.
    public func summary() throws -> [String: Double] {
        let enc = JSONEncoder()
        enc.keyEncodingStrategy = .convertToSnakeCase
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let json = try JSONDecoder().decode(JSONValue.self, from: try enc.encode(self))
        var out: [String: Double] = [:]
        func walk(_ v: JSONValue, _ prefix: String) throws {
            switch v {
            case .number(let d): out[prefix] = d
            case .bool(let b): out[prefix] = b ? 1 : 0
            case .object(let o): for (k, x) in o { try walk(x, prefix.isEmpty ? k : prefix + "." + k) }
            case .string(let s) where ["nan", "inf", "-inf"].contains(s): break
            case .null: break
            default: throw LabError.cell("metric '\(prefix)' is not a number", hint: "final metrics are numbers, or dictionaries and structs of numbers")
            }
        }
        try walk(json, "")
        return out
    }
}
