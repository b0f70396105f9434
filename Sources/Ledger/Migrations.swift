import Foundation

/// The ledger's schema as named migrations, applied in order and recorded in `lab_migrations`. Only
/// ever add a migration at the end; never edit one that has shipped. A database listing a migration
/// this build does not know was written by a newer build and is refused, never modified.
enum Migrations {
    /// "LABL": marks a SQLite file as a ledger (PRAGMA application_id).
    static let applicationID: Int32 = 0x4C41_424C

    static let all: [(name: String, sql: String)] = [
        ("001_runs_metrics_artifacts_blobs", """
        CREATE TABLE runs(
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            experiment TEXT NOT NULL,
            cell TEXT NOT NULL,
            seed INTEGER NOT NULL,
            parent_id TEXT,
            config_json TEXT NOT NULL,
            overrides_json TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed')),
            error TEXT,
            started_at REAL NOT NULL,
            ended_at REAL,
            heartbeat_at REAL,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            commit_sha TEXT,
            dirty INTEGER NOT NULL,
            code_json TEXT NOT NULL,
            env_json TEXT NOT NULL,
            summary_json TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX runs_experiment ON runs(experiment, cell, seed);
        CREATE INDEX runs_commit ON runs(commit_sha);
        CREATE TABLE metrics(
            run_seq INTEGER NOT NULL REFERENCES runs(seq),
            key TEXT NOT NULL,
            step INTEGER NOT NULL,
            value REAL NOT NULL,
            PRIMARY KEY (run_seq, key, step)
        ) WITHOUT ROWID;
        CREATE TABLE artifacts(
            run_seq INTEGER NOT NULL REFERENCES runs(seq),
            path TEXT NOT NULL,
            kind TEXT NOT NULL,
            size INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            PRIMARY KEY (run_seq, path)
        );
        CREATE TABLE blobs(
            sha256 TEXT PRIMARY KEY,
            content BLOB NOT NULL
        );
        """),
        // How to run a cell again (`lab reproduce`): command line and metric tolerances, as JSON.
        ("002_runs_rerun", "ALTER TABLE runs ADD COLUMN rerun_json TEXT;"),
        // Portable artifact paths: what a relative `artifacts.path` is relative to ('ledger' or
        // 'repository'); NULL for an absolute path (every row written before this migration).
        ("003_artifacts_relative_to", "ALTER TABLE artifacts ADD COLUMN relative_to TEXT;"),
    ]

    /// Opens-time checks and migration. Throws, without writing, for a file that is not SQLite, not a
    /// ledger, corrupt, or from a newer schema.
    static func prepare(_ db: SQLiteDatabase) throws {
        let path = db.path
        func refuse(_ what: String, _ hint: String) -> LedgerError { .database("\(path): \(what)", hint: hint) }
        let appID: Int32
        let userTables: [String]
        do {
            appID = Int32(truncatingIfNeeded: try db.query("PRAGMA application_id").first?.first?.int ?? 0)
            userTables = try db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").compactMap { $0.first?.string }
        } catch {
            throw refuse("not a readable SQLite database (\(error))", "the file is corrupt or not a ledger; it was left untouched; point --db elsewhere")
        }
        if appID != applicationID {
            if appID != 0 || !userTables.isEmpty {
                throw refuse("a SQLite database that is not a lab ledger (tables: \(userTables.prefix(5).joined(separator: ", ")))",
                             "it was left untouched; point --db or LAB_DB at a ledger or a new path")
            }
        }
        if appID == applicationID {
            let rows = try db.query("PRAGMA quick_check(1)")
            if rows.first?.first?.string != "ok" {
                throw refuse("failed SQLite's quick_check: \(rows.first?.first?.string ?? "?")", "the ledger is corrupt; restore it from a copy or `lab import` its exports into a new one")
            }
        }
        // WAL: readers never block the writer, and several processes can log at once.
        _ = try db.query("PRAGMA journal_mode = WAL")
        try db.exec("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON")
        try db.transaction {
            try db.exec("CREATE TABLE IF NOT EXISTS lab_migrations(name TEXT PRIMARY KEY, applied_at REAL NOT NULL)")
            let applied = Set(try db.query("SELECT name FROM lab_migrations").compactMap { $0.first?.string })
            let known = Set(all.map(\.name))
            let unknown = applied.subtracting(known)
            if !unknown.isEmpty {
                throw refuse("written by a newer lab (schema migrations \(unknown.sorted().joined(separator: ", ")) unknown here)",
                             "update this checkout, or use another --db; the file was not modified")
            }
            for m in all where !applied.contains(m.name) {
                try db.exec(m.sql)
                try db.run("INSERT INTO lab_migrations(name, applied_at) VALUES (?, ?)", [.text(m.name), .real(Date().timeIntervalSince1970)])
            }
            try db.exec("PRAGMA application_id = \(applicationID)")
        }
    }
}
