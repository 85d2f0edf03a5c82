#include "core/database-checks.h"

#include "core/handles.h"

namespace os1::detail {

bool checked_on_day(sqlite3* db, int64_t day, const FileIdentity& identity, const std::string& path) {
    sqlite3_stmt* raw = nullptr;
    // Fails (no such table) in a database that was never checked.
    if (sqlite3_prepare_v2(db, "SELECT day, device, inode, path FROM integrity_checked WHERE id = 1", -1, &raw, nullptr) !=
        SQLITE_OK)
        return false;
    SqliteStmtPtr query(raw);
    if (sqlite3_step(raw) != SQLITE_ROW)
        return false;
    const auto* recorded_path = reinterpret_cast<const char*>(sqlite3_column_text(raw, 3));
    return sqlite3_column_int64(raw, 0) == day && sqlite3_column_int64(raw, 1) == int64_t(identity.device) &&
           sqlite3_column_int64(raw, 2) == int64_t(identity.inode) && recorded_path && path == recorded_path;
}

void record_check(sqlite3* db, int64_t day, const FileIdentity& identity, const std::string& path) {
    if (sqlite3_exec(db,
                     "CREATE TABLE IF NOT EXISTS integrity_checked (id INTEGER PRIMARY KEY CHECK (id = 1), "
                     "day INTEGER NOT NULL, device INTEGER NOT NULL, inode INTEGER NOT NULL, path TEXT NOT NULL)",
                     nullptr, nullptr, nullptr) != SQLITE_OK)
        return;
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO integrity_checked (id, day, device, inode, path) VALUES (1, ?, ?, ?, ?)",
                           -1, &raw, nullptr) != SQLITE_OK)
        return;
    SqliteStmtPtr record(raw);
    sqlite3_bind_int64(raw, 1, day);
    sqlite3_bind_int64(raw, 2, int64_t(identity.device));
    sqlite3_bind_int64(raw, 3, int64_t(identity.inode));
    sqlite3_bind_text(raw, 4, path.c_str(), int(path.size()), SQLITE_TRANSIENT);
    (void)sqlite3_step(raw);
}

}  // namespace os1::detail
