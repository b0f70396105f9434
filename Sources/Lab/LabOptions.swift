import ArgumentParser
import Foundation

/// The two grids every experiment declares: a quick default (minutes) and the full grid its report comes from.
public enum GridName: String, Codable, CaseIterable, Sendable {
    case quick, full
}

/// The flags every experiment executable shares (`@OptionGroup var lab: LabOptions`).
public struct LabOptions: ParsableArguments {
    @Flag(name: .long, help: "Run the full grid (the one the committed report comes from). Default: the quick grid, a few minutes.")
    public var full = false
    @Flag(name: .long, help: "Run the quick grid (the default).")
    public var quick = false
    @Option(name: .long, help: "Number of seeds (default: the grid's own: quick 1, full 3).")
    public var seeds: Int?
    @Option(name: .long, help: "Run only this seed (with --only, one cell: what `lab reproduce` runs).")
    public var seed: Int?
    @Option(name: .long, help: "Run only the cell with this name, or the cells whose name contains this text (their dependencies run or resume too).")
    public var only: String?
    @Option(name: .long, help: "Ledger file (default: LAB_DB, else .lab/ledger.sqlite at the repository root).")
    public var db: String?
    @Flag(name: .long, help: "Print the grid and the time estimate; run nothing.")
    public var dryRun = false
    @Flag(name: .long, help: "Run cells again even when a finished run at this commit and config exists.")
    public var force = false
    @Option(name: .long, help: "Worker threads (default: all CPUs). Results are bit-identical only at the same thread count.")
    public var threads: Int?

    public init() {}

    /// The grid to run: `.full` with --full, else `.quick`.
    public var grid: GridName { full ? .full : .quick }

    public func validate() throws {
        if full && quick { throw ValidationError("--full and --quick exclude each other") }
        if let s = seeds, s < 1 || s > 20 { throw ValidationError("--seeds must be 1...20") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1") }
    }
}
