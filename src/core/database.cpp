#include "core/database.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "core/backup.h"
#include "core/commit-mark.h"
#include "core/database-checks.h"
#include "core/integrity.h"
#include "core/sqlite-failure.h"

namespace os1 {

namespace fs = std::filesystem;

namespace {

using detail::FileIdentity;

// What this process has already done today for one database file. Opening is frequent (a
// server opens each user's database several times per turn) and the integrity check costs
// about 0.4 s on a 35 MB file, so it runs on the first open of a day only; the daily backup
// is tried once a day, so a failing one is neither retried on every open nor repeated in the
// log.
struct FileRecord {
    // Held while the file is checked, so that concurrent opens check it once.
    std::mutex mutex;
    std::optional<FileIdentity> checked;  // the file that passed the check on checked_day
    int64_t checked_day = std::numeric_limits<int64_t>::min();
    int64_t backup_day = std::numeric_limits<int64_t>::min();
    uint64_t checks_run = 0;
    // Connections of this process open on the file, and the lock under which that count and
    // the open-time check of the log change together (see Database::open).
    std::mutex opening;
    int open_connections = 0;
};

// The record of `file`, keyed by its canonical path, so that two spellings of one file share it.
std::string canonical_key(const fs::path& file) {
    std::error_code ec;
    fs::path key = fs::weakly_canonical(fs::absolute(file, ec), ec);
    if (ec)
        key = file.lexically_normal();
    return key.string();
}

std::shared_ptr<FileRecord> record_of(const fs::path& file) {
    static std::mutex registry_mutex;
    static std::unordered_map<std::string, std::shared_ptr<FileRecord>> registry;
    const std::string key = canonical_key(file);
    std::lock_guard lock(registry_mutex);
    std::shared_ptr<FileRecord>& record = registry[key];
    if (!record)
        record = std::make_shared<FileRecord>();
    return record;
}

std::optional<FileIdentity> identity_of(const fs::path& file) {
    struct stat info {};
    if (::stat(file.c_str(), &info) != 0)
        return std::nullopt;
    return FileIdentity{info.st_dev, info.st_ino};
}

// The UTC day of `now`, as backups are named.
int64_t utc_day(Timestamp now) {
    return std::chrono::floor<std::chrono::days>(now).time_since_epoch().count();
}

// Only SQLITE_CORRUPT and SQLITE_NOTADB mean damage: a locked database, a full disk or a
// read-only folder is not a damaged one, and must not be answered with "restore it".
bool is_damage(sqlite3* db, const fs::path& file) {
    return cause_of_failure(db, file.string()) == SqliteFailureCause::Damage;
}

// PRAGMA integrity_check, or with CheckDepth::Quick PRAGMA quick_check (no index contents,
// linear in the file's size), on the open connection; the first problem as a Corrupt error.
enum class CheckDepth { Quick, Full };
ErrorOr<void> check_integrity(sqlite3* db, const fs::path& file, CheckDepth depth) {
    sqlite3_stmt* raw = nullptr;
    const char* pragma = depth == CheckDepth::Quick ? "PRAGMA quick_check" : "PRAGMA integrity_check";
    if (sqlite3_prepare_v2(db, pragma, -1, &raw, nullptr) != SQLITE_OK) {
        if (!is_damage(db, file))
            return sqlite_failure(db, file.string(), "cannot check the database");
        return make_error(ErrorKind::Corrupt, file.string() + ": the database is corrupt or not a database (" +
                                                  sqlite3_errmsg(db) + "); " + restore_advice(file));
    }
    SqliteStmtPtr check(raw);
    const int rc = sqlite3_step(raw);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        if (!is_damage(db, file))
            return sqlite_failure(db, file.string(), "cannot check the database");
        return make_error(ErrorKind::Corrupt, file.string() + ": " + sqlite3_errmsg(db) +
                                                  "; the database is corrupt; " + restore_advice(file));
    }
    if (rc == SQLITE_ROW) {
        const auto* verdict = reinterpret_cast<const char*>(sqlite3_column_text(raw, 0));
        const std::string text = verdict ? verdict : "";
        if (text != "ok")
            return make_error(ErrorKind::Corrupt,
                              file.string() + ": integrity check failed: " + text + "; " + restore_advice(file));
    }
    return {};
}

// Reads the schema, which fails at once on a file that is not a database: the cheap check of
// an open that skips the full one.
ErrorOr<void> check_header(sqlite3* db, const fs::path& file) {
    if (sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr) == SQLITE_OK)
        return {};
    if (!is_damage(db, file))
        return sqlite_failure(db, file.string(), "cannot read the schema");
    return make_error(ErrorKind::Corrupt, file.string() + ": the database is corrupt or not a database (" +
                                              sqlite3_errmsg(db) + "); " + restore_advice(file));
}

}  // namespace

