// What a failed SQLite call on a database file means for the person who owns the data, and
// what they should do: the file is damaged (restore it), os1 may not write where it keeps it
// (fix the permissions; nothing is damaged), another process holds it (wait or stop that
// process), the disk is full, or its write-ahead log was deleted under a running process.
// Telling these apart matters: "restore it" is the wrong advice for a read-only folder.
#pragma once

#include <string>
#include <string_view>

#include <sqlite3.h>

#include "core/error.h"

namespace os1 {

enum class SqliteFailureCause {
    Damage,      // SQLITE_CORRUPT, SQLITE_NOTADB
    Permission,  // SQLITE_READONLY, SQLITE_PERM, SQLITE_AUTH, or EACCES/EPERM/EROFS underneath
    Locked,      // SQLITE_BUSY, SQLITE_LOCKED: another connection holds the file
    DiskFull,    // SQLITE_FULL or ENOSPC
    WalMissing,  // a short read while <file>-wal is gone or empty and <file>-shm is in use
    CannotOpen,  // SQLITE_CANTOPEN for another reason (a missing folder, too many open files)
    Other,
};

// The cause of the last error on `db`, whose main file is `file`.
SqliteFailureCause cause_of_failure(sqlite3* db, const std::string& file);

// The ErrorKind a cause maps to (Damage: Corrupt, Permission: PermissionDenied, Locked and
// WalMissing: Unavailable, DiskFull: DiskFull, else Internal).
ErrorKind kind_of_cause(SqliteFailureCause cause);

// SQLite's last error on `db` as "file: doing: message; what it means; what to do", with its
// kind. A damaged file names the way back (restore_advice).
Error sqlite_failure(sqlite3* db, const std::string& file, std::string_view doing = {});

}  // namespace os1
