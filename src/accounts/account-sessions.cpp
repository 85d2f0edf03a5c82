// Browser sessions: a secret for the cookie, stored only as its SHA-256, and a CSRF token.
#include "accounts/account-store.h"
#include "accounts/secret.h"
#include "core/user-names.h"

namespace os1::accounts {

namespace {

// Far beyond any sensible login, and far from overflowing a timestamp.
constexpr std::chrono::seconds longest_session = std::chrono::days(366);

}  // namespace

ErrorOr<std::pair<std::string, Session>> AccountStore::create_session(std::string_view user, std::chrono::seconds ttl) {
    OS1_TRY(check_user_name(user));
    if (ttl <= std::chrono::seconds(0) || ttl > longest_session)
        return make_error(ErrorKind::InvalidInput,
                          "a session must last more than 0 seconds and at most 366 days, not " +
                              std::to_string(ttl.count()) + " seconds");
    std::string secret = random_secret();
    const int64_t now = m_env.now_seconds();
    Session session{std::string(user), random_secret(), now + ttl.count()};
    std::lock_guard lock(m_mutex);
    OS1_TRY(in_transaction(m_db, [&]() -> ErrorOr<void> {
        if (!OS1_TRY(user_exists(user)))
            return no_such_user(user);
        // Expired sessions are swept at each login, so the table holds few dead ones.
        auto sweep = OS1_TRY(m_db.prepare("DELETE FROM sessions WHERE expires <= ?"));
        OS1_TRY(sweep.bind(1, now).run());
        auto insert = OS1_TRY(
            m_db.prepare("INSERT INTO sessions (digest, user_name, csrf, created, expires) VALUES (?, ?, ?, ?, ?)"));
        const std::string digest = secret_digest(secret);
        return insert.bind_blob(1, digest.data(), digest.size())
            .bind(2, user)
            .bind(3, session.csrf)
            .bind(4, now)
            .bind(5, session.expires)
            .run();
    }));
    return std::pair<std::string, Session>(std::move(secret), std::move(session));
}

ErrorOr<std::optional<Session>> AccountStore::session(std::string_view secret) {
    if (!is_secret_text(secret))
        return std::optional<Session>();
    const std::string digest = secret_digest(secret);
    std::lock_guard lock(m_mutex);
    // As with tokens: the index is searched by a digest nobody can steer; the final comparison
    // is constant-time.
    auto query = OS1_TRY(m_db.prepare("SELECT digest, user_name, csrf, expires FROM sessions WHERE digest = ?"));
    query.bind_blob(1, digest.data(), digest.size());
    if (!OS1_TRY(query.step()) || !digests_equal(query.column_blob(0), digest))
        return std::optional<Session>();
    Session found{query.column_text(1), query.column_text(2), query.column_int(3)};
    if (m_env.now_seconds() >= found.expires)
        return std::optional<Session>();
    return std::optional<Session>(std::move(found));
}

ErrorOr<void> AccountStore::end_session(std::string_view secret) {
    if (!is_secret_text(secret))
        return {};
    const std::string digest = secret_digest(secret);
    std::lock_guard lock(m_mutex);
    auto remove = OS1_TRY(m_db.prepare("DELETE FROM sessions WHERE digest = ?"));
    return remove.bind_blob(1, digest.data(), digest.size()).run();
}

}  // namespace os1::accounts