namespace detail {

uint64_t integrity_checks_run(const fs::path& file) {
    std::shared_ptr<FileRecord> record = record_of(file);
    std::lock_guard lock(record->mutex);
    return record->checks_run;
}

}  // namespace detail

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
    return sqlite_failure(m_db, file ? file : "database");
}

ErrorOr<void> Statement::run() {
    while (OS1_TRY(step())) {
    }
    return {};
}

Statement& Statement::reset() {
    sqlite3_reset(m_statement.get());
    sqlite3_clear_bindings(m_statement.get());
    return *this;
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
    return sqlite_failure(m_db.get(), m_path.string(), doing);
}

ErrorOr<Statement> Database::prepare(std::string_view sql) {
    // SQLite gives up with SQLITE_SCHEMA and a false "no such table" when the schema changed in
    // another process since this connection read it and the statement first connects a virtual
    // table: preparing a DELETE on a table with foreign keys and a trigger into an FTS5 index,
    // inside BEGIN IMMEDIATE (which checks no schema), the index's constructor cannot reload the
    // schema while it runs, and SQLite retries the whole prepare only once. The failed try has
    // reset the schema, so a new one reads the current schema and succeeds.
    constexpr int k_tries = 3;
    int rc = SQLITE_OK;
    sqlite3_stmt* raw = nullptr;
    for (int tried = 0; tried < k_tries; ++tried) {
        rc = sqlite3_prepare_v2(m_db.get(), sql.data(), int(sql.size()), &raw, nullptr);
        if (rc != SQLITE_SCHEMA)
            break;
    }
    if (rc != SQLITE_OK)
        return last_error("cannot prepare a statement");
    return Statement(SqliteStmtPtr(raw), m_db.get());
}

ErrorOr<void> Database::exec(const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(m_db.get(), sql, nullptr, nullptr, &message) != SQLITE_OK) {
        std::string text = message ? message : sqlite3_errmsg(m_db.get());
        sqlite3_free(message);
        if (cause_of_failure(m_db.get(), m_path.string()) != SqliteFailureCause::Other)
            return sqlite_failure(m_db.get(), m_path.string());
        return make_error(m_path.string() + ": " + text);
    }
    return {};
}

ErrorOr<void> Database::commit() {
    // Each try already waited up to busy_timeout in the busy handler.
    constexpr int k_tries = 3;
    ErrorOr<void> committed = exec("COMMIT");
    for (int tried = 1; tried < k_tries && committed.is_error() && committed.error().kind == ErrorKind::Unavailable;
         ++tried)
        committed = exec("COMMIT");
    if (committed.is_error() && !sqlite3_get_autocommit(m_db.get()))
        (void)exec("ROLLBACK");
    return committed;
}

ErrorOr<void> Database::use_wal() {
    // Turning a new file to WAL needs it to itself, and SQLite answers "locked" at once, without
    // the busy handler, while another process opens it too; so this waits here.
    const auto deadline = std::chrono::steady_clock::now() + busy_timeout;
    for (;;) {
        ErrorOr<void> set = exec("PRAGMA journal_mode=WAL");
        if (!set.is_error() || set.error().kind != ErrorKind::Unavailable ||
            std::chrono::steady_clock::now() >= deadline)
            return set;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
}

// SQLite's default handler backs off to 100 ms between tries, so a waiting writer keeps
// missing the short gaps between a long writer's transactions; this one tries every few
// milliseconds until busy_timeout has passed.
int Database::wait_while_busy(void* state, int attempts) {
    auto* wait = static_cast<BusyWait*>(state);
    const auto now = std::chrono::steady_clock::now();
    if (attempts == 0)
        wait->started = now;
    if (now - wait->started >= wait->limit)
        return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(attempts < 4 ? 1 : 3));
    return 1;
}

int64_t Database::last_insert_id() const { return sqlite3_last_insert_rowid(m_db.get()); }

