#include "memory/conversation-store.h"

namespace os1::memory {

namespace {

const std::vector<Database::Migration> migrations = {
    {1, R"sql(
        CREATE TABLE conversations (
            id         INTEGER PRIMARY KEY,
            title      TEXT NOT NULL DEFAULT '',
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE TABLE turns (
            id              INTEGER PRIMARY KEY,
            conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            role            TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
            content         TEXT NOT NULL,
            created_at      INTEGER NOT NULL
        );
        CREATE INDEX turns_by_conversation ON turns(conversation_id, id);
    )sql"},
    // A reply cut short (the user spoke over it, or the client went away) stores only what was
    // delivered, and says so.
    {2, R"sql(
        ALTER TABLE turns ADD COLUMN interrupted INTEGER NOT NULL DEFAULT 0;
    )sql"},
};

}  // namespace

ErrorOr<ConversationStore> ConversationStore::open(const std::filesystem::path& user_dir, const Environment& env) {
    Database db = OS1_TRY(Database::open(user_dir / "os1.db", env));
    OS1_TRY(db.migrate("conversations", migrations));
    return ConversationStore(std::move(db));
}

ErrorOr<int64_t> ConversationStore::create_conversation(const std::string& title, int64_t now) {
    auto insert = OS1_TRY(m_db.prepare("INSERT INTO conversations (title, created_at, updated_at) VALUES (?, ?, ?)"));
    OS1_TRY(insert.bind(1, title).bind(2, now).bind(3, now).run());
    return m_db.last_insert_id();
}

ErrorOr<std::optional<Conversation>> ConversationStore::latest_conversation() {
    auto query = OS1_TRY(m_db.prepare(
        "SELECT id, title, created_at, updated_at FROM conversations ORDER BY updated_at DESC, id DESC LIMIT 1"));
    if (!OS1_TRY(query.step()))
        return std::optional<Conversation>();
    return std::optional<Conversation>(
        Conversation{query.column_int(0), query.column_text(1), query.column_int(2), query.column_int(3)});
}

ErrorOr<int64_t> ConversationStore::insert_turn(int64_t conversation_id, const std::string& role,
                                                const std::string& content, Interrupted interrupted, int64_t now) {
    auto insert = OS1_TRY(m_db.prepare(
        "INSERT INTO turns (conversation_id, role, content, created_at, interrupted) VALUES (?, ?, ?, ?, ?)"));
    OS1_TRY(insert.bind(1, conversation_id)
                .bind(2, role)
                .bind(3, content)
                .bind(4, now)
                .bind(5, int64_t(interrupted == Interrupted::Yes))
                .run());
    const int64_t id = m_db.last_insert_id();
    auto touch = OS1_TRY(m_db.prepare("UPDATE conversations SET updated_at = ? WHERE id = ?"));
    OS1_TRY(touch.bind(1, now).bind(2, conversation_id).run());
    return id;
}

ErrorOr<int64_t> ConversationStore::append_turn(int64_t conversation_id, const std::string& role,
                                                const std::string& content, int64_t now) {
    int64_t id = 0;
    OS1_TRY(in_transaction(m_db, [&]() -> ErrorOr<void> {
        id = OS1_TRY(insert_turn(conversation_id, role, content, Interrupted::No, now));
        return {};
    }));
    return id;
}

ErrorOr<std::pair<int64_t, int64_t>> ConversationStore::append_exchange(int64_t conversation_id,
                                                                        const std::string& user_text,
                                                                        int64_t user_time,
                                                                        const std::string& reply_text,
                                                                        Interrupted interrupted, int64_t now) {
    std::pair<int64_t, int64_t> ids;
    OS1_TRY(in_transaction(m_db, [&]() -> ErrorOr<void> {
        ids.first = OS1_TRY(insert_turn(conversation_id, "user", user_text, Interrupted::No, user_time));
        ids.second = OS1_TRY(insert_turn(conversation_id, "assistant", reply_text, interrupted, now));
        return {};
    }));
    return ids;
}

ErrorOr<std::vector<Turn>> ConversationStore::turns(int64_t conversation_id) {
    auto query = OS1_TRY(m_db.prepare(
        "SELECT id, conversation_id, role, content, created_at, interrupted FROM turns WHERE conversation_id = ? "
        "ORDER BY id"));
    query.bind(1, conversation_id);
    std::vector<Turn> out;
    while (OS1_TRY(query.step()))
        out.push_back(Turn{query.column_int(0), query.column_int(1), query.column_text(2), query.column_text(3),
                           query.column_int(4), query.column_int(5) != 0});
    return out;
}

}  // namespace os1::memory
