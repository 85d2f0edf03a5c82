// Accounts of a shared os1: users, their API tokens and their browser sessions, in
// <home>/accounts.sqlite (component "accounts", WAL, created readable by its owner only).
//
// Thread-safe: one connection behind a mutex. Password hashing and verification (argon2id, 64 MiB
// each) run outside that mutex, at most two at a time in the whole process, so a flood of logins
// neither blocks the other calls nor exhausts memory. Secrets (token and session texts) are
// returned once and stored only as SHA-256 digests, so a copy of the database holds no usable
// token or session.
//
// Every function that takes a user name fails with InvalidInput for a name check_user_name
// refuses, except find_user and verify_password, for which such a name has no account.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/database.h"
#include "core/environment.h"
#include "core/error.h"

namespace os1::accounts {

// Passwords are 8 to 1024 bytes of valid UTF-8.
inline constexpr size_t min_password_bytes = 8;
inline constexpr size_t max_password_bytes = 1024;
// A token's label names the device or script that holds it ("phone", "backup job").
inline constexpr size_t max_token_label_bytes = 100;

struct UserRecord {
    std::string name;
    bool admin = false;
    int64_t created = 0;  // unix seconds
};

struct TokenRecord {
    int64_t id = 0;  // never reused, so a revoked id never names a newer token
    std::string user;
    std::string label;
    int64_t created = 0;    // unix seconds
    int64_t last_used = 0;  // unix seconds, at most a minute stale; 0: never used
};

struct Session {
    std::string user;
    std::string csrf;     // sent back by the browser with every state-changing request
    int64_t expires = 0;  // unix seconds; the session is gone from this instant on
};

enum class Role { User, Admin };

// What hashing a password costs. Interactive (argon2id, OPSLIMIT_INTERACTIVE, 64 MiB) is the
// only setting for real accounts; Minimal (OPSLIMIT_MIN, MEMLIMIT_MIN) exists so that unit tests
// stay fast, and is as weak as it is cheap.
enum class HashCost { Interactive, Minimal };

struct AccountOptions {
    HashCost cost = HashCost::Interactive;
};

// Fails (InvalidInput) unless `password` is 8-1024 bytes of valid UTF-8; the message says which
// rule it broke and never quotes the password.
ErrorOr<void> check_password(std::string_view password);

class AccountStore {
public:
    // Opens (creating) <home>/accounts.sqlite and migrates its tables; `env` gives the clock
    // that dates records and expires sessions, and the log sink (see Database::open).
    static ErrorOr<std::unique_ptr<AccountStore>> open(const std::filesystem::path& home, const Environment& env,
                                                       AccountOptions options = {});

    // Adds an account. InvalidInput for a name check_user_name refuses or a password
    // check_password refuses; Conflict when the name is taken, also by a name that differs only
    // in ASCII case ("Sam" and "sam" would be two accounts that look like one). The user's data
    // folder is not touched: one left from an earlier account of that name becomes this one's.
    ErrorOr<void> add_user(std::string_view name, std::string_view password, Role role = Role::User);
    // Removes an account with its tokens and sessions; false when there was none. The user's
    // data folder is left to the caller.
    ErrorOr<bool> remove_user(std::string_view name);
    // Every account, by name.
    ErrorOr<std::vector<UserRecord>> list_users();
    // The account named exactly `name`; nullopt when there is none.
    ErrorOr<std::optional<UserRecord>> find_user(std::string_view name);
    ErrorOr<size_t> user_count();

    // Replaces the password and ends all of that user's sessions (tokens stay). NotFound when
    // there is no such account; InvalidInput for a password check_password refuses.
    ErrorOr<void> set_password(std::string_view name, std::string_view password);
    // True when `password` is that user's. False for a wrong password and for an account that
    // does not exist (or a name that could not be one): then the same argon2id work is done on a
    // dummy hash, so the time taken does not tell who has an account.
    ErrorOr<bool> verify_password(std::string_view name, std::string_view password);

    // Creates an API token for `user`: "os1_" and 43 base64url characters (256 random bits).
    // The text is returned here and nowhere else; only its SHA-256 is stored. NotFound when
    // there is no such account; InvalidInput for a label over max_token_label_bytes, not UTF-8,
    // or holding a control character (labels are listed one per line).
    ErrorOr<std::pair<TokenRecord, std::string>> create_token(std::string_view user, std::string_view label);
    // The user's tokens, oldest first, without their texts (which are not stored). NotFound when
    // there is no such account.
    ErrorOr<std::vector<TokenRecord>> list_tokens(std::string_view user);
    // Revokes token `id` if it is `user`'s; false otherwise (another user's id revokes nothing).
    ErrorOr<bool> revoke_token(std::string_view user, int64_t id);
    // The user a token belongs to; nullopt for a token that is unknown, revoked or malformed.
    // Updates the token's last_used (at most once a minute, so that a busy client does not write
    // on every request).
    ErrorOr<std::optional<std::string>> user_for_token(std::string_view token);

    // Starts a browser session for `user` lasting `ttl` (more than zero, at most 366 days, else
    // InvalidInput): returns the session secret (43 base64url characters, 256 random bits; stored
    // only as its SHA-256) for the cookie, and the session with its random CSRF token (43
    // base64url characters). NotFound when there is no such account.
    ErrorOr<std::pair<std::string, Session>> create_session(std::string_view user, std::chrono::seconds ttl);
    // The session a secret opens; nullopt when it is unknown, malformed, ended or expired (by the
    // injected clock).
    ErrorOr<std::optional<Session>> session(std::string_view secret);
    // Ends the session (logout); a secret that opens none is not an error.
    ErrorOr<void> end_session(std::string_view secret);

    const std::filesystem::path& path() const { return m_db.path(); }

private:
    AccountStore(Database db, const Environment& env, AccountOptions options)
        : m_db(std::move(db)), m_env(env), m_options(options) {}

    // NotFound, naming the user.
    static Error no_such_user(std::string_view name);
    // These expect m_mutex held.
    ErrorOr<bool> user_exists(std::string_view name);
    ErrorOr<void> delete_sessions_of(std::string_view name);

    // A hash of a random password, made with this store's cost on first use, that
    // verify_password checks when there is no account to check.
    ErrorOr<std::string> dummy_hash();

    std::mutex m_mutex;  // guards m_db
    Database m_db;
    Environment m_env;
    AccountOptions m_options;

    std::mutex m_dummy_mutex;
    std::optional<std::string> m_dummy_hash;
};

}  // namespace os1::accounts