ErrorOr<Database> Database::open(const fs::path& file, const Environment& env) {
    std::shared_ptr<FileRecord> record = record_of(file);
    Database db;
    {
        // Before SQLite reads the write-ahead log, and would drop what it cannot read. Only the
        // first connection of this process checks: the check may open -shm, and closing any
        // descriptor of a file drops all the process's POSIX locks on it, among them those by
        // which SQLite tells other processes that this one uses the log.
        std::lock_guard lock(record->opening);
        if (record->open_connections == 0)
            OS1_TRY(check_commit_mark(file));
        ++record->open_connections;
    }
    // Counted down once the connection has closed: it is declared before the connection.
    db.m_open_in_process = std::shared_ptr<void>(nullptr, [record](void*) {
        std::lock_guard lock(record->opening);
        --record->open_connections;
    });
    db.m_path = file;
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    db.m_db.reset(raw);
    if (rc != SQLITE_OK) {
        if (raw)
            return sqlite_failure(raw, file.string(), "cannot open the database");
        return make_error(file.string() + ": cannot open the database: " + sqlite3_errstr(rc));
    }
    db.m_busy = std::make_unique<BusyWait>(BusyWait{{}, busy_timeout});
    sqlite3_busy_handler(raw, &Database::wait_while_busy, db.m_busy.get());
    db.m_commit_mark = std::make_unique<CommitMark>(file);
    db.m_commit_mark->attach(raw);

    const Timestamp now = env.now();
    const int64_t today = utc_day(now);
    std::optional<FileIdentity> passed_check;  // the file whose check passed now, to record
    {
        std::lock_guard lock(record->mutex);
        const std::optional<FileIdentity> identity = identity_of(file);
        const bool checked_today = record->checked_day == today && identity && record->checked == identity;
        // An unreadable header shows up on the first real query, so check before anything else.
        if (checked_today || (identity && detail::checked_on_day(raw, today, *identity, canonical_key(file)))) {
            OS1_TRY(check_header(raw, file));
        } else {
            ++record->checks_run;
            OS1_TRY(check_integrity(raw, file, CheckDepth::Quick));
            OS1_TRY(repair_search_indexes(raw, file, env));
            passed_check = identity;
        }
        record->checked = identity;
        record->checked_day = today;
    }
    OS1_TRY(db.use_wal());
    OS1_TRY(db.exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"));

    OS1_TRY(db.exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
                    "component TEXT PRIMARY KEY, version INTEGER NOT NULL)"));
    if (passed_check)
        detail::record_check(raw, today, *passed_check, canonical_key(file));
    // A healthy database is copied once a day, so that a later corruption has a way back. A
    // failed backup (a full disk, say) must not keep the user from their companion.
    bool backup_due = false;
    {
        std::lock_guard lock(record->mutex);
        backup_due = record->backup_day != today;
        record->backup_day = today;
    }
    if (backup_due) {
        if (auto backup = write_daily_backup(raw, file, unix_seconds(now)); backup.is_error())
            env.log(LogLevel::Warning,
                    "no backup today: " + backup.error().message + "; the first open tomorrow tries again");
    }
    return db;
}

ErrorOr<int> Database::schema_version(std::string_view component) {
    auto version_query = OS1_TRY(prepare("SELECT version FROM schema_migrations WHERE component = ?"));
    version_query.bind(1, component);
    return OS1_TRY(version_query.step()) ? int(version_query.column_int(0)) : 0;
}

ErrorOr<void> Database::migrate(std::string_view component, const std::vector<Migration>& migrations) {
    const int latest = migrations.empty() ? 0 : migrations.back().to;
    auto newer_than_build = [&](int version) {
        return make_error(ErrorKind::Conflict, m_path.string() + ": schema version " + std::to_string(version) +
                                                   " of " + std::string(component) + " is newer than this build (" +
                                                   std::to_string(latest) + "); upgrade os1");
    };
    // Without the write lock first: versions only grow, so a schema that is up to date stays so,
    // and every open but the first need not wait behind another process's writes.
    const int seen = OS1_TRY(schema_version(component));
    if (seen > latest)
        return newer_than_build(seen);
    if (seen == latest)
        return {};
    return in_transaction(*this, [&]() -> ErrorOr<void> {
        // Again under the lock: another process may have migrated since.
        const int version = OS1_TRY(schema_version(component));
        if (version > latest)
            return newer_than_build(version);
        if (version == latest)
            return {};
        for (const Migration& migration : migrations)
            if (migration.to > version)
                OS1_TRY(exec(migration.sql));
        auto record = OS1_TRY(prepare("INSERT INTO schema_migrations (component, version) VALUES (?, ?) "
                                      "ON CONFLICT (component) DO UPDATE SET version = excluded.version"));
        return record.bind(1, component).bind(2, int64_t(latest)).run();
    });
}

}  // namespace os1
