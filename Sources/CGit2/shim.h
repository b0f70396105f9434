// Thin module over libgit2 (Debian: libgit2-dev). Used by the Ledger layer.
#include <git2.h>
