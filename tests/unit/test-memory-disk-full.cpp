// A full disk, for real: a 2 MiB tmpfs is mounted (this needs root, or CAP_SYS_ADMIN; without it
// the tests are skipped and say why). Filling it while importing or storing turns must fail with
// a clear "disk full" error, keep everything stored before, and leave a database that passes
// its integrity check.
#include <gtest/gtest.h>

#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/backup.h"
#include "memory/conversation-store.h"
#include "support/subprocess.h"
#include "support/temp-dir.h"

using namespace os1::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

class DiskFull : public ::testing::Test {
protected:
    void SetUp() override {
        const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
        m_outside = unique_temp_dir("disk-full-" + name);
        m_mount = m_outside / "small-disk";
        fs::create_directories(m_mount);
        if (::mount("tmpfs", m_mount.c_str(), "tmpfs", 0, "size=2m") != 0)
            GTEST_SKIP() << "cannot mount a 2 MiB tmpfs at " << m_mount << " (" << std::strerror(errno)
                         << "): this test needs root or CAP_SYS_ADMIN to fill a real disk";
        m_mounted = true;
        m_home = m_mount / "home";
    }

    void TearDown() override {
        if (m_mounted && ::umount2(m_mount.c_str(), MNT_DETACH) != 0)
            ADD_FAILURE() << "cannot unmount " << m_mount << ": " << std::strerror(errno);
        std::error_code ec;
        fs::remove_all(m_outside, ec);
    }

    ProcessResult os1(std::vector<std::string> args) {
        args.insert(args.begin(), {OS1_BINARY, "--home", m_home.string()});
        return run_process(args);
    }

    // An os1-jsonl export outside the small disk, `count` turns of about `bytes` each.
    fs::path export_file(const std::string& name, const std::string& prefix, int count, size_t bytes) {
        fs::path file = m_outside / name;
        std::ofstream out(file);
        for (int i = 0; i < count; ++i)
            out << json({{"id", prefix + std::to_string(i)},
                         {"conversation", "c"},
                         {"role", "user"},
                         {"time", "2024-05-01T10:00:00Z"},
                         {"text", prefix + " turn " + std::to_string(i) + " " + std::string(bytes, 'a' + i % 26)}})
                       .dump()
                << "\n";
        return file;
    }

    fs::path m_outside, m_mount, m_home;
    bool m_mounted = false;
};

}  // namespace

TEST_F(DiskFull, AnImportThatFillsTheDiskFailsClearlyAndKeepsWhatWasThere) {
    ProcessResult r = os1({"memory", "import", export_file("small.jsonl", "s", 30, 200).string(), "--user", "sam"});
    ASSERT_EQ(r.exit_code, 0) << r.err;

    // About 4 MiB of text for a 2 MiB disk.
    r = os1({"memory", "import", export_file("big.jsonl", "b", 2000, 2000).string(), "--user", "sam"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("disk full: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("of free space left on"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("free some space"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("Segmentation"), std::string::npos);

    r = os1({"memory", "list", "--user", "sam", "--json", "--limit", "100000"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    json memories = json::parse(r.out)["memories"];
    EXPECT_EQ(memories.size(), 30u) << "all of the first import and nothing of the failed one";
    for (const json& m : memories)
        EXPECT_EQ(m["source_id"].get<std::string>().rfind("import:s", 0), 0u) << m["source_id"];
    auto healthy = os1::check_database_file(m_home / "users" / "sam" / "os1.db");
    EXPECT_TRUE(healthy) << healthy.error().message;
}

TEST_F(DiskFull, StoringTurnsUntilTheDiskIsFullLosesNoStoredTurn) {
    const fs::path user_dir = m_home / "users" / "sam";
    fs::create_directories(user_dir);
    size_t stored = 0;
    std::string failure;
    {
        auto store = os1::memory::ConversationStore::open(user_dir);
        ASSERT_TRUE(store) << store.error().message;
        auto conversation = store->create_conversation("fill", 1);
        ASSERT_TRUE(conversation) << conversation.error().message;
        const std::string text(4000, 'x');
        for (int i = 0; i < 2000; ++i) {
            auto appended = store->append_turn(conversation.value(), "user", text + std::to_string(i), 10 + i);
            if (appended.is_error()) {
                failure = appended.error().message;
                break;
            }
            ++stored;
        }
    }
    ASSERT_FALSE(failure.empty()) << "2000 turns of 4 KB cannot fit on a 2 MiB disk";
    EXPECT_GT(stored, 10u);
    EXPECT_NE(failure.find("disk full: "), std::string::npos) << failure;
    EXPECT_NE(failure.find("try again"), std::string::npos) << failure;

    auto healthy = os1::check_database_file(user_dir / "os1.db");
    EXPECT_TRUE(healthy) << healthy.error().message;
    auto store = os1::memory::ConversationStore::open(user_dir);
    ASSERT_TRUE(store) << store.error().message;
    auto latest = store->latest_conversation();
    ASSERT_TRUE(latest && latest.value());
    auto turns = store->turns(latest.value()->id);
    ASSERT_TRUE(turns) << turns.error().message;
    EXPECT_EQ(turns->size(), stored) << "every acknowledged turn survives";
}
