// The accounts database, its users and their passwords. Tokens and sessions are in
// account-tokens.cpp and account-sessions.cpp.
#include "accounts/account-store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "accounts/password-hash.h"
#include "accounts/secret.h"
#include "core/user-names.h"
#include "core/utf8.h"

namespace os1::accounts {

namespace fs = std::filesystem;

namespace {

const std::vector<Database::Migration> migrations = {
    {1, R"sql(
        CREATE TABLE users (
            name          TEXT PRIMARY KEY,
            password_hash TEXT NOT NULL,
            admin         INTEGER NOT NULL DEFAULT 0,
            created       INTEGER NOT NULL
        );
        -- Two accounts whose names differ only in ASCII case would look like one to people.
        CREATE UNIQUE INDEX users_name_nocase ON users (name COLLATE NOCASE);
        -- AUTOINCREMENT: a revoked token's id is never given to a newer one.
        CREATE TABLE tokens (
            id        INTEGER PRIMARY KEY AUTOINCREMENT,
            user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
            digest    BLOB NOT NULL UNIQUE,
            label     TEXT NOT NULL,
            created   INTEGER NOT NULL,
            last_used INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX tokens_user ON tokens (user_name);
        CREATE TABLE sessions (
            digest    BLOB PRIMARY KEY,
            user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
            csrf      TEXT NOT NULL,
            created   INTEGER NOT NULL,
            expires   INTEGER NOT NULL
        );
        CREATE INDEX sessions_user ON sessions (user_name);
        CREATE INDEX sessions_expires ON sessions (expires);
    )sql"},
};

// Creates `file` readable and writable by its owner only, unless it exists. SQLite gives the
// -wal and -shm files the same permissions, and the daily backups keep them too.
ErrorOr<void> create_private_file(const fs::path& file) {
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
        ::close(fd);
        return {};
    }
    if (errno == EEXIST)
        return {};
    return make_error(file.string() + ": cannot create the accounts database: " + std::strerror(errno) +
                      "; check the permissions of " + file.parent_path().string());
}

std::string in_quotes(std::string_view name) {
    return "\"" + std::string(name) + "\"";
}

}  // namespace

ErrorOr<void> check_password(std::string_view password) {
    if (password.size() < min_password_bytes)
        return make_error(ErrorKind::InvalidInput, "the password is too short (" + std::to_string(password.size()) +
                                                       " bytes); use at least " + std::to_string(min_password_bytes));
    if (password.size() > max_password_bytes)
        return make_error(ErrorKind::InvalidInput, "the password is too long (" + std::to_string(password.size()) +
                                                       " bytes); use at most " + std::to_string(max_password_bytes));
    if (!is_valid_utf8(password))
        return make_error(ErrorKind::InvalidInput, "the password is not valid UTF-8; use text");
    return {};
}

ErrorOr<std::unique_ptr<AccountStore>> AccountStore::open(const fs::path& home, const Environment& env,
                                                          AccountOptions options) {
    OS1_TRY(init_sodium());
    std::error_code ec;
    fs::create_directories(home, ec);
    if (ec)
        return make_error(home.string() + ": cannot create the data folder: " + ec.message() +
                          "; check its permissions or choose another data folder");
    const fs::path file = home / "accounts.sqlite";
    OS1_TRY(create_private_file(file));
    Database db = OS1_TRY(Database::open(file, env));
    OS1_TRY(db.migrate("accounts", migrations));
    return std::unique_ptr<AccountStore>(new AccountStore(std::move(db), env, options));
}

Error AccountStore::no_such_user(std::string_view name) {
    return make_error(ErrorKind::NotFound, "there is no user named " + in_quotes(name));
}

ErrorOr<bool> AccountStore::user_exists(std::string_view name) {
    auto query = OS1_TRY(m_db.prepare("SELECT 1 FROM users WHERE name = ?"));
    return OS1_TRY(query.bind(1, name).step());
}

ErrorOr<void> AccountStore::delete_sessions_of(std::string_view name) {
    auto remove = OS1_TRY(m_db.prepare("DELETE FROM sessions WHERE user_name = ?"));
    return remove.bind(1, name).run();
}

ErrorOr<void> AccountStore::add_user(std::string_view name, std::string_view password, Role role) {
    OS1_TRY(check_user_name(name));
    OS1_TRY(check_password(password));
    auto name_free = [&]() -> ErrorOr<void> {
        auto query = OS1_TRY(m_db.prepare("SELECT name FROM users WHERE name = ? COLLATE NOCASE"));
        if (!OS1_TRY(query.bind(1, name).step()))
            return {};
        const std::string existing = query.column_text(0);
        if (existing == name)
            return make_error(ErrorKind::Conflict,
                              "a user named " + in_quotes(name) + " already exists; choose another name");
        return make_error(ErrorKind::Conflict, in_quotes(name) + " differs from the existing user " +
                                                   in_quotes(existing) + " only in case; choose another name");
    };
    // A taken name is refused before the costly hash; the insert checks again, since another
    // connection may have taken it meanwhile.
    {
        std::lock_guard lock(m_mutex);
        OS1_TRY(name_free());
    }
    const std::string hash = OS1_TRY(hash_password(password, m_options.cost));
    std::lock_guard lock(m_mutex);
    return in_transaction(m_db, [&]() -> ErrorOr<void> {
        OS1_TRY(name_free());
        auto insert =
            OS1_TRY(m_db.prepare("INSERT INTO users (name, password_hash, admin, created) VALUES (?, ?, ?, ?)"));
        return insert.bind(1, name)
            .bind(2, hash)
            .bind(3, int64_t(role == Role::Admin ? 1 : 0))
            .bind(4, m_env.now_seconds())
            .run();
    });
}

ErrorOr<bool> AccountStore::remove_user(std::string_view name) {
    OS1_TRY(check_user_name(name));
    std::lock_guard lock(m_mutex);
    bool removed = false;
    OS1_TRY(in_transaction(m_db, [&]() -> ErrorOr<void> {
        // Deleted by name rather than left to ON DELETE CASCADE, so that revocation does not
        // depend on the foreign_keys pragma of the connection.
        auto tokens = OS1_TRY(m_db.prepare("DELETE FROM tokens WHERE user_name = ?"));
        OS1_TRY(tokens.bind(1, name).run());
        OS1_TRY(delete_sessions_of(name));
        auto user = OS1_TRY(m_db.prepare("DELETE FROM users WHERE name = ?"));
        OS1_TRY(user.bind(1, name).run());
        removed = sqlite3_changes(m_db.handle()) > 0;
        return {};
    }));
    return removed;
}

ErrorOr<std::vector<UserRecord>> AccountStore::list_users() {
    std::lock_guard lock(m_mutex);
    auto query = OS1_TRY(m_db.prepare("SELECT name, admin, created FROM users ORDER BY name"));
    std::vector<UserRecord> users;
    while (OS1_TRY(query.step()))
        users.push_back({query.column_text(0), query.column_int(1) != 0, query.column_int(2)});
    return users;
}

ErrorOr<std::optional<UserRecord>> AccountStore::find_user(std::string_view name) {
    if (!check_user_name(name))
        return std::optional<UserRecord>();
    std::lock_guard lock(m_mutex);
    auto query = OS1_TRY(m_db.prepare("SELECT name, admin, created FROM users WHERE name = ?"));
    if (!OS1_TRY(query.bind(1, name).step()))
        return std::optional<UserRecord>();
    return std::optional<UserRecord>(UserRecord{query.column_text(0), query.column_int(1) != 0, query.column_int(2)});
}

ErrorOr<size_t> AccountStore::user_count() {
    std::lock_guard lock(m_mutex);
    auto query = OS1_TRY(m_db.prepare("SELECT count(*) FROM users"));
    OS1_TRY(query.step());
    return size_t(query.column_int(0));
}

ErrorOr<void> AccountStore::set_password(std::string_view name, std::string_view password) {
    OS1_TRY(check_user_name(name));
    OS1_TRY(check_password(password));
    {
        std::lock_guard lock(m_mutex);
        if (!OS1_TRY(user_exists(name)))
            return no_such_user(name);
    }
    const std::string hash = OS1_TRY(hash_password(password, m_options.cost));
    std::lock_guard lock(m_mutex);
    return in_transaction(m_db, [&]() -> ErrorOr<void> {
        auto update = OS1_TRY(m_db.prepare("UPDATE users SET password_hash = ? WHERE name = ?"));
        OS1_TRY(update.bind(1, hash).bind(2, name).run());
        if (sqlite3_changes(m_db.handle()) == 0)
            return no_such_user(name);  // removed while the password was being hashed
        // Whoever knew the old password may hold a session; a new password shuts them out.
        return delete_sessions_of(name);
    });
}

ErrorOr<std::string> AccountStore::dummy_hash() {
    std::lock_guard lock(m_dummy_mutex);
    if (!m_dummy_hash)
        m_dummy_hash = OS1_TRY(hash_password(random_secret(), m_options.cost));
    return *m_dummy_hash;
}

ErrorOr<bool> AccountStore::verify_password(std::string_view name, std::string_view password) {
    // Made before the lookup, so that the first call costs the same whoever it names.
    const std::string dummy = OS1_TRY(dummy_hash());
    std::optional<std::string> stored;
    if (check_user_name(name) && password.size() <= max_password_bytes) {
        std::lock_guard lock(m_mutex);
        auto query = OS1_TRY(m_db.prepare("SELECT password_hash FROM users WHERE name = ?"));
        if (OS1_TRY(query.bind(1, name).step()))
            stored = query.column_text(0);
    }
    const bool matches = password_matches(stored ? *stored : dummy, password.substr(0, max_password_bytes));
    return stored.has_value() && matches;
}

}  // namespace os1::accounts
