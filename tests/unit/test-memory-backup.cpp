// Backups, a damaged database and the way back, through the real os1 binary: a daily backup is
// taken when a healthy database opens; a database with bytes overwritten in its middle is a
// clear error naming the newest backup and the command that restores it; nothing crashes and
// nothing starts empty; the restore brings the data back and keeps the damaged file. Every run
// of the binary happens at one fixed instant (OS1_NOW), so "today" never moves under the test.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/backup.h"
#include "support/subprocess.h"
#include "support/temp-dir.h"

using namespace os1::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The instant of every run, and its UTC day as backups are named after it.
const EnvironmentVariables at_now = {{"OS1_NOW", "2026-05-03T12:00:00Z"}, {"TZ", "UTC0"}};
// The next day: the first open of a day checks the file again, across processes.
const EnvironmentVariables next_day = {{"OS1_NOW", "2026-05-04T12:00:00Z"}, {"TZ", "UTC0"}};
const std::string today = "20260503";

class MemoryBackup : public ::testing::Test {
protected:
    void SetUp() override {
        m_home = unique_temp_dir(std::string("backup-") +
                                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
        ASSERT_FALSE(m_home.empty());
    }

    ProcessResult os1(std::vector<std::string> args) {
        args.insert(args.begin(), {OS1_BINARY, "--home", m_home.string()});
        return run_process(args, {}, m_now);
    }

    EnvironmentVariables m_now = at_now;

    // A real database with `count` turns in it (several hundred pages).
    void import_turns(const std::string& user, int count) {
        std::ofstream out(m_home / "chat.jsonl");
        for (int i = 0; i < count; ++i) {
            const std::string n = std::to_string(i);
            const std::string text = std::string("turn ") + n +
                                     " about the lighthouse keeper and the tide tables, which the keeper reads "
                                     "every morning " +
                                     std::string(200, char('a' + i % 26));
            out << json({{"id", std::string("t") + n},
                         {"conversation", std::string("c") + std::to_string(i / 20)},
                         {"role", i % 2 ? "assistant" : "user"},
                         {"time", "2024-05-01T10:00:00Z"},
                         {"text", text}})
                       .dump()
                << "\n";
        }
        out.close();
        ProcessResult r = os1({"memory", "import", (m_home / "chat.jsonl").string(), "--user", user, "--json"});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        ASSERT_EQ(json::parse(r.out)["imported"], count);
    }

    fs::path db_file(const std::string& user) { return m_home / "users" / user / "os1.db"; }

    size_t memory_count(const std::string& user, ProcessResult* result = nullptr) {
        ProcessResult r = os1({"memory", "list", "--user", user, "--json", "--limit", "100000"});
        if (result)
            *result = r;
        if (r.exit_code != 0)
            return 0;
        return json::parse(r.out)["memories"].size();
    }

    fs::path m_home;
};

std::string bytes_of(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// Overwrites 8 KiB in the middle of `file` with a pattern, as a failing disk or a stray write would.
void damage(const fs::path& file) {
    const auto size = fs::file_size(file);
    ASSERT_GT(size, 64u * 1024) << "the database is too small to damage in its middle";
    std::fstream io(file, std::ios::binary | std::ios::in | std::ios::out);
    io.seekp(std::streamoff(size / 2 / 4096 * 4096));
    for (int i = 0; i < 8192; ++i)
        io.put(char(0xA5 ^ (i * 7)));
}

std::vector<std::string> split_words(const std::string& command) {
    std::istringstream in(command);
    return {std::istream_iterator<std::string>(in), {}};
}

}  // namespace

TEST_F(MemoryBackup, ADailyBackupIsTakenWhenAHealthyDatabaseOpens) {
    import_turns("sam", 10);
    const fs::path daily = m_home / "users" / "sam" / "backups" / ("os1-" + today + ".db");
    ASSERT_TRUE(fs::exists(daily)) << "no automatic backup at " << daily;
    const auto first_time = fs::last_write_time(daily);
    ASSERT_EQ(memory_count("sam"), 10u);
    EXPECT_EQ(fs::last_write_time(daily), first_time) << "at most one automatic backup a day";
    EXPECT_TRUE(os1::check_database_file(daily)) << "a backup is a complete database";

    ProcessResult r = os1({"memory", "backup", "--user", "sam", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(json::parse(r.out)["backup"], daily.string());
    r = os1({"memory", "backup", "--list", "--user", "sam", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_EQ(json::parse(r.out)["backups"].size(), 1u);

    // Only the newest backups_kept stay.
    const fs::path dir = daily.parent_path();
    for (int day = 1; day <= 9; ++day)
        fs::copy_file(daily, dir / ("os1-2020010" + std::to_string(day) + ".db"));
    r = os1({"memory", "backup", "--user", "sam"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto kept = os1::list_backups(db_file("sam"));
    ASSERT_EQ(kept.size(), os1::backups_kept);
    EXPECT_EQ(kept.front().path, daily);
    EXPECT_EQ(kept.back().day, "2020-01-04");

    // Forgetting everything forgets the backups too: they hold the same text.
    r = os1({"memory", "forget", "--all", "--user", "sam"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(os1::list_backups(db_file("sam")).empty());
    EXPECT_FALSE(fs::exists(daily));
}

TEST_F(MemoryBackup, ADamagedDatabaseNamesItsBackupAndRestoreBringsTheDataBack) {
    import_turns("sam", 400);
    ProcessResult r = os1({"memory", "backup", "--user", "sam", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string backup = json::parse(r.out)["backup"];

    damage(db_file("sam"));
    const std::string damaged_bytes = bytes_of(db_file("sam"));
    // Damage done in place during a day surfaces from the queries that meet it; the first open
    // of the next day finds it wherever it is.
    m_now = next_day;

    // Every command that opens the database refuses it clearly; none crashes or starts empty.
    for (std::vector<std::string> args : {std::vector<std::string>{"memory", "list", "--user", "sam"},
                                          std::vector<std::string>{"memory", "search", "lighthouse", "--user", "sam"},
                                          std::vector<std::string>{"memory", "export", "--user", "sam"}}) {
        r = os1(args);
        EXPECT_EQ(r.exit_code, 1) << args[1] << ": " << r.err;
        EXPECT_TRUE(r.err.find("corrupt") != std::string::npos ||
                    r.err.find("integrity check failed") != std::string::npos)
            << r.err;
        EXPECT_NE(r.err.find("the newest backup is " + backup), std::string::npos) << r.err;
        EXPECT_NE(r.err.find("(from 2026-05-03)"), std::string::npos) << r.err;
        EXPECT_EQ(bytes_of(db_file("sam")), damaged_bytes) << "the damaged file must be left as it is";
    }
    EXPECT_EQ(os1::list_backups(db_file("sam")).size(), 1u) << "a damaged database is never backed up";

    // The message carries the exact command; run it as printed.
    const std::string marker = "restore it with: ";
    const size_t at = r.err.find(marker);
    ASSERT_NE(at, std::string::npos) << r.err;
    const std::string command = r.err.substr(at + marker.size(), r.err.find(" (the damaged", at) - at - marker.size());
    const std::string expected = "os1 --home " + m_home.string() + " memory restore --user sam";
    ASSERT_EQ(command, expected);
    std::vector<std::string> words = split_words(command);
    words[0] = OS1_BINARY;
    r = run_process(words, {}, m_now);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("the damaged file is kept as"), std::string::npos) << r.out;

    EXPECT_EQ(memory_count("sam"), 400u);
    r = os1({"memory", "search", "lighthouse keeper", "--user", "sam", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(json::parse(r.out)["hits"].empty());
    size_t kept = 0;
    for (const fs::directory_entry& entry : fs::directory_iterator(db_file("sam").parent_path()))
        if (entry.path().filename().string().rfind("os1.db.damaged-", 0) == 0 &&
            entry.path().string().find("-wal") == std::string::npos &&
            entry.path().string().find("-shm") == std::string::npos) {
            ++kept;
            EXPECT_EQ(bytes_of(entry.path()), damaged_bytes) << "the damaged file is kept unchanged";
        }
    EXPECT_EQ(kept, 1u);

    // A healthy database is not replaced without --force.
    r = os1({"memory", "restore", "--user", "sam"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("passes its integrity check"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--force"), std::string::npos) << r.err;
}

TEST_F(MemoryBackup, WithoutABackupTheMessageSaysSoAndNothingStartsEmpty) {
    import_turns("kim", 400);
    fs::remove_all(db_file("kim").parent_path() / "backups");
    damage(db_file("kim"));
    ProcessResult r;
    EXPECT_EQ(memory_count("kim", &r), 0u);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("there is no backup in"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("move the file aside"), std::string::npos) << r.err;
    r = os1({"memory", "restore", "--user", "kim"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("no backup in"), std::string::npos) << r.err;
    EXPECT_TRUE(fs::exists(db_file("kim")));

    // A damaged backup is refused before anything is moved.
    const fs::path bad_backup = m_home / "bad-backup.db";
    fs::copy_file(db_file("kim"), bad_backup);
    r = os1({"memory", "restore", "--user", "kim", "--from", bad_backup.string()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("this backup is damaged too"), std::string::npos) << r.err;
    EXPECT_TRUE(fs::exists(db_file("kim")));
}

// Two restores in the same second: the second damaged file gets its own name, and the first one,
// with its -wal, is kept unchanged.
TEST_F(MemoryBackup, TwoRestoresInTheSameSecondKeepBothDamagedFiles) {
    const fs::path backup = m_home / "good.db";
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(backup.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1);", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);

    const fs::path db_file = m_home / "os1.db";
    const int64_t now = 1777809600;  // 2026-05-03T12:00:00Z
    const std::string aside = db_file.string() + ".damaged-20260503-120000";
    auto write = [](const fs::path& file, const std::string& bytes) { std::ofstream(file, std::ios::binary) << bytes; };

    write(db_file, "first damaged file");
    write(db_file.string() + "-wal", "first damaged wal");
    auto first = os1::restore_backup(db_file, backup, now, os1::RestoreHealthy::Replace);
    ASSERT_FALSE(first.is_error()) << first.error().message;
    ASSERT_TRUE(first->moved_aside.has_value());
    EXPECT_EQ(first->moved_aside->string(), aside);

    write(db_file, "second damaged file");
    write(db_file.string() + "-wal", "second damaged wal");
    auto second = os1::restore_backup(db_file, backup, now, os1::RestoreHealthy::Replace);
    ASSERT_FALSE(second.is_error()) << second.error().message;
    ASSERT_TRUE(second->moved_aside.has_value());
    EXPECT_EQ(second->moved_aside->string(), aside + "-2");

    EXPECT_EQ(bytes_of(aside), "first damaged file");
    EXPECT_EQ(bytes_of(aside + "-wal"), "first damaged wal");
    EXPECT_EQ(bytes_of(aside + "-2"), "second damaged file");
    EXPECT_EQ(bytes_of(aside + "-2-wal"), "second damaged wal");
    EXPECT_FALSE(fs::exists(db_file.string() + "-wal")) << "the damaged -wal must not stay beside the restored file";
    EXPECT_EQ(bytes_of(db_file), bytes_of(backup));
}

// A name whose -wal alone is taken is skipped, so the damaged file and its -wal stay together.
TEST_F(MemoryBackup, ARestoreSkipsANameWhoseWalIsTaken) {
    const fs::path backup = m_home / "good.db";
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(backup.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE t(x);", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);

    const fs::path db_file = m_home / "os1.db";
    const std::string aside = db_file.string() + ".damaged-20260503-120000";
    std::ofstream(aside + "-wal", std::ios::binary) << "someone else's wal";
    std::ofstream(db_file, std::ios::binary) << "damaged file";
    auto restored = os1::restore_backup(db_file, backup, 1777809600, os1::RestoreHealthy::Replace);
    ASSERT_FALSE(restored.is_error()) << restored.error().message;
    EXPECT_EQ(restored->moved_aside->string(), aside + "-2");
    EXPECT_EQ(bytes_of(aside + "-wal"), "someone else's wal");
    EXPECT_EQ(bytes_of(aside + "-2"), "damaged file");
    EXPECT_FALSE(fs::exists(aside));
}
