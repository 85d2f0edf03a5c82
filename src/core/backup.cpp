#include "core/backup.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <thread>

#include "core/commit-mark.h"
#include "core/database.h"
#include "core/handles.h"
#include "core/integrity.h"
#include "core/shell-word.h"
#include "core/writer-note.h"

namespace os1 {

namespace fs = std::filesystem;

namespace {

std::string utc_format(int64_t now, const char* format) {
    std::time_t t = std::time_t(now);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char text[32];
    std::strftime(text, sizeof text, format, &tm);
    return text;
}

ErrorOr<void> fsync_path(const fs::path& path, int flags) {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    if (fd < 0)
        return make_error(path.string() + ": cannot open to sync: " + std::strerror(errno));
    int rc = ::fsync(fd);
    int saved = errno;
    ::close(fd);
    if (rc != 0)
        return make_error(path.string() + ": cannot sync to disk: " + std::strerror(saved));
    return {};
}

std::string restore_command(const fs::path& db_file) {
    const fs::path user_dir = db_file.parent_path();
    if (db_file.filename() == "os1.db" && user_dir.parent_path().filename() == "users")
        return "os1 --home " + shell_quoted(user_dir.parent_path().parent_path().string()) + " memory restore --user " +
               shell_quoted(user_dir.filename().string());
    return "";
}

ErrorOr<void> remove_database_files(const fs::path& file) {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"})
        fs::remove(file.string() + suffix, ec);
    return {};
}

// Renames `from` to `to` unless `to` exists, atomically, so that nothing is ever overwritten:
// renameat2(RENAME_NOREPLACE), or link and unlink where the filesystem lacks it. 0 or an errno
// (EEXIST when `to` is taken).
int rename_no_replace(const fs::path& from, const fs::path& to) {
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
        return errno;
    if (::link(from.c_str(), to.c_str()) != 0)
        return errno;
    if (::unlink(from.c_str()) != 0)
        return errno;
    return 0;
}

// Moves db_file and its -wal and -shm aside to <db_file>.damaged-YYYYMMDD-HHMMSS, or to the
// same name with -2, -3, ... appended when an earlier restore took it; never replaces a file.
ErrorOr<fs::path> move_damaged_aside(const fs::path& db_file, int64_t now) {
    const std::string base = db_file.string() + ".damaged-" + utc_format(now, "%Y%m%d-%H%M%S");
    constexpr int k_max_attempts = 1000;
    for (int n = 1; n <= k_max_attempts; ++n) {
        const fs::path aside = n == 1 ? fs::path(base) : fs::path(base + "-" + std::to_string(n));
        std::error_code ec;
        // A name is free only with its -wal and -shm free too, so that the three stay together.
        if (fs::exists(aside.string() + "-wal", ec) || fs::exists(aside.string() + "-shm", ec) ||
            fs::exists(aside.string() + "-commit-mark", ec))
            continue;
        const int error = rename_no_replace(db_file, aside);
        if (error == EEXIST)
            continue;
        if (error != 0)
            return make_error(db_file.string() + ": cannot move the damaged file aside: " + std::strerror(error));
        // The -wal belongs to the damaged file: left in place, it would be replayed into the backup.
        for (const char* suffix : {"-wal", "-shm", "-commit-mark"}) {
            const fs::path from = db_file.string() + suffix;
            if (!fs::exists(from, ec))
                continue;
            if (const int moved = rename_no_replace(from, aside.string() + suffix); moved != 0)
                return make_error(from.string() + ": cannot move it aside beside " + aside.string() + ": " +
                                  std::strerror(moved) + "; move it away by hand, then restore again");
        }
        return aside;
    }
    return make_error(db_file.string() + ": cannot move the damaged file aside: " + base +
                      " and its numbered variants are all taken; move some of them away, then restore again");
}

// Creates the empty file `file` with the permission bits of `model`, before SQLite opens it: a
// copy must be no easier to read than its original (a database of credentials is its owner's only).
ErrorOr<void> create_with_permissions_of(const fs::path& file, const fs::path& model) {
    struct stat info {};
    const mode_t mode = ::stat(model.c_str(), &info) == 0 ? (info.st_mode & 0777) : 0600;
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0)
        return make_error(file.string() + ": cannot create the backup: " + std::strerror(errno));
    ::close(fd);
    return {};
}

}  // namespace

