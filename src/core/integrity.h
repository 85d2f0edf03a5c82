// Checks beyond PRAGMA integrity_check, which in SQLite 3.40 does not look inside FTS5
// indexes: their shadow tables stay sound b-trees when the index they hold is garbage, reads
// still work, and the damage surfaces later as "database disk image is malformed" on a write.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <sqlite3.h>

#include "core/environment.h"
#include "core/error.h"

namespace os1 {

enum class SearchIndexRepair { Report, Rebuild };

// Runs FTS5's 'integrity-check' on every FTS5 table of `db` (whose file is `file`). With
// Report, the first damaged index is an ErrorKind::Corrupt error naming the way back; an index
// that cannot be checked on a read-only connection passes. With Rebuild, a damaged index is
// rebuilt from the text it indexes ('rebuild') and checked again; returns the names rebuilt.
// Only for a database whose PRAGMA integrity_check passed: the rebuild trusts the content.
ErrorOr<std::vector<std::string>> check_search_indexes(sqlite3* db, const std::filesystem::path& file,
                                                       SearchIndexRepair repair);

// check_search_indexes with Rebuild, each rebuilt index logged to env.log as a warning.
ErrorOr<void> repair_search_indexes(sqlite3* db, const std::filesystem::path& file, const Environment& env);

}  // namespace os1
