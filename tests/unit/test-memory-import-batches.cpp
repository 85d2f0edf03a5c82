// Large imports commit in bounded transactions, yet stay all or nothing: another connection
// commits between them, a failed import leaves nothing, and the turns of an import whose
// process died are removed by the next open.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "core/database.h"
#include "memory/conversation-store.h"
#include "memory/memory.h"
#include "support/temp-dir.h"

using namespace os1;
using namespace os1::memory;
namespace fs = std::filesystem;

namespace {

std::vector<EpisodeInput> turns(size_t count, const std::string& prefix) {
    std::vector<EpisodeInput> out;
    for (size_t i = 0; i < count; ++i)
        out.push_back({prefix + std::to_string(i), "c" + std::to_string(i / 50), i % 2 ? "Kate" : "Sam",
                       i % 2 ? "assistant" : "user", int64_t(1'700'000'000 + i),
                       "turn " + std::to_string(i) + " about the garden and the weather"});
    return out;
}

int64_t count_of(Database& db, const char* sql) {
    auto query = db.prepare(sql);
    EXPECT_TRUE(query) << query.error().message;
    EXPECT_TRUE(query->step().value());
    return query->column_int(0);
}

}  // namespace

TEST(LargeImport, AnotherWriterCommitsBetweenItsTransactions) {
    const fs::path dir = os1::test::unique_temp_dir("import-batches");
    ASSERT_TRUE(ConversationStore::open(dir));
    ASSERT_TRUE(MemoryStore::open(dir));
    constexpr size_t k_turns = 20000;
    const std::vector<EpisodeInput> import = turns(k_turns, "t");
    std::atomic<bool> import_done = false;
    ErrorOr<ImportReport> imported = make_error("not run");
    std::thread importer([&] {
        auto store = MemoryStore::open(dir);
        imported = store ? store->import_new_episodes(import) : ErrorOr<ImportReport>(store.release_error());
        import_done = true;
    });

    auto chat = Database::open(dir / "os1.db");
    ASSERT_TRUE(chat) << chat.error().message;
    // Waits until the import has committed part of its turns, or has finished.
    while (!import_done && count_of(*chat, "SELECT count(*) FROM memories") == 0)
        std::this_thread::yield();
    int64_t memories_seen_by_the_chat = -1;
    auto stored = in_transaction(*chat, [&]() -> ErrorOr<void> {
        OS1_TRY(chat->exec("INSERT INTO conversations (title, created_at, updated_at) VALUES ('chat', 1, 1)"));
        OS1_TRY(chat->exec("INSERT INTO turns (conversation_id, role, content, created_at) "
                           "VALUES (last_insert_rowid(), 'user', 'hello while importing', 1)"));
        memories_seen_by_the_chat = count_of(*chat, "SELECT count(*) FROM memories");
        return {};
    });
    importer.join();
    ASSERT_TRUE(stored) << stored.error().message;
    ASSERT_TRUE(imported) << imported.error().message;
    EXPECT_GT(memories_seen_by_the_chat, 0);
    EXPECT_LT(memories_seen_by_the_chat, int64_t(k_turns)) << "the chat committed only after the whole import";
    EXPECT_EQ(imported->added.size(), k_turns);
    EXPECT_EQ(count_of(*chat, "SELECT count(*) FROM memories"), int64_t(k_turns));
    EXPECT_EQ(count_of(*chat, "SELECT count(*) FROM import_runs"), 0) << "the finished import left its run";
}

TEST(LargeImport, AFailedLargeImportStoresNothing) {
    const fs::path dir = os1::test::unique_temp_dir("import-batches");
    auto store = MemoryStore::open(dir);
    ASSERT_TRUE(store) << store.error().message;
    std::vector<EpisodeInput> earlier = turns(1, "t");
    earlier[0].source_id = "t3499";
    earlier[0].text = "another text under the same id";
    ASSERT_TRUE(store->import_new_episodes(earlier));

    // The conflict is in the last of several transactions.
    auto failed = store->import_new_episodes(turns(3500, "t"));
    ASSERT_TRUE(failed.is_error());
    EXPECT_NE(failed.error().message.find("t3499"), std::string::npos) << failed.error().message;
    EXPECT_NE(failed.error().message.find("nothing was imported"), std::string::npos) << failed.error().message;
    EXPECT_EQ(store->count().value(), 1u);
    EXPECT_EQ(count_of(store->database(), "SELECT count(*) FROM import_runs"), 0);

    // os1's own turns keep their ids, and a stored one is refused, also in the last transaction.
    ASSERT_TRUE(store->import_episodes(earlier));
    auto strict = store->import_episodes(turns(3500, "t"));
    ASSERT_TRUE(strict.is_error());
    EXPECT_EQ(store->count().value(), 2u);
}

TEST(LargeImport, TheTurnsOfAnImportWhoseProcessDiedAreRemovedOnOpen) {
    const fs::path dir = os1::test::unique_temp_dir("import-batches");
    const pid_t dead = ::fork();
    if (dead == 0)
        ::_exit(0);
    ASSERT_EQ(::waitpid(dead, nullptr, 0), dead);
    {
        auto store = MemoryStore::open(dir);
        ASSERT_TRUE(store) << store.error().message;
        ASSERT_TRUE(store->import_new_episodes(turns(1500, "whole")));
        Database& db = store->database();
        auto run = db.prepare("INSERT INTO import_runs (pid, started_at) VALUES (?, 1)");
        ASSERT_TRUE(run);
        ASSERT_TRUE(run->bind(1, int64_t(dead)).run());
        const int64_t abandoned = db.last_insert_id();
        auto tag = db.prepare(
            "INSERT INTO memories (kind, text, time, source_id, role, import_run) VALUES ('episode', 'half', 1, ?, "
            "'user', ?)");
        ASSERT_TRUE(tag);
        auto half_stored = in_transaction(db, [&]() -> ErrorOr<void> {
            for (int i = 0; i < 2500; ++i)
                OS1_TRY(tag->reset().bind(1, "half" + std::to_string(i)).bind(2, abandoned).run());
            return {};
        });
        ASSERT_TRUE(half_stored) << half_stored.error().message;
    }
    auto reopened = MemoryStore::open(dir);
    ASSERT_TRUE(reopened) << reopened.error().message;
    EXPECT_EQ(reopened->count().value(), 1500u) << "the finished import stays, the abandoned one goes";
    EXPECT_EQ(count_of(reopened->database(), "SELECT count(*) FROM import_runs"), 0);
    SearchOptions options;
    options.now = 1'800'000'000;
    auto hits = reopened->search("half", options);
    ASSERT_TRUE(hits) << hits.error().message;
    EXPECT_TRUE(hits->empty()) << "the search index lost them too";
}
