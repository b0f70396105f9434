// Thin module over SQLite's C API (Debian: libsqlite3-dev). Used by the Ledger layer.
#include <sqlite3.h>