fs::path backup_dir(const fs::path& db_file) {
    return db_file.parent_path() / "backups";
}

std::vector<BackupFile> list_backups(const fs::path& db_file) {
    std::vector<BackupFile> found;
    const std::string prefix = db_file.stem().string() + "-";
    std::error_code ec;
    for (const fs::directory_entry& entry : fs::directory_iterator(backup_dir(db_file), ec)) {
        const std::string name = entry.path().filename().string();
        if (name.size() != prefix.size() + 11 || name.rfind(prefix, 0) != 0 || !name.ends_with(".db"))
            continue;
        const std::string digits = name.substr(prefix.size(), 8);
        if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
            continue;
        found.push_back({entry.path(), digits.substr(0, 4) + "-" + digits.substr(4, 2) + "-" + digits.substr(6, 2)});
    }
    std::sort(found.begin(), found.end(), [](const BackupFile& a, const BackupFile& b) { return a.day > b.day; });
    return found;
}

ErrorOr<size_t> delete_backups(const fs::path& db_file) {
    // Copies left half-written by a process that was killed hold the forgotten text too; those of
    // a live process are its own to finish or remove.
    std::error_code listed;
    const std::string partial_prefix = "." + db_file.stem().string() + "-";
    for (const fs::directory_entry& entry : fs::directory_iterator(backup_dir(db_file), listed)) {
        const std::string name = entry.path().filename().string();
        if (!name.starts_with(partial_prefix) || !name.ends_with(".partial"))
            continue;
        const size_t pid_at = name.find(".db.");
        const pid_t writer = pid_at == std::string::npos ? 0 : pid_t(std::atol(name.c_str() + pid_at + 4));
        if (process_is_alive(writer))
            continue;
        std::error_code ec;
        fs::remove(entry.path(), ec);
    }
    const std::vector<BackupFile> backups = list_backups(db_file);
    for (const BackupFile& backup : backups) {
        for (const char* suffix : {"", "-wal", "-shm"}) {
            std::error_code ec;
            fs::remove(backup.path.string() + suffix, ec);
            if (ec)
                return make_error(backup.path.string() + suffix + ": cannot delete this backup: " + ec.message() +
                                  "; delete it by hand, it holds what was forgotten");
        }
    }
    return backups.size();
}

namespace {

// How long a backup waits for other connections to let go of the source before it gives up.
constexpr int k_backup_busy_wait_ms = 5000;

fs::path backup_path(const fs::path& db_file, int64_t now) {
    return backup_dir(db_file) / (db_file.stem().string() + "-" + utc_format(now, "%Y%m%d") + ".db");
}

// A name for the copy being written that no other process or thread uses at the same time:
// two processes taking the day's backup at once each write their own.
fs::path partial_path(const fs::path& target) {
    static std::atomic<uint64_t> counter{0};
    return target.parent_path() / ("." + target.filename().string() + "." + std::to_string(::getpid()) + "-" +
                                   std::to_string(counter.fetch_add(1)) + ".partial");
}

enum class Replace { Yes, No };

// Writes the backup of `db` into `target` through a partial file of its own, fsynced, then
// renamed. With Replace::No an existing target stays and wins: nullopt.
ErrorOr<std::optional<fs::path>> write_backup_file(sqlite3* db, const fs::path& db_file, const fs::path& target,
                                                   Replace replace) {
    const fs::path dir = target.parent_path();
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec)
        return make_error(dir.string() + ": cannot create the backup folder: " + ec.message());
    const fs::path partial = partial_path(target);
    OS1_TRY(remove_database_files(partial));
    OS1_TRY(create_with_permissions_of(partial, db_file));

