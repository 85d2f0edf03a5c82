// A thin layer over SQLite: opening with os1's settings (WAL, full sync, foreign keys, busy
// timeout, integrity check), per-component schema migrations, and prepared statements with
// typed binds. Not thread-safe: one Database per thread; opening is thread-safe.
//
// Each module that stores data (conversations, memory, affect, persona) owns its tables and
// its list of migrations, applied with migrate("component", ...); the versions are kept in the
// table schema_migrations, so modules evolve their schemas independently in one file.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/commit-mark.h"
#include "core/environment.h"
#include "core/error.h"
#include "core/handles.h"

namespace os1 {

class Statement {
public:
    Statement(SqliteStmtPtr statement, sqlite3* db) : m_statement(std::move(statement)), m_db(db) {}

    Statement& bind(int index, int64_t value);
    Statement& bind(int index, std::string_view value);
    Statement& bind_null(int index);
    // Binds `bytes` bytes at `data` as a BLOB (copied).
    Statement& bind_blob(int index, const void* data, size_t bytes);

    // Advances; true while a row is available. Errors end the iteration and set error().
    ErrorOr<bool> step();
    // Runs to completion, for statements that return no rows.
    ErrorOr<void> run();
    // Makes the statement ready to run again, with no values bound.
    Statement& reset();

    int64_t column_int(int index) const;
    std::string column_text(int index) const;
    bool column_is_null(int index) const;
    // A BLOB column's bytes, valid until the next step; empty for NULL.
    std::string_view column_blob(int index) const;

private:
    SqliteStmtPtr m_statement;
    sqlite3* m_db;
};

class Database {
public:
    // A migration brings the schema from version `to - 1` to `to`.
    struct Migration {
        int to;
        const char* sql;
    };

    // Opens (creating if needed). The first open of a file in a process on a (UTC) day of
    // env.clock runs PRAGMA integrity_check and takes the daily backup; later opens that day
    // skip both, so connections are cheap, and only read the header (a file replaced since the
    // check is checked again). A failed backup is logged once to env.log as a warning and not
    // retried that day. Fails with ErrorKind::Corrupt on a damaged file or one that is not a
    // database, naming the way back (restore_advice). An open while no other connection of
    // this process has the file open first compares the write-ahead log with its commit mark
    // (commit-mark.h), and the daily check also checks the FTS5 indexes and rebuilds a damaged
    // one, logging a warning (integrity.h).
    static ErrorOr<Database> open(const std::filesystem::path& file, const Environment& env = {});

    // Brings `component`'s tables up to the last migration. The version is read again and every
    // step applied and recorded inside one BEGIN IMMEDIATE transaction, so that processes
    // opening a new database at once migrate it exactly once. Fails with ErrorKind::Conflict
    // when the file holds a newer schema of `component` than this build knows.
    ErrorOr<void> migrate(std::string_view component, const std::vector<Migration>& migrations);

    ErrorOr<Statement> prepare(std::string_view sql);
    ErrorOr<void> exec(const char* sql);
    // COMMIT, tried again while another connection keeps it busy (the transaction stays open
    // then, as SQLite documents); rolls back when it finally fails.
    ErrorOr<void> commit();
    int64_t last_insert_id() const;
    const std::filesystem::path& path() const { return m_path; }
    sqlite3* handle() const { return m_db.get(); }

    // How long this connection waits for another's lock (busy_timeout unless changed): a step
    // that holds the write lock while it waits for readers (a truncating checkpoint) waits less,
    // so that it never keeps writers waiting long.
    void set_busy_wait(std::chrono::milliseconds limit) { m_busy->limit = limit; }

    // "file: message" for the last SQLite error, with its kind (DiskFull, Corrupt, Unavailable
    // when busy, else Internal).
    Error last_error(std::string_view doing) const;

private:
    // When the current wait for a lock began; the busy handler's state, on the heap so that it
    // stays put while the Database moves.
    struct BusyWait {
        std::chrono::steady_clock::time_point started;
        std::chrono::milliseconds limit{0};
    };
    static int wait_while_busy(void* wait, int attempts);
    ErrorOr<void> use_wal();
    ErrorOr<int> schema_version(std::string_view component);


    // Declared before m_db, so that the connection closes first: counts this process's
    // connections to the file, which decides whether an open checks the log (Database::open).
    std::shared_ptr<void> m_open_in_process;
    // Both declared before m_db, so that the connection closes before its hooks' state goes.
    std::unique_ptr<BusyWait> m_busy;
    std::unique_ptr<CommitMark> m_commit_mark;
    SqlitePtr m_db;
    std::filesystem::path m_path;
};

// How long a connection waits for another's write lock before it gives up. Long writers
// (imports) commit in short transactions, so a live write normally waits milliseconds.
inline constexpr std::chrono::milliseconds busy_timeout{10000};

namespace detail {
// How many integrity checks Database::open has run on `file` in this process (tests observe
// that a second open the same day runs none).
uint64_t integrity_checks_run(const std::filesystem::path& file);
}  // namespace detail

// Runs `body` inside BEGIN IMMEDIATE ... COMMIT; rolls back if it fails.
template <typename Body>
ErrorOr<void> in_transaction(Database& db, Body&& body) {
    OS1_TRY(db.exec("BEGIN IMMEDIATE"));
    ErrorOr<void> result = body();
    if (result.is_error()) {
        (void)db.exec("ROLLBACK");
        return result;
    }
    return db.commit();
}

}  // namespace os1
