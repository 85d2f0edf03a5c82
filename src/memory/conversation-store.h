// Conversations and their turns, one SQLite database per user. Every turn is committed
// (WAL, synchronous=FULL) before append_turn returns, so an acknowledged turn survives a
// crash or kill -9.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/database.h"
#include "core/environment.h"

namespace os1::memory {

struct Turn {
    int64_t id = 0;
    int64_t conversation_id = 0;
    std::string role;  // "system", "user" or "assistant"
    std::string content;
    int64_t created_at = 0;  // unix seconds
    bool interrupted = false;  // a reply cut short: `content` is what was delivered
};

enum class Interrupted { No, Yes };

struct Conversation {
    int64_t id = 0;
    std::string title;
    int64_t created_at = 0;
    int64_t updated_at = 0;
    int64_t turn_count = 0;  // filled in by recent_conversations() and conversation()
};

// The saved KV cache of a conversation (the inference engine's state after its last turn):
// <user_dir>/kv/conversation-<id>.kv. It holds the conversation's text, so forgetting a turn
// deletes it.
std::filesystem::path conversation_cache_file(const std::filesystem::path& user_dir, int64_t conversation_id);

// Forgetting (memory.h says what it means). These take any connection to the user's os1.db and
// run inside the caller's transaction; on a database without the conversation tables they delete
// nothing.
struct DeletedTurns {
    std::vector<int64_t> conversations;  // the conversations that held them, ascending
    size_t turns = 0;
};
// True once the conversation tables exist in `db`.
ErrorOr<bool> has_conversation_tables(Database& db);
// Deletes the turns `turn_ids`; the conversations stay, with their other turns.
ErrorOr<DeletedTurns> delete_turns(Database& db, const std::vector<int64_t>& turn_ids);
// Deletes every conversation and every turn.
ErrorOr<DeletedTurns> delete_all_conversations(Database& db);
// Deletes the saved caches of `conversation_ids` (and a save cut short beside one); returns how
// many caches there were.
ErrorOr<size_t> delete_conversation_caches(const std::filesystem::path& user_dir,
                                           const std::vector<int64_t>& conversation_ids);
// Deletes every saved conversation cache of the user.
ErrorOr<size_t> delete_all_conversation_caches(const std::filesystem::path& user_dir);

class ConversationStore {
public:
    // Opens <user_dir>/os1.db, creating and migrating it as needed (see Database::open for
    // what `env` is used for).
    static ErrorOr<ConversationStore> open(const std::filesystem::path& user_dir, const Environment& env = {});

    ErrorOr<int64_t> create_conversation(const std::string& title, int64_t now);
    // The most recently updated conversation, if any.
    ErrorOr<std::optional<Conversation>> latest_conversation();
    // Up to `limit` conversations, the most recently updated first.
    ErrorOr<std::vector<Conversation>> recent_conversations(size_t limit);
    // The conversation `id`, if there is one.
    ErrorOr<std::optional<Conversation>> conversation(int64_t id);
    ErrorOr<int64_t> append_turn(int64_t conversation_id, const std::string& role, const std::string& content,
                                 int64_t now);
    // The user's message and the reply to it, in one transaction: a history never holds a user
    // message without its answer. Returns the two turn ids.
    ErrorOr<std::pair<int64_t, int64_t>> append_exchange(int64_t conversation_id, const std::string& user_text,
                                                         int64_t user_time, const std::string& reply_text,
                                                         Interrupted interrupted, int64_t now);
    ErrorOr<std::vector<Turn>> turns(int64_t conversation_id);
    // One turn by its id, if it is still there.
    ErrorOr<std::optional<Turn>> turn(int64_t turn_id);

    Database& database() { return m_db; }

private:
    explicit ConversationStore(Database db) : m_db(std::move(db)) {}
    ErrorOr<int64_t> insert_turn(int64_t conversation_id, const std::string& role, const std::string& content,
                                 Interrupted interrupted, int64_t now);
    Database m_db;
};

}  // namespace os1::memory
