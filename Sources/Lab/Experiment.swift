import ArgumentParser
import Foundation
import Tensor

/// An experiment, as a notebook declares it: its typed cells, its grids and one cell's science. The kit
/// does the rest: command-line flags and help, BLAS kernel selection, `--only/--seed/--seeds`, planning,
/// `--dry-run`, running and resuming cells as ledger runs with progress, and the table and verdict at the
/// end. A notebook's `main.swift` ends with `MyExperiment.main()`.
public protocol Experiment {
    /// The typed cell kinds: an enum whose every case carries one `CellConfig`
    /// (e.g. `enum Cell { case pretrain(Pretrain), finetune(Finetune) }`). The case name is the cell's role.
    associatedtype Cell
    /// The experiment's name as recorded in the ledger and used by `lab tables` (e.g. "task-scaling").
    static var name: String { get }
    /// One line for `--help`.
    static var abstract: String { get }
    /// The grids and what they cost, for `--help`.
    static var discussion: String { get }
    /// The number of seeds a grid plans (the full grid's is pre-registered in the report spec's commit).
    static func seeds(_ grid: GridName) -> Int
    /// Adds the grid's cells to `plan` (parents before children), for `plan.seeds`.
    static func plan(_ plan: inout Plan<Cell>) throws
    /// Runs one cell and returns its final metrics.
    static func run(_ cell: Cell, _ ctx: CellContext) throws -> any CellMetrics
    /// A line printed before the grid runs (e.g. the data split); nil for none.
    static func preamble(_ grid: GridName) -> String?
}

extension Experiment {
    public static func preamble(_ grid: GridName) -> String? { nil }

    /// Selects the fast BLAS kernels (which may re-execute the process once), parses the command line and
    /// runs the experiment (exits with a message on error).
    public static func main() {
        BLAS.selectFastKernels()
        ExperimentCommand<Self>.main()
    }

    /// Runs the experiment with parsed options: plans, runs or resumes, prints the table. (It does not
    /// select BLAS kernels: `main()` does, before anything else runs.)
    public static func run(options: LabOptions) throws {
        let grid = options.grid
        let seeds = Array(1...(options.seeds ?? seeds(grid)))
        var plan = Plan<Cell>(grid: grid, seeds: seeds)
        try Self.plan(&plan)
        let selected = try plan.planned().restricted(only: options.only, seed: options.seed)
        let runner = try Runner(experiment: name, options: options, plannedSeeds: seeds)
        guard try runner.plan(selected) else { return }
        if let p = preamble(grid) { runner.say(p) }
        try runner.execute(selected) { gridCell, ctx in
            guard let cell = plan.cell(gridCell.key) else { throw LabError.grid("cell \(gridCell.key) was not planned") }
            return try run(cell, ctx).summary()
        }
        try runner.printReport()
    }
}

/// The command-line front of an `Experiment`: `exp-<name>` with the shared flags.
struct ExperimentCommand<E: Experiment>: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "exp-\(E.name)", abstract: E.abstract, discussion: E.discussion)
    }

    @OptionGroup var lab: LabOptions

    init() {}

    func run() throws { try E.run(options: lab) }
}
