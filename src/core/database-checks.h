// When Database::open checks a file: the record, kept in the file itself, of the last day a
// quick check passed, so that the check runs at most once a day per file however many
// processes open it. Internal to core.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include <sqlite3.h>

namespace os1::detail {

// A file's device and inode: a file replaced since its check (a restore, a copy from
// elsewhere) is a different file and is checked again.
struct FileIdentity {
    dev_t device = 0;
    ino_t inode = 0;
    bool operator==(const FileIdentity&) const = default;
};

// True when `db` records a passed check on `day` (days since 1970, UTC) of the file `identity`
// at `path` (canonical): a file checked elsewhere and renamed into place is checked again.
bool checked_on_day(sqlite3* db, int64_t day, const FileIdentity& identity, const std::string& path);

// Records a passed check on `day`. Best effort: a busy or read-only database only means the
// next open checks again.
void record_check(sqlite3* db, int64_t day, const FileIdentity& identity, const std::string& path);

}  // namespace os1::detail
