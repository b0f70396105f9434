import ArgumentParser
import Foundation
import Ledger

/// Options shared by every command that reads or writes the ledger.
struct LedgerOptions: ParsableArguments {
    @Option(name: .long, help: "Ledger file (default: LAB_DB, else .lab/ledger.sqlite at the repository root).")
    var db: String?

    func open() throws -> Ledger { try Ledger(path: Ledger.defaultPath(explicit: db)) }
}

/// Formatting shared by the ledger verbs.
enum Format {
    static func date(_ t: Double?) -> String {
        guard let t else { return "-" }
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: Date(timeIntervalSince1970: t)) + "Z"
    }

    static func duration(_ s: Double?) -> String {
        guard let s else { return "-" }
        if s < 60 { return String(format: "%.1fs", s) }
        if s < 3600 { return String(format: "%dm%02ds", Int(s) / 60, Int(s) % 60) }
        return String(format: "%dh%02dm", Int(s) / 3600, (Int(s) % 3600) / 60)
    }

    static func number(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e12 { return String(format: "%.0f", v) }
        return abs(v) >= 1e-3 && abs(v) < 1e6 ? String(format: "%.4f", v) : String(format: "%.4g", v)
    }

    static func json<T: Encodable>(_ v: T, pretty: Bool = false) throws -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try enc.encode(v), as: UTF8.self)
    }
}

/// The options the user typed after the subcommand, as given ("--steps 100" -> ["steps": "100"],
/// a bare flag -> "true"): what a run records as its overrides of the defaults.
func commandLineOverrides(after subcommand: String) -> [String: String] {
    let args = CommandLine.arguments
    guard let start = args.firstIndex(of: subcommand) else { return [:] }
    var out: [String: String] = [:]
    var i = start + 1
    while i < args.count {
        let a = args[i]
        guard a.hasPrefix("--") else { i += 1; continue }
        let body = String(a.dropFirst(2))
        if let eq = body.firstIndex(of: "=") {
            out[String(body[..<eq])] = String(body[body.index(after: eq)...])
            i += 1
        } else if i + 1 < args.count && !args[i + 1].hasPrefix("--") {
            out[body] = args[i + 1]
            i += 2
        } else {
            out[body] = "true"
            i += 1
        }
    }
    return out
}

/// The command line that re-runs this `lab` invocation from the repository root (recorded for
/// `lab reproduce`): `LAB_RERUN` when a wrapper script set it (words separated by spaces), else
/// `swift run lab SUBCOMMAND ARGS...`.
func rerunCommand(subcommand: String) -> [String] {
    if let env = ProcessInfo.processInfo.environment["LAB_RERUN"], !env.isEmpty { return env.split(separator: " ").map(String.init) }
    let args = CommandLine.arguments
    let rest = args.firstIndex(of: subcommand).map { Array(args[($0 + 1)...]) } ?? []
    return ["swift", "run", "lab", subcommand] + rest
}
