// Forgetting on disk. SQLite leaves a deleted row's bytes in the page it freed, and the
// write-ahead log keeps old page images until a checkpoint; what the user forgets must be
// overwritten in both. Used by every module that deletes what the user asked to forget.
// Not thread-safe, like Database.
#pragma once

#include "core/database.h"
#include "core/error.h"

namespace os1 {

// From now on this connection overwrites what it deletes with zeros (PRAGMA secure_delete).
// Call it before the deleting transaction: the pragma cannot change inside one.
ErrorOr<void> overwrite_deleted_content(Database& db);

// Copies the write-ahead log into the database file and truncates the log, so that the zeroed
// pages replace the old ones on disk. False when another connection's open read kept it from
// finishing: that connection's next checkpoint (at the latest when it closes) does it.
ErrorOr<bool> checkpoint_and_truncate_wal(Database& db);

}  // namespace os1