    {
        sqlite3* raw = nullptr;
        int rc = sqlite3_open_v2(partial.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
        SqlitePtr copy(raw);
        if (rc != SQLITE_OK)
            return make_error(partial.string() + ": cannot create the backup: " + sqlite3_errstr(rc));
        // Another connection can hold the source briefly (recovering the log as it opens, or a
        // checkpoint); SQLite then fails the step at once, without calling any busy handler, and
        // a backup that failed so keeps failing. Start it again from scratch after a moment.
        for (int waited_ms = 0;; waited_ms += 10) {
            SqliteBackupPtr backup(sqlite3_backup_init(copy.get(), "main", db, "main"));
            if (!backup)
                return make_error(partial.string() + ": cannot start the backup: " + sqlite3_errmsg(copy.get()));
            rc = sqlite3_backup_step(backup.get(), -1);
            const bool busy = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
            if (!busy || waited_ms >= k_backup_busy_wait_ms)
                break;
            backup.reset();
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        if (rc != SQLITE_DONE) {
            std::string why = sqlite3_errstr(rc);
            copy.reset();
            (void)remove_database_files(partial);
            return make_error(rc == SQLITE_FULL ? ErrorKind::DiskFull : ErrorKind::Internal,
                              target.string() + ": the backup failed: " + why);
        }
    }
    // Durable before it replaces an older backup of the same day.
    if (auto synced = fsync_path(partial, O_RDONLY); synced.is_error()) {
        (void)remove_database_files(partial);
        return synced.release_error();
    }
    // And sound: a damaged copy must never take the place of a good backup.
    if (auto checked = check_database_file(partial); checked.is_error()) {
        (void)remove_database_files(partial);
        return make_error(ErrorKind::Corrupt, db_file.string() + ": not backed up, because the copy fails its check (" +
                                                  checked.error().message + "); the earlier backups are kept as they were");
    }
    if (replace == Replace::Yes) {
        fs::rename(partial, target, ec);
    } else if (const int error = rename_no_replace(partial, target); error == EEXIST) {
        // Another process took the day's backup first; its copy is whole, since it was renamed.
        (void)remove_database_files(partial);
        return std::optional<fs::path>();
    } else if (error != 0) {
        ec = std::error_code(error, std::generic_category());
    }
    if (ec) {
        (void)remove_database_files(partial);
        return make_error(target.string() + ": cannot put the backup in place: " + ec.message());
    }
    OS1_TRY(fsync_path(dir, O_RDONLY | O_DIRECTORY));

    std::vector<BackupFile> backups = list_backups(db_file);
    for (size_t i = backups_kept; i < backups.size(); ++i)
        (void)remove_database_files(backups[i].path);
    return std::optional<fs::path>(target);
}

}  // namespace

ErrorOr<fs::path> write_backup(sqlite3* db, const fs::path& db_file, int64_t now) {
    return OS1_TRY(write_backup_file(db, db_file, backup_path(db_file, now), Replace::Yes)).value();
}

ErrorOr<std::optional<fs::path>> write_daily_backup(sqlite3* db, const fs::path& db_file, int64_t now) {
    const fs::path today = backup_path(db_file, now);
    std::error_code ec;
    if (fs::exists(today, ec))
        return std::optional<fs::path>();
    return write_backup_file(db, db_file, today, Replace::No);
}

std::string restore_advice(const fs::path& db_file) {
    std::vector<BackupFile> backups = list_backups(db_file);
    if (backups.empty())
        return "there is no backup in " + backup_dir(db_file).string() +
               "; move the file aside to keep it (os1 then starts a new, empty database), or try sqlite3's .recover "
               "on a copy";
    const std::string command = restore_command(db_file);
    std::string advice =
        "the newest backup is " + backups.front().path.string() + " (from " + backups.front().day + ")";
    if (command.empty())
        return advice + "; copy it over " + db_file.string() + " after moving the damaged file aside";
    return advice + "; restore it with: " + command + " (the damaged file is kept, renamed)";
}

namespace {

// Whether closing a checked file may checkpoint its -wal into it (and remove the -wal): yes for
// a copy os1 just made, never for a file that may be damaged.
enum class WalOnClose { Checkpoint, Keep };

// Opens `file` to check it; read-write, because FTS5 runs its check as an INSERT.
ErrorOr<SqlitePtr> open_for_check(const fs::path& file, WalOnClose wal) {
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
    SqlitePtr db(raw);
    if (rc != SQLITE_OK)
        return make_error(file.string() + ": cannot open: " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
    // Checked while other processes write to it (os1 memory check): wait for them as they do.
    sqlite3_busy_timeout(raw, int(busy_timeout.count()));
    if (wal == WalOnClose::Keep)
        sqlite3_db_config(raw, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
    return db;
}

ErrorOr<void> check_integrity(sqlite3* raw, const fs::path& file) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(raw, "PRAGMA integrity_check", -1, &statement, nullptr) != SQLITE_OK)
        return make_error(ErrorKind::Corrupt,
                          file.string() + ": the database is corrupt or not a database (" + sqlite3_errmsg(raw) + ")");
    SqliteStmtPtr check(statement);
    int rc = sqlite3_step(statement);
    if (rc != SQLITE_ROW)
        return make_error(ErrorKind::Corrupt,
                          file.string() + ": the database is corrupt (" + sqlite3_errmsg(raw) + ")");
    std::string verdict = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
    if (verdict != "ok")
        return make_error(ErrorKind::Corrupt, file.string() + ": integrity check failed: " + verdict);
    return {};
}

}  // namespace

ErrorOr<void> check_database_file(const fs::path& file) {
    SqlitePtr db = OS1_TRY(open_for_check(file, WalOnClose::Checkpoint));
    OS1_TRY(check_integrity(db.get(), file));
    OS1_TRY(check_search_indexes(db.get(), file, SearchIndexRepair::Report));
    return {};
}

namespace {

// Why a restore without --force must not replace `db_file`, if it must not: it is healthy, or
// only its search index is damaged, which the next open rebuilds without losing anything.
std::optional<std::string> reason_to_keep(const fs::path& db_file) {
    if (check_commit_mark(db_file).is_error())
        return std::nullopt;
    auto db = open_for_check(db_file, WalOnClose::Keep);
    if (db.is_error() || check_integrity(db->get(), db_file).is_error())
        return std::nullopt;
    if (check_search_indexes(db->get(), db_file, SearchIndexRepair::Report).is_error())
        return db_file.string() +
               ": only its search index is damaged, and os1 rebuilds that from the stored text on the next open "
               "without losing anything (run any command, such as os1 memory list); restoring would lose what "
               "changed since the backup; add --force to restore anyway (the current file is kept, renamed)";
    return db_file.string() +
           " passes its integrity check, and restoring would lose what changed since the backup; "
           "add --force to restore anyway (the current file is kept, renamed)";
}

}  // namespace

ErrorOr<RestoreResult> restore_backup(const fs::path& db_file, const fs::path& backup, int64_t now,
                                      RestoreHealthy healthy) {
    std::error_code ec;
    if (!fs::is_regular_file(backup, ec))
        return make_error(backup.string() + ": no such backup");
    const bool current_exists = fs::exists(db_file, ec);
    if (current_exists && healthy == RestoreHealthy::Refuse)
        if (std::optional<std::string> keep = reason_to_keep(db_file))
            return make_error(ErrorKind::Conflict, *keep);

    // The copy is checked before anything is moved, so a bad backup leaves everything as it was.
    const fs::path incoming = db_file.string() + ".restoring";
    (void)remove_database_files(incoming);
    fs::copy_file(backup, incoming, fs::copy_options::overwrite_existing, ec);
    if (ec) {
        (void)remove_database_files(incoming);
        return make_error(incoming.string() + ": cannot copy the backup: " + ec.message());
    }
    if (auto synced = fsync_path(incoming, O_RDONLY); synced.is_error()) {
        (void)remove_database_files(incoming);
        return synced.release_error();
    }
    if (auto checked = check_database_file(incoming); checked.is_error()) {
        (void)remove_database_files(incoming);
        return make_error(backup.string() + ": this backup is damaged too (" + checked.error().message +
                          "); choose an older one with --from");
    }

    RestoreResult result{backup, std::nullopt};
    if (current_exists) {
        auto aside = move_damaged_aside(db_file, now);
        if (aside.is_error()) {
            (void)remove_database_files(incoming);
            return aside.release_error();
        }
        result.moved_aside = aside.release_value();
    }
    fs::rename(incoming, db_file, ec);
    if (ec)
        return make_error(db_file.string() + ": cannot put the restored file in place: " + ec.message() +
                          "; the restored copy is " + incoming.string());
    OS1_TRY(fsync_path(db_file.parent_path(), O_RDONLY | O_DIRECTORY));
    return result;
}

}  // namespace os1
