import Foundation

/// Errors of the ledger: what went wrong and what to do about it. SQL errors carry the statement and
/// its arguments (as GRDB's do).
public enum LedgerError: Error, CustomStringConvertible, Equatable {
    case database(String, hint: String)
    case sql(String, sql: String, arguments: [String])
    case git(String, hint: String)
    case dirtyTree(String)
    case notFound(String)
    case ambiguous(String, candidates: [String])
    case importConflict(String)
    case invalid(String, hint: String)

    public var description: String {
        switch self {
        case .database(let m, let hint): return "ledger: \(m) (\(hint))"
        case .sql(let m, let sql, let args): return "ledger SQL error: \(m)\n  in: \(sql)\n  arguments: \(args)"
        case .git(let m, let hint): return "git: \(m) (\(hint))"
        case .dirtyTree(let m): return "refusing to start: the working tree is dirty (\(m)); commit or stash, or drop --require-clean"
        case .notFound(let m): return "no run matches \(m) (see `lab runs`)"
        case .ambiguous(let m, let c): return "run id prefix \(m) is ambiguous: \(c.prefix(5).joined(separator: ", ")); give more characters"
        case .importConflict(let m): return "import refused: \(m)"
        case .invalid(let m, let hint): return "\(m) (\(hint))"
        }
    }
}
