#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/database.h"
#include "memory/conversation-store.h"

using namespace os1;
namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& name) {
    fs::path dir = fs::path(::testing::TempDir()) / ("os1-db-" + name);
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

const std::vector<Database::Migration> notes_v1 = {{1, "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT);"}};

}  // namespace

TEST(Database, OpensInWalModeAndMigratesEachComponentOnce) {
    fs::path file = fresh_dir("wal") / "x.db";
    {
        auto db = Database::open(file);
        ASSERT_TRUE(db) << db.error().message;
        ASSERT_TRUE(db->migrate("notes", notes_v1));
        auto mode = db->prepare("PRAGMA journal_mode");
        ASSERT_TRUE(mode);
        ASSERT_TRUE(mode->step().value());
        EXPECT_EQ(mode->column_text(0), "wal");
    }
    auto db = Database::open(file);
    ASSERT_TRUE(db);
    auto again = db->migrate("notes", notes_v1);
    EXPECT_TRUE(again) << "a second migrate must not re-run CREATE TABLE: " << again.error().message;
}

TEST(Database, RefusesASchemaNewerThanTheBuild) {
    fs::path file = fresh_dir("newer") / "x.db";
    {
        auto db = Database::open(file);
        ASSERT_TRUE(db);
        ASSERT_TRUE(db->migrate("notes", {{1, "CREATE TABLE notes (id INTEGER);"}, {2, "ALTER TABLE notes ADD c;"}}));
    }
    auto db = Database::open(file);
    ASSERT_TRUE(db);
    auto result = db->migrate("notes", notes_v1);
    ASSERT_TRUE(result.is_error());
    EXPECT_NE(result.error().message.find("schema version 2 of notes is newer than this build (1)"), std::string::npos)
        << result.error().message;
}

TEST(Database, CorruptFileIsAClearErrorAndLeftAlone) {
    fs::path file = fresh_dir("corrupt") / "x.db";
    std::ofstream(file) << std::string(8192, 'z');
    auto db = Database::open(file);
    ASSERT_TRUE(db.is_error());
    EXPECT_NE(db.error().message.find("corrupt"), std::string::npos) << db.error().message;
    EXPECT_EQ(fs::file_size(file), 8192u) << "a corrupt database must not be overwritten";
}

TEST(ConversationStore, TurnsAreStoredInOrderAndSurviveReopening) {
    fs::path dir = fresh_dir("store");
    int64_t conversation = 0;
    {
        auto store = memory::ConversationStore::open(dir);
        ASSERT_TRUE(store) << store.error().message;
        conversation = store->create_conversation("t", 100).value();
        ASSERT_TRUE(store->append_turn(conversation, "user", "hello", 101));
        ASSERT_TRUE(store->append_turn(conversation, "assistant", "hi!", 102));
        EXPECT_TRUE(store->append_turn(conversation, "robot", "bad role", 103).is_error());
    }
    auto store = memory::ConversationStore::open(dir);
    ASSERT_TRUE(store);
    auto latest = store->latest_conversation();
    ASSERT_TRUE(latest && latest.value());
    EXPECT_EQ(latest.value()->id, conversation);
    auto turns = store->turns(conversation).value();
    ASSERT_EQ(turns.size(), 2u);
    EXPECT_EQ(turns[0].content, "hello");
    EXPECT_EQ(turns[1].role, "assistant");
}
