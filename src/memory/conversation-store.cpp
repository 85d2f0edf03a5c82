#include "memory/conversation-store.h"

#include <algorithm>
#include <set>

namespace os1::memory {

namespace fs = std::filesystem;

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

constexpr const char* cache_prefix = "conversation-";
constexpr const char* cache_suffix = ".kv";

// Removes `file` and the temporary file that a save cut short leaves beside it; true when
// `file` existed.
ErrorOr<bool> remove_cache(const fs::path& file) {
    std::error_code ec;
    fs::path temporary = file;
    temporary += ".tmp";
    fs::remove(temporary, ec);
    if (ec)
        return make_error(temporary.string() + ": cannot delete this conversation cache: " + ec.message() +
                          "; delete it by hand, it holds forgotten turns");
    const bool existed = fs::remove(file, ec);
    if (ec)
        return make_error(file.string() + ": cannot delete this conversation cache: " + ec.message() +
                          "; delete it by hand, it holds forgotten turns");
    return existed;
}

}  // namespace

fs::path conversation_cache_file(const fs::path& user_dir, int64_t conversation_id) {
    return user_dir / "kv" / (cache_prefix + std::to_string(conversation_id) + cache_suffix);
}

ErrorOr<bool> has_conversation_tables(Database& db) {
    auto exists = OS1_TRY(db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'turns'"));
    return OS1_TRY(exists.step());
}

ErrorOr<DeletedTurns> delete_turns(Database& db, const std::vector<int64_t>& turn_ids) {
    DeletedTurns deleted;
    if (turn_ids.empty() || !OS1_TRY(has_conversation_tables(db)))
        return deleted;
    std::set<int64_t> conversations;
    for (int64_t id : turn_ids) {
        auto remove = OS1_TRY(db.prepare("DELETE FROM turns WHERE id = ? RETURNING conversation_id"));
        remove.bind(1, id);
        while (OS1_TRY(remove.step())) {
            conversations.insert(remove.column_int(0));
            ++deleted.turns;
        }
    }
    deleted.conversations.assign(conversations.begin(), conversations.end());
    return deleted;
}

ErrorOr<DeletedTurns> delete_all_conversations(Database& db) {
    DeletedTurns deleted;
    if (!OS1_TRY(has_conversation_tables(db)))
        return deleted;
    auto count = OS1_TRY(db.prepare("SELECT count(*) FROM turns"));
    OS1_TRY(count.step());
    deleted.turns = size_t(count.column_int(0));
    auto remove = OS1_TRY(db.prepare("DELETE FROM conversations RETURNING id"));
    while (OS1_TRY(remove.step()))
        deleted.conversations.push_back(remove.column_int(0));
    std::sort(deleted.conversations.begin(), deleted.conversations.end());
    // The turns went with their conversations (ON DELETE CASCADE); none may outlive them.
    OS1_TRY(db.exec("DELETE FROM turns"));
    return deleted;
}

ErrorOr<size_t> delete_conversation_caches(const fs::path& user_dir, const std::vector<int64_t>& conversation_ids) {
    size_t deleted = 0;
    for (int64_t id : conversation_ids)
        deleted += OS1_TRY(remove_cache(conversation_cache_file(user_dir, id))) ? 1 : 0;
    return deleted;
}

ErrorOr<size_t> delete_all_conversation_caches(const fs::path& user_dir) {
    std::vector<fs::path> caches;
    std::error_code ec;
    for (const fs::directory_entry& entry : fs::directory_iterator(user_dir / "kv", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.starts_with(cache_prefix) && name.ends_with(cache_suffix))
            caches.push_back(entry.path());
        else if (name.starts_with(cache_prefix) && name.ends_with(std::string(cache_suffix) + ".tmp"))
            caches.push_back(entry.path().parent_path() / entry.path().stem());
    }
    if (ec && ec != std::errc::no_such_file_or_directory)
        return make_error((user_dir / "kv").string() + ": cannot list the conversation caches: " + ec.message());
    size_t deleted = 0;
    for (const fs::path& cache : caches)
        deleted += OS1_TRY(remove_cache(cache)) ? 1 : 0;
    return deleted;
}

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

namespace {

constexpr const char* k_conversation_columns =
    "SELECT c.id, c.title, c.created_at, c.updated_at, "
    "(SELECT count(*) FROM turns t WHERE t.conversation_id = c.id) FROM conversations c ";

Conversation read_conversation(Statement& query) {
    return Conversation{query.column_int(0), query.column_text(1), query.column_int(2), query.column_int(3),
                        query.column_int(4)};
}

}  // namespace

ErrorOr<std::vector<Conversation>> ConversationStore::recent_conversations(size_t limit) {
    auto query = OS1_TRY(
        m_db.prepare(std::string(k_conversation_columns) + "ORDER BY c.updated_at DESC, c.id DESC LIMIT ?"));
    query.bind(1, int64_t(limit));
    std::vector<Conversation> conversations;
    while (OS1_TRY(query.step()))
        conversations.push_back(read_conversation(query));
    return conversations;
}

ErrorOr<std::optional<Conversation>> ConversationStore::conversation(int64_t id) {
    auto query = OS1_TRY(m_db.prepare(std::string(k_conversation_columns) + "WHERE c.id = ?"));
    query.bind(1, id);
    if (!OS1_TRY(query.step()))
        return std::optional<Conversation>();
    return std::optional<Conversation>(read_conversation(query));
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

ErrorOr<std::optional<Turn>> ConversationStore::turn(int64_t turn_id) {
    auto query = OS1_TRY(
        m_db.prepare("SELECT id, conversation_id, role, content, created_at, interrupted FROM turns WHERE id = ?"));
    query.bind(1, turn_id);
    if (!OS1_TRY(query.step()))
        return std::optional<Turn>();
    return std::optional<Turn>(Turn{query.column_int(0), query.column_int(1), query.column_text(2),
                                    query.column_text(3), query.column_int(4), query.column_int(5) != 0});
}

}  // namespace os1::memory
