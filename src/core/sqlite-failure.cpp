#include "core/sqlite-failure.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/backup.h"
#include "core/writer-note.h"

namespace os1 {

namespace fs = std::filesystem;

namespace {

std::string bytes_text(uintmax_t bytes) {
    char text[32];
    if (bytes < 1024)
        std::snprintf(text, sizeof text, "%ju bytes", bytes);
    else if (bytes < 1024 * 1024)
        std::snprintf(text, sizeof text, "%.1f KiB", double(bytes) / 1024);
    else
        std::snprintf(text, sizeof text, "%.1f MiB", double(bytes) / (1024 * 1024));
    return text;
}

fs::path folder_of(const std::string& file) {
    const fs::path dir = fs::path(file).parent_path();
    return dir.empty() ? fs::path(".") : dir;
}

bool is_permission_errno(int error) { return error == EACCES || error == EPERM || error == EROFS; }

// Whether this process may create and change files in `file`'s folder and change `file`. A
// read-only mount says so even to root, whose permission bits access(2) ignores.
bool may_write(const std::string& file) {
    if (::access(folder_of(file).c_str(), W_OK | X_OK) != 0 && is_permission_errno(errno))
        return false;
    return !(::access(file.c_str(), W_OK) != 0 && is_permission_errno(errno));
}

// The size of `path`, or -1 when it does not exist.
long long size_of(const std::string& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 ? static_cast<long long>(info.st_size) : -1;
}

// A read that came up short on the write-ahead log that the shared index (-shm) describes: the
// log was deleted or truncated while a connection had it open.
bool wal_went_missing(const std::string& file) {
    constexpr long long wal_header_bytes = 32;
    return size_of(file + "-shm") > 0 && size_of(file + "-wal") < wal_header_bytes;
}

// Who keeps `file` busy and what to do: the long writer that left its note, else the process
// that holds the write lock now, else another process in general.
std::string lock_holder_advice(const std::string& file) {
    if (std::optional<std::string> holder = long_writer_of(file))
        return "it is held by " + *holder + ", which is writing to it; nothing is damaged: wait for that to "
               "finish (or stop it), then try again";
    if (std::optional<std::string> holder = write_lock_holder(file))
        return "it is held by " + *holder + ", which holds its write lock; nothing is damaged: wait for that "
               "to finish (or stop it), then try again";
    return "another os1 process (a chat or serve of this user) or a tool with the file open kept it busy for too "
           "long; nothing is damaged: wait for it to finish or stop it, then try again";
}

}  // namespace

SqliteFailureCause cause_of_failure(sqlite3* db, const std::string& file) {
    const int extended = sqlite3_extended_errcode(db);
    const int system_error = sqlite3_system_errno(db);
    switch (extended & 0xff) {
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
            return SqliteFailureCause::Damage;
        case SQLITE_FULL:
            return SqliteFailureCause::DiskFull;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            return SqliteFailureCause::Locked;
        case SQLITE_READONLY:
        case SQLITE_PERM:
        case SQLITE_AUTH:
            return SqliteFailureCause::Permission;
        case SQLITE_CANTOPEN:
            if (is_permission_errno(system_error) || !may_write(file))
                return SqliteFailureCause::Permission;
            return SqliteFailureCause::CannotOpen;
        case SQLITE_IOERR:
            if (system_error == ENOSPC)
                return SqliteFailureCause::DiskFull;
            if (is_permission_errno(system_error))
                return SqliteFailureCause::Permission;
            if (extended == SQLITE_IOERR_SHORT_READ && wal_went_missing(file))
                return SqliteFailureCause::WalMissing;
            return SqliteFailureCause::Other;
        default:
            return system_error == ENOSPC ? SqliteFailureCause::DiskFull : SqliteFailureCause::Other;
    }
}

ErrorKind kind_of_cause(SqliteFailureCause cause) {
    switch (cause) {
        case SqliteFailureCause::Damage:
            return ErrorKind::Corrupt;
        case SqliteFailureCause::Permission:
            return ErrorKind::PermissionDenied;
        case SqliteFailureCause::Locked:
        case SqliteFailureCause::WalMissing:
            return ErrorKind::Unavailable;
        case SqliteFailureCause::DiskFull:
            return ErrorKind::DiskFull;
        case SqliteFailureCause::CannotOpen:
        case SqliteFailureCause::Other:
            return ErrorKind::Internal;
    }
    return ErrorKind::Internal;
}

Error sqlite_failure(sqlite3* db, const std::string& file, std::string_view doing) {
    const SqliteFailureCause cause = cause_of_failure(db, file);
    const ErrorKind kind = kind_of_cause(cause);
    const std::string prefix = doing.empty() ? file + ": " : file + ": " + std::string(doing) + ": ";
    const std::string said = prefix + sqlite3_errmsg(db);
    const int system_error = sqlite3_system_errno(db);
    const std::string dir = folder_of(file).string();
    switch (cause) {
        case SqliteFailureCause::Damage:
            return make_error(kind, said + "; the database is corrupt; " + restore_advice(file));
        case SqliteFailureCause::Permission:
            return make_error(kind, said + (system_error ? std::string(" (") + std::strerror(system_error) + ")" : "") +
                                        "; os1 may not write to the database or its folder " + dir +
                                        "; the data is not damaged, so do not restore it: make the folder and its "
                                        "files writable by this user (ls -ld " +
                                        dir + "; chmod u+w), remount a read-only file system read-write, or "
                                              "choose another data folder with --home");
        case SqliteFailureCause::Locked:
            return make_error(kind, said + "; " + lock_holder_advice(file));
        case SqliteFailureCause::WalMissing:
            return make_error(kind, said + "; " + file +
                                        "-wal, the database's write-ahead log, was deleted or emptied while another "
                                        "process had the database open; the changes since its last checkpoint are "
                                        "held only by that process: stop it normally (not with kill -9) so that it "
                                        "writes them back, then try again, and do not restore while it runs");
        case SqliteFailureCause::CannotOpen:
            return make_error(kind, said + (system_error ? std::string(" (") + std::strerror(system_error) + ")" : "") +
                                        "; check that the folder " + dir + " exists and that os1 may open files in it");
        case SqliteFailureCause::DiskFull: {
            std::error_code ec;
            const fs::space_info space = fs::space(dir, ec);
            const std::string free_text = ec ? "unknown" : bytes_text(space.available);
            return make_error(kind, file + ": disk full: " + free_text + " of free space left on " + dir +
                                        "; nothing from this step was stored; free some space (or move the data "
                                        "folder with --home) and try again");
        }
        case SqliteFailureCause::Other:
            break;
    }
    return make_error(kind, said);
}

}  // namespace os1
