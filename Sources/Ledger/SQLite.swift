import Foundation
import CSQLite

/// The project's one wrapper over SQLite's C API (no raw pointers past this file). A thin layer of our
/// own rather than GRDB: the ledger needs a handful of statements, explicit control of transactions,
/// WAL and busy handling, and no extra package to build on every fresh clone.
final class SQLiteDatabase {
    let handle: OpaquePointer
    let path: String

    /// Opens (or creates, when `create`) the database at `path`, with a busy timeout so concurrent
    /// writers wait instead of failing.
    init(path: String, create: Bool, busyTimeoutMs: Int32 = 30_000) throws {
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let msg = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let db { sqlite3_close_v2(db) }
            throw LedgerError.database("cannot open \(path): \(msg)", hint: "check the path and its permissions")
        }
        handle = db
        self.path = path
        sqlite3_busy_timeout(db, busyTimeoutMs)
        sqlite3_extended_result_codes(db, 1)
    }

    deinit { sqlite3_close_v2(handle) }

    /// Runs one or more statements without results.
    func exec(_ sql: String) throws {
        var err: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &err)
        if rc != SQLITE_OK {
            let msg = err.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(err)
            throw LedgerError.sql(msg, sql: sql, arguments: [])
        }
    }

    func prepare(_ sql: String) throws -> Statement { try Statement(self, sql) }

    /// Runs `body` in a transaction (BEGIN IMMEDIATE: takes the write lock up front, so two writers never
    /// deadlock upgrading read locks); commits on success, rolls back on a thrown error.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try exec("BEGIN IMMEDIATE")
        do {
            let r = try body()
            try exec("COMMIT")
            return r
        } catch {
            try? exec("ROLLBACK")
            throw error
        }
    }

    /// Rows of a query as arrays of values.
    func query(_ sql: String, _ args: [SQLValue] = []) throws -> [[SQLValue]] {
        let st = try prepare(sql)
        try st.bind(args)
        var rows: [[SQLValue]] = []
        while try st.step() { rows.append((0..<st.columnCount).map { st.value($0) }) }
        return rows
    }

    /// Runs a statement with arguments, no results.
    func run(_ sql: String, _ args: [SQLValue] = []) throws {
        let st = try prepare(sql)
        try st.bind(args)
        while try st.step() {}
    }

    var changes: Int { Int(sqlite3_changes(handle)) }
    var lastError: String { String(cString: sqlite3_errmsg(handle)) }
}

/// A value bound to or read from SQLite.
enum SQLValue: Equatable {
    case null, int(Int64), real(Double), text(String), blob([UInt8])

    var string: String? { if case .text(let s) = self { return s }; return nil }
    var int: Int64? { if case .int(let i) = self { return i }; if case .real(let d) = self { return Int64(d) }; return nil }
    var double: Double? { if case .real(let d) = self { return d }; if case .int(let i) = self { return Double(i) }; return nil }
    var bytes: [UInt8]? { if case .blob(let b) = self { return b }; if case .text(let s) = self { return Array(s.utf8) }; return nil }
}

private let SQLITE_TRANSIENT = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A prepared statement.
final class Statement {
    let handle: OpaquePointer
    let sql: String
    unowned let db: SQLiteDatabase
    private var args: [SQLValue] = []

    init(_ db: SQLiteDatabase, _ sql: String) throws {
        var st: OpaquePointer?
        let rc = sqlite3_prepare_v2(db.handle, sql, -1, &st, nil)
        guard rc == SQLITE_OK, let st else { throw LedgerError.sql(db.lastError, sql: sql, arguments: []) }
        handle = st
        self.sql = sql
        self.db = db
    }

    deinit { sqlite3_finalize(handle) }

    func bind(_ values: [SQLValue]) throws {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        args = values
        for (i, v) in values.enumerated() {
            let idx = Int32(i + 1)
            let rc: Int32
            switch v {
            case .null: rc = sqlite3_bind_null(handle, idx)
            case .int(let x): rc = sqlite3_bind_int64(handle, idx, x)
            case .real(let x): rc = sqlite3_bind_double(handle, idx, x)
            case .text(let s): rc = sqlite3_bind_text(handle, idx, s, -1, SQLITE_TRANSIENT)
            case .blob(let b): rc = b.withUnsafeBytes { sqlite3_bind_blob(handle, idx, $0.baseAddress, Int32(b.count), SQLITE_TRANSIENT) }
            }
            if rc != SQLITE_OK { throw LedgerError.sql(db.lastError, sql: sql, arguments: values.map { "\($0)" }) }
        }
    }

    /// Fast path for the metric insert: binds without building an array.
    func bindMetric(_ runSeq: Int64, _ key: String, _ step: Int64, _ value: Double) {
        sqlite3_reset(handle)
        sqlite3_bind_int64(handle, 1, runSeq)
        sqlite3_bind_text(handle, 2, key, -1, SQLITE_TRANSIENT)
        sqlite3_bind_int64(handle, 3, step)
        sqlite3_bind_double(handle, 4, value)
    }

    /// Advances; true while a row is available.
    func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw LedgerError.sql(db.lastError, sql: sql, arguments: args.map { "\($0)" })
    }

    var columnCount: Int { Int(sqlite3_column_count(handle)) }

    func value(_ i: Int) -> SQLValue {
        let c = Int32(i)
        switch sqlite3_column_type(handle, c) {
        case SQLITE_INTEGER: return .int(sqlite3_column_int64(handle, c))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(handle, c))
        case SQLITE_TEXT: return .text(String(cString: sqlite3_column_text(handle, c)))
        case SQLITE_BLOB:
            let n = Int(sqlite3_column_bytes(handle, c))
            guard n > 0, let p = sqlite3_column_blob(handle, c) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: p, count: n)))
        default: return .null
        }
    }
}
