#include "core/database.h"

#include <cerrno>
#include <cstdio>
#include <ctime>

#include "core/backup.h"

namespace os1 {

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

// "file: message" for SQLite's last error on `db`; a full disk says so, with the free space
// left and what to do, since SQLite's own "database or disk is full" names neither.
std::string sqlite_failure(sqlite3* db, const std::string& file) {
    const bool full = (sqlite3_extended_errcode(db) & 0xff) == SQLITE_FULL || sqlite3_system_errno(db) == ENOSPC;
    if (!full)
        return file + ": " + sqlite3_errmsg(db);
    std::error_code ec;
    const std::filesystem::path dir = std::filesystem::path(file).parent_path();
    const std::filesystem::space_info space = std::filesystem::space(dir.empty() ? "." : dir, ec);
    const std::string free_text = ec ? "unknown" : bytes_text(space.available);
    return file + ": disk full: " + free_text + " of free space left on " + (dir.empty() ? "." : dir.string()) +
           "; nothing from this step was stored; free some space (or move the data folder with --home) and try again";
}

}  // namespace

Statement& Statement::bind(int index, int64_t value) {
    sqlite3_bind_int64(m_statement.get(), index, value);
    return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
    sqlite3_bind_text(m_statement.get(), index, value.data(), int(value.size()), SQLITE_TRANSIENT);
    return *this;
}

Statement& Statement::bind_null(int index) {
    sqlite3_bind_null(m_statement.get(), index);
    return *this;
}

ErrorOr<bool> Statement::step() {
    int rc = sqlite3_step(m_statement.get());
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    const char* file = sqlite3_db_filename(m_db, "main");
    return make_error(sqlite_failure(m_db, file ? file : "database"));
}

ErrorOr<void> Statement::run() {
    while (OS1_TRY(step())) {
    }
    return {};
}

int64_t Statement::column_int(int index) const { return sqlite3_column_int64(m_statement.get(), index); }

std::string Statement::column_text(int index) const {
    const auto* text = sqlite3_column_text(m_statement.get(), index);
    int size = sqlite3_column_bytes(m_statement.get(), index);
    return text ? std::string(reinterpret_cast<const char*>(text), size_t(size)) : std::string();
}

Statement& Statement::bind_blob(int index, const void* data, size_t bytes) {
    sqlite3_bind_blob64(m_statement.get(), index, data, sqlite3_uint64(bytes), SQLITE_TRANSIENT);
    return *this;
}

std::string_view Statement::column_blob(int index) const {
    const void* data = sqlite3_column_blob(m_statement.get(), index);
    int size = sqlite3_column_bytes(m_statement.get(), index);
    return data ? std::string_view(static_cast<const char*>(data), size_t(size)) : std::string_view();
}

bool Statement::column_is_null(int index) const {
    return sqlite3_column_type(m_statement.get(), index) == SQLITE_NULL;
}

Error Database::last_error(std::string_view doing) const {
    if ((sqlite3_extended_errcode(m_db.get()) & 0xff) == SQLITE_FULL)
        return make_error(sqlite_failure(m_db.get(), m_path.string()));
    return make_error(m_path.string() + ": " + std::string(doing) + ": " + sqlite3_errmsg(m_db.get()));
}

ErrorOr<Statement> Database::prepare(std::string_view sql) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(m_db.get(), sql.data(), int(sql.size()), &raw, nullptr) != SQLITE_OK)
        return last_error("cannot prepare a statement");
    return Statement(SqliteStmtPtr(raw), m_db.get());
}

ErrorOr<void> Database::exec(const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(m_db.get(), sql, nullptr, nullptr, &message) != SQLITE_OK) {
        std::string text = message ? message : sqlite3_errmsg(m_db.get());
        sqlite3_free(message);
        if ((sqlite3_extended_errcode(m_db.get()) & 0xff) == SQLITE_FULL)
            return make_error(sqlite_failure(m_db.get(), m_path.string()));
        return make_error(m_path.string() + ": " + text);
    }
    return {};
}

int64_t Database::last_insert_id() const { return sqlite3_last_insert_rowid(m_db.get()); }

ErrorOr<Database> Database::open(const std::filesystem::path& file) {
    Database db;
    db.m_path = file;
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    db.m_db.reset(raw);
    if (rc != SQLITE_OK)
        return make_error(file.string() + ": cannot open the database: " +
                          (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
    sqlite3_busy_timeout(raw, 5000);

    // An unreadable header shows up on the first real query, so check integrity before anything else.
    {
        auto check = db.prepare("PRAGMA integrity_check");
        if (check.is_error())
            return make_error(file.string() + ": the database is corrupt or not a database (" + check.error().message +
                              "); " + restore_advice(file));
        auto row = check->step();
        if (row.is_error())
            return make_error(row.error().message + "; the database is corrupt; " + restore_advice(file));
        if (row.value() && check->column_text(0) != "ok")
            return make_error(file.string() + ": integrity check failed: " + check->column_text(0) + "; " +
                              restore_advice(file));
    }
    OS1_TRY(db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"));

    OS1_TRY(db.exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
                    "component TEXT PRIMARY KEY, version INTEGER NOT NULL)"));
    // A healthy database is copied once a day, so that a later corruption has a way back. A
    // failed backup (a full disk, say) must not keep the user from their companion.
    if (auto backup = write_daily_backup(raw, file, int64_t(std::time(nullptr))); backup.is_error())
        std::fprintf(stderr, "os1: warning: no backup today: %s\n", backup.error().message.c_str());
    return db;
}

ErrorOr<void> Database::migrate(std::string_view component, const std::vector<Migration>& migrations) {
    auto version_query = OS1_TRY(prepare("SELECT version FROM schema_migrations WHERE component = ?"));
    version_query.bind(1, component);
    int version = OS1_TRY(version_query.step()) ? int(version_query.column_int(0)) : 0;
    int latest = migrations.empty() ? 0 : migrations.back().to;
    if (version > latest)
        return make_error(m_path.string() + ": schema version " + std::to_string(version) + " of " +
                          std::string(component) + " is newer than this build (" + std::to_string(latest) +
                          "); upgrade os1");
    for (const Migration& migration : migrations) {
        if (migration.to <= version)
            continue;
        OS1_TRY(in_transaction(*this, [&]() -> ErrorOr<void> {
            OS1_TRY(exec(migration.sql));
            auto record = OS1_TRY(prepare("INSERT INTO schema_migrations (component, version) VALUES (?, ?) "
                                          "ON CONFLICT (component) DO UPDATE SET version = excluded.version"));
            return record.bind(1, component).bind(2, int64_t(migration.to)).run();
        }));
    }
    return {};
}

}  // namespace os1
