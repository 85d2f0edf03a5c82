// Backups of a user's database: a daily copy taken with SQLite's online backup API when the
// database first opens on a day and passes its integrity check, kept in backups/ beside it (the
// newest backups_kept), and the restore that puts one back after the database was damaged. A
// restore moves the damaged file aside; it never deletes it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <sqlite3.h>

#include "core/error.h"

namespace os1 {

// How many daily backups are kept; older ones are removed when a new one is written.
inline constexpr size_t backups_kept = 7;

struct BackupFile {
    std::filesystem::path path;
    std::string day;  // "2026-11-27" (UTC), from the file name
};

// <folder of db_file>/backups
std::filesystem::path backup_dir(const std::filesystem::path& db_file);

// The backups of `db_file` (backups/<stem>-YYYYMMDD.db), newest first.
std::vector<BackupFile> list_backups(const std::filesystem::path& db_file);

// Deletes every backup of `db_file` (with any -wal and -shm beside it): forgetting must not
// leave what it removed in a copy. Returns how many backups there were.
ErrorOr<size_t> delete_backups(const std::filesystem::path& db_file);

// Copies the open database `db` (whose file is `db_file`) into backups/<stem>-YYYYMMDD.db for
// the UTC day of `now`, through a temporary file that is fsynced, checked (check_database_file)
// and then renamed, and removes all but the newest backups_kept. Returns the backup's path. A
// copy that fails its check is deleted and is an ErrorKind::Corrupt error: a damaged copy never
// replaces a backup.
ErrorOr<std::filesystem::path> write_backup(sqlite3* db, const std::filesystem::path& db_file, int64_t now);

// write_backup unless a backup of the day of `now` exists; nullopt when one did.
ErrorOr<std::optional<std::filesystem::path>> write_daily_backup(sqlite3* db, const std::filesystem::path& db_file,
                                                                 int64_t now);

// What to do about a damaged `db_file`, for error messages: the newest backup, its day and the
// exact command that restores it, or, without a backup, how to start again without losing it.
std::string restore_advice(const std::filesystem::path& db_file);

// Runs PRAGMA integrity_check and FTS5's integrity-check of each search index on `file`,
// without repairing it, every time it is called (unlike Database::open, which checks once a
// day); the first problem as an ErrorKind::Corrupt error.
ErrorOr<void> check_database_file(const std::filesystem::path& file);

struct RestoreResult {
    std::filesystem::path restored_from;
    std::optional<std::filesystem::path> moved_aside;  // the damaged file's new name, if there was one
};

enum class RestoreHealthy { Refuse, Replace };

// Restores `backup` as `db_file`: copies it beside db_file, checks the copy's integrity, moves
// the current db_file (and its -wal, -shm and -commit-mark) aside to
// <name>.damaged-YYYYMMDD-HHMMSS (with -2, -3, ... appended when that name is taken; no file is
// ever replaced), then renames the copy into place and fsyncs the folder. A current file whose
// log holds what was committed (check_commit_mark) and that passes its integrity check, or
// fails only in a search index (which the next open rebuilds), is only replaced with
// RestoreHealthy::Replace (else ErrorKind::Conflict). Nobody may have the database open.
ErrorOr<RestoreResult> restore_backup(const std::filesystem::path& db_file, const std::filesystem::path& backup,
                                      int64_t now, RestoreHealthy healthy);

}  // namespace os1
