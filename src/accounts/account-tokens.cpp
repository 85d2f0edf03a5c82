// API tokens: bearer secrets for scripts and apps, stored only as SHA-256 digests.
#include <algorithm>

#include "accounts/account-store.h"
#include "accounts/secret.h"
#include "core/user-names.h"
#include "core/utf8.h"

namespace os1::accounts {

namespace {

// Marks the text as an os1 token, so that secret scanners and people can tell what it is.
constexpr std::string_view token_prefix = "os1_";

// last_used is a hint for people ("used yesterday"), not an audit log: writing it once a minute
// keeps a busy client from turning every request into a write.
constexpr int64_t last_used_resolution = 60;

ErrorOr<void> check_label(std::string_view label) {
    if (label.size() > max_token_label_bytes)
        return make_error(ErrorKind::InvalidInput, "the label is too long (" + std::to_string(label.size()) +
                                                       " bytes); use at most " + std::to_string(max_token_label_bytes));
    if (!is_valid_utf8(label))
        return make_error(ErrorKind::InvalidInput, "the label is not valid UTF-8; use text");
    // Labels are printed one per line in listings.
    if (std::any_of(label.begin(), label.end(), [](char c) {
            const auto byte = static_cast<unsigned char>(c);
            return byte < 0x20 || byte == 0x7f;
        }))
        return make_error(ErrorKind::InvalidInput,
                          "the label holds a control character (a newline or tab); use plain text");
    return {};
}

}  // namespace

ErrorOr<std::pair<TokenRecord, std::string>> AccountStore::create_token(std::string_view user, std::string_view label) {
    OS1_TRY(check_user_name(user));
    OS1_TRY(check_label(label));
    std::string text = std::string(token_prefix) + random_secret();
    TokenRecord record{0, std::string(user), std::string(label), m_env.now_seconds(), 0};
    std::lock_guard lock(m_mutex);
    OS1_TRY(in_transaction(m_db, [&]() -> ErrorOr<void> {
        if (!OS1_TRY(user_exists(user)))
            return no_such_user(user);
        auto insert =
            OS1_TRY(m_db.prepare("INSERT INTO tokens (user_name, digest, label, created) VALUES (?, ?, ?, ?)"));
        const std::string digest = secret_digest(text);
        OS1_TRY(insert.bind(1, user)
                    .bind_blob(2, digest.data(), digest.size())
                    .bind(3, label)
                    .bind(4, record.created)
                    .run());
        record.id = m_db.last_insert_id();
        return {};
    }));
    return std::pair<TokenRecord, std::string>(std::move(record), std::move(text));
}

ErrorOr<std::vector<TokenRecord>> AccountStore::list_tokens(std::string_view user) {
    OS1_TRY(check_user_name(user));
    std::lock_guard lock(m_mutex);
    if (!OS1_TRY(user_exists(user)))
        return no_such_user(user);
    auto query = OS1_TRY(
        m_db.prepare("SELECT id, user_name, label, created, last_used FROM tokens WHERE user_name = ? ORDER BY id"));
    query.bind(1, user);
    std::vector<TokenRecord> tokens;
    while (OS1_TRY(query.step()))
        tokens.push_back({query.column_int(0), query.column_text(1), query.column_text(2), query.column_int(3),
                          query.column_int(4)});
    return tokens;
}

ErrorOr<bool> AccountStore::revoke_token(std::string_view user, int64_t id) {
    OS1_TRY(check_user_name(user));
    std::lock_guard lock(m_mutex);
    // The user is part of the key: one user's id never revokes another user's token.
    auto remove = OS1_TRY(m_db.prepare("DELETE FROM tokens WHERE id = ? AND user_name = ?"));
    OS1_TRY(remove.bind(1, id).bind(2, user).run());
    return sqlite3_changes(m_db.handle()) > 0;
}

ErrorOr<std::optional<std::string>> AccountStore::user_for_token(std::string_view token) {
    if (!token.starts_with(token_prefix) || !is_secret_text(token.substr(token_prefix.size())))
        return std::optional<std::string>();
    const std::string digest = secret_digest(token);
    std::lock_guard lock(m_mutex);
    // Found through the index on the digest. Its comparisons could tell how many leading bytes
    // of a stored digest a guess shares, but a guess chooses a token, not its SHA-256, so that
    // tells nothing about any token; the final comparison is constant-time all the same.
    auto query = OS1_TRY(m_db.prepare("SELECT id, user_name, digest, last_used FROM tokens WHERE digest = ?"));
    query.bind_blob(1, digest.data(), digest.size());
    if (!OS1_TRY(query.step()) || !digests_equal(query.column_blob(2), digest))
        return std::optional<std::string>();
    const int64_t id = query.column_int(0);
    std::string user = query.column_text(1);
    const int64_t last_used = query.column_int(3);
    const int64_t now = m_env.now_seconds();
    if (now - last_used >= last_used_resolution || now < last_used) {
        auto touch = OS1_TRY(m_db.prepare("UPDATE tokens SET last_used = ? WHERE id = ?"));
        OS1_TRY(touch.bind(1, now).bind(2, id).run());
    }
    return std::optional<std::string>(std::move(user));
}

}  // namespace os1::accounts
