// Damaged storage, through the real os1 binary: each kind of damage is detected and explained
// with what to do, and nothing good is overwritten. The kinds: bytes flipped in the main file,
// in the FTS5 search index (where PRAGMA integrity_check sees nothing), and in a write-ahead
// log that holds committed frames (which SQLite would silently drop); a log deleted with or
// without a process still holding it; and a folder os1 may not write to, which is no damage at
// all. Every run of the binary happens at one fixed instant (OS1_NOW).
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/backup.h"
#include "core/commit-mark.h"
#include "core/database.h"
#include "core/handles.h"
#include "core/sqlite-failure.h"
#include "support/subprocess.h"
#include "support/temp-dir.h"

using namespace os1::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const EnvironmentVariables at_now = {{"OS1_NOW", "2026-05-03T12:00:00Z"}, {"TZ", "UTC0"}};
// The next day: the first open of a day checks the file again, across processes, so damage done
// in place during a day is found then (or earlier, by the queries that meet it).
const EnvironmentVariables next_day = {{"OS1_NOW", "2026-05-04T12:00:00Z"}, {"TZ", "UTC0"}};

std::string bytes_of(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Flips `count` bytes of `file` starting at `offset`, as a failing disk or a stray write would.
void flip_bytes(const fs::path& file, uintmax_t offset, int count) {
    std::fstream io(file, std::ios::binary | std::ios::in | std::ios::out);
    io.seekg(std::streamoff(offset));
    std::string bytes(size_t(count), '\0');
    io.read(bytes.data(), count);
    for (char& c : bytes)
        c = char(c ^ 0xA5);
    io.seekp(std::streamoff(offset));
    io.write(bytes.data(), count);
}

// A raw SQLite connection, as another process or tool would hold one.
struct RawConnection {
    os1::SqlitePtr db;

    explicit RawConnection(const fs::path& file) {
        sqlite3* raw = nullptr;
        EXPECT_EQ(sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr), SQLITE_OK);
        db.reset(raw);
    }
    int exec(const char* sql) { return sqlite3_exec(db.get(), sql, nullptr, nullptr, nullptr); }
    std::string first_text(const char* sql) {
        sqlite3_stmt* raw = nullptr;
        if (sqlite3_prepare_v2(db.get(), sql, -1, &raw, nullptr) != SQLITE_OK)
            return std::string("error: ") + sqlite3_errmsg(db.get());
        os1::SqliteStmtPtr statement(raw);
        if (sqlite3_step(raw) != SQLITE_ROW)
            return std::string("error: ") + sqlite3_errmsg(db.get());
        const auto* text = sqlite3_column_text(raw, 0);
        return text ? reinterpret_cast<const char*>(text) : "";
    }
    // Closes without copying the log into the database file, as a killed process leaves it.
    void close_leaving_the_log() {
        sqlite3_db_config(db.get(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
        db.reset();
    }
};

class StorageDamage : public ::testing::Test {
protected:
    void SetUp() override {
        m_home = unique_temp_dir(std::string("damage-") +
                                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
        ASSERT_FALSE(m_home.empty());
    }

    ProcessResult os1(std::vector<std::string> args, const std::vector<std::string>& wrapper = {}) {
        args.insert(args.begin(), {OS1_BINARY, "--home", m_home.string()});
        args.insert(args.begin(), wrapper.begin(), wrapper.end());
        return run_process(args, {}, m_now);
    }

    // Imports `count` turns numbered from `first`, each with its own words.
    void import_turns(int first, int count) {
        const fs::path file = m_home / ("chat-" + std::to_string(first) + ".jsonl");
        std::ofstream out(file);
        for (int i = first; i < first + count; ++i) {
            const std::string n = std::to_string(i);
            out << json({{"id", "t" + n},
                         {"conversation", "c" + std::to_string(i / 20)},
                         {"role", i % 2 ? "assistant" : "user"},
                         {"time", "2024-05-01T10:00:00Z"},
                         {"text", "turn " + n + " about the lighthouse keeper and the tide tables, word" + n +
                                      " " + std::string(120, char('a' + i % 26))}})
                       .dump()
                << "\n";
        }
        out.close();
        ProcessResult r = os1({"memory", "import", file.string(), "--user", "sam", "--json"});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        ASSERT_EQ(json::parse(r.out)["imported"], count);
    }

    fs::path db_file() { return m_home / "users" / "sam" / "os1.db"; }
    fs::path wal_file() { return db_file().string() + "-wal"; }

    // How many memories `memory list` shows; -1 when it fails (its result in *result).
    long memory_count(ProcessResult* result = nullptr) {
        ProcessResult r = os1({"memory", "list", "--user", "sam", "--json", "--limit", "100000"});
        if (result)
            *result = r;
        return r.exit_code == 0 ? long(json::parse(r.out)["memories"].size()) : -1;
    }

    // A good backup of what is there now; returns its bytes.
    std::string take_backup() {
        ProcessResult r = os1({"memory", "backup", "--user", "sam", "--json"});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        m_backup = json::parse(r.out)["backup"].get<std::string>();
        return bytes_of(m_backup);
    }

    // Flips bytes inside the FTS5 index's blocks, leaving its b-tree sound.
    void damage_search_index() {
        RawConnection raw(db_file());
        sqlite3_stmt* select = nullptr;
        ASSERT_EQ(sqlite3_prepare_v2(raw.db.get(), "SELECT id, block FROM memories_fts_data WHERE length(block) > 100",
                                     -1, &select, nullptr),
                  SQLITE_OK);
        os1::SqliteStmtPtr rows(select);
        std::vector<std::pair<int64_t, std::string>> blocks;
        while (sqlite3_step(select) == SQLITE_ROW)
            blocks.emplace_back(sqlite3_column_int64(select, 0),
                                std::string(static_cast<const char*>(sqlite3_column_blob(select, 1)),
                                            size_t(sqlite3_column_bytes(select, 1))));
        ASSERT_GE(blocks.size(), 2u) << "too small an index to damage";
        for (auto& [id, block] : blocks) {
            for (size_t i = block.size() / 3; i < block.size() / 3 + 48 && i < block.size(); ++i)
                block[i] = char(block[i] ^ 0xA5);
            sqlite3_stmt* update = nullptr;
            ASSERT_EQ(sqlite3_prepare_v2(raw.db.get(), "UPDATE memories_fts_data SET block = ? WHERE id = ?", -1,
                                         &update, nullptr),
                      SQLITE_OK);
            os1::SqliteStmtPtr statement(update);
            sqlite3_bind_blob(update, 1, block.data(), int(block.size()), SQLITE_TRANSIENT);
            sqlite3_bind_int64(update, 2, id);
            ASSERT_EQ(sqlite3_step(update), SQLITE_DONE);
        }
        EXPECT_EQ(raw.first_text("PRAGMA integrity_check"), "ok") << "the damage is meant to be the index's only";
        EXPECT_NE(raw.exec("INSERT INTO memories_fts(memories_fts) VALUES ('integrity-check')"), SQLITE_OK)
            << "the damage did not reach the index";
    }

    fs::path m_home;
    fs::path m_backup;
    EnvironmentVariables m_now = at_now;
};

}  // namespace

TEST_F(StorageDamage, DamageToTheMainFileIsRefusedAndNeverBackedUp) {
    import_turns(0, 400);
    const std::string good_backup = take_backup();
    const auto size = fs::file_size(db_file());
    flip_bytes(db_file(), size / 2 / 4096 * 4096, 8192);
    const std::string damaged = bytes_of(db_file());
    m_now = next_day;

    ProcessResult r = os1({"memory", "backup", "--user", "sam"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(contains(r.err, "corrupt") || contains(r.err, "integrity check failed")) << r.err;
    EXPECT_TRUE(contains(r.err, "restore it with: ")) << r.err;
    EXPECT_TRUE(bytes_of(m_backup) == good_backup) << "the good backup was overwritten";
    EXPECT_TRUE(bytes_of(db_file()) == damaged) << "the damaged file must be left as it is";
}

TEST_F(StorageDamage, ADamagedSearchIndexIsRebuiltAndSaidSo) {
    import_turns(0, 400);
    const std::string good_backup = take_backup();
    damage_search_index();

    // Restoring would lose what changed since the backup; the index needs no backup.
    ProcessResult r = os1({"memory", "restore", "--user", "sam"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(contains(r.err, "only its search index is damaged")) << r.err;

    // The next day's first open finds it, rebuilds it from the stored text and says so.
    m_now = next_day;
    r = os1({"memory", "import", (m_home / "chat-0.jsonl").string(), "--user", "sam", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.err, "the search index memories_fts was damaged and has been rebuilt")) << r.err;
    import_turns(400, 10);
    r = os1({"memory", "search", "word405", "--user", "sam", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(json::parse(r.out)["hits"].empty());
    r = os1({"memory", "search", "word123", "--user", "sam", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(json::parse(r.out)["hits"].empty()) << "an old memory is found through the rebuilt index";
    EXPECT_TRUE(os1::check_database_file(db_file())) << "the rebuilt index passes FTS5's own check";
    EXPECT_TRUE(bytes_of(m_backup) == good_backup) << "the backup of the day is not touched by the repair";
}

// A backup taken while the index is damaged (after the open's check) must not replace a good one.
TEST_F(StorageDamage, ACopyWithADamagedIndexNeverReplacesAGoodBackup) {
    import_turns(0, 400);
    const std::string good_backup = take_backup();
    auto db = os1::Database::open(db_file());
    ASSERT_TRUE(db) << db.error().message;
    damage_search_index();
    auto written = os1::write_backup(db->handle(), db_file(), 1777809600);
    ASSERT_TRUE(written.is_error()) << "a copy with a damaged index was written as a backup";
    EXPECT_EQ(written.error().kind, os1::ErrorKind::Corrupt);
    EXPECT_TRUE(contains(written.error().message, "search index memories_fts is damaged")) << written.error().message;
    EXPECT_TRUE(contains(written.error().message, "the earlier backups are kept")) << written.error().message;
    EXPECT_TRUE(bytes_of(m_backup) == good_backup);
    auto check = os1::check_database_file(db_file());
    ASSERT_TRUE(check.is_error()) << "check_database_file missed the damaged index";
    EXPECT_EQ(check.error().kind, os1::ErrorKind::Corrupt);
}

// The log holds 5,000 committed memories and a core-block edit when bytes in its middle are
// flipped: SQLite would replay it only up to the damage and say nothing.
TEST_F(StorageDamage, ADamagedLogThatLostCommittedDataStopsTheOpen) {
    import_turns(0, 100);
    const std::string good_backup = take_backup();
    {
        // A reader's snapshot keeps every later frame in the log, as a running server can.
        RawConnection reader(db_file());
        ASSERT_EQ(reader.exec("BEGIN"), SQLITE_OK);
        ASSERT_EQ(reader.first_text("SELECT count(*) FROM memories"), "100");
        import_turns(100, 5000);
        ProcessResult r = os1({"memory", "core", "set", "Sam keeps a lighthouse.", "--block", "human", "--user", "sam"});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        ASSERT_EQ(reader.exec("COMMIT"), SQLITE_OK);
        reader.close_leaving_the_log();
    }
    ASSERT_GT(fs::file_size(wal_file()), 1024u * 1024) << "the log should hold the import";
    flip_bytes(wal_file(), fs::file_size(wal_file()) / 2, 64);
    const std::string damaged_db = bytes_of(db_file());
    const std::string damaged_wal = bytes_of(wal_file());

    ProcessResult r;
    EXPECT_EQ(memory_count(&r), -1) << "the damaged log was replayed silently: " << r.out.size();
    EXPECT_TRUE(contains(r.err, "the write-ahead log is damaged")) << r.err;
    EXPECT_TRUE(contains(r.err, "restore it with: os1 --home")) << r.err;
    r = os1({"memory", "backup", "--user", "sam"});
    EXPECT_EQ(r.exit_code, 1) << "a backup of what survived would replace the good one";
    EXPECT_TRUE(bytes_of(m_backup) == good_backup);
    EXPECT_TRUE(bytes_of(db_file()) == damaged_db) << "nothing is written before the damage is reported";
    EXPECT_TRUE(bytes_of(wal_file()) == damaged_wal) << "the damaged log is kept for whoever can recover from it";

    r = os1({"memory", "restore", "--user", "sam"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(memory_count(&r), 100) << r.err;
    bool kept_wal = false;
    for (const fs::directory_entry& entry : fs::directory_iterator(db_file().parent_path()))
        if (contains(entry.path().filename().string(), "os1.db.damaged-") && entry.path().string().ends_with("-wal"))
            kept_wal = bytes_of(entry.path()) == damaged_wal;
    EXPECT_TRUE(kept_wal) << "the damaged log is moved aside with its database";
}

// A log deleted while another process holds it: that process can still write it back, so the
// advice is to stop it normally, not to restore.
TEST_F(StorageDamage, ALogDeletedUnderARunningProcessIsNotCalledCorrupt) {
    import_turns(0, 100);
    take_backup();
    RawConnection holder(db_file());
    ASSERT_EQ(holder.exec("BEGIN"), SQLITE_OK);
    ASSERT_EQ(holder.first_text("SELECT count(*) FROM memories"), "100");
    import_turns(100, 300);
    ASSERT_EQ(holder.exec("COMMIT"), SQLITE_OK);
    fs::remove(wal_file());

    ProcessResult r;
    EXPECT_EQ(memory_count(&r), -1);
    EXPECT_FALSE(contains(r.err, "corrupt")) << r.err;
    EXPECT_FALSE(contains(r.err, "restore it with")) << r.err;
    EXPECT_TRUE(contains(r.err, "deleted while another process had the database open")) << r.err;
    EXPECT_TRUE(contains(r.err, "stop it normally")) << r.err;

    holder.db.reset();  // a normal exit writes the log back
    EXPECT_EQ(memory_count(&r), 400) << r.err;
}

// A log deleted after its process died (its -shm left behind): the committed frames are gone.
TEST_F(StorageDamage, ALogDeletedAfterItsProcessDiedIsReported) {
    import_turns(0, 100);
    const std::string good_backup = take_backup();
    {
        RawConnection reader(db_file());
        ASSERT_EQ(reader.exec("BEGIN"), SQLITE_OK);
        ASSERT_EQ(reader.first_text("SELECT count(*) FROM memories"), "100");
        import_turns(100, 300);
        ASSERT_EQ(reader.exec("COMMIT"), SQLITE_OK);
        reader.close_leaving_the_log();
    }
    fs::remove(wal_file());
    const std::string db_bytes = bytes_of(db_file());

    ProcessResult r;
    EXPECT_EQ(memory_count(&r), -1) << "300 committed memories vanished without a word";
    EXPECT_TRUE(contains(r.err, "the write-ahead log is missing")) << r.err;
    EXPECT_TRUE(contains(r.err, "restore it with: ")) << r.err;
    EXPECT_TRUE(bytes_of(db_file()) == db_bytes);
    EXPECT_TRUE(bytes_of(m_backup) == good_backup);
}

// A folder os1 may not write to is no damage: the advice is about permissions, never a restore.
// Root ignores permission bits, so as root the folder is made read-only by a bind mount in a
// private mount namespace instead.
TEST_F(StorageDamage, AReadOnlyFolderIsAPermissionProblemNotDamage) {
    import_turns(0, 10);
    const fs::path dir = db_file().parent_path();
    std::vector<std::string> wrapper;
    fs::permissions(dir, fs::perms::owner_read | fs::perms::owner_exec);
    const bool bits_bind = ::access(dir.c_str(), W_OK) != 0;
    if (!bits_bind) {
        fs::permissions(dir, fs::perms::owner_all);
        const std::string remount = "mount --bind \"$0\" \"$0\" && mount -o remount,bind,ro \"$0\" && exec \"$@\"";
        wrapper = {"/usr/bin/unshare", "--mount", "/bin/sh", "-c", remount, dir.string()};
        ProcessResult probe = run_process({"/usr/bin/unshare", "--mount", "/bin/sh", "-c", remount, dir.string(),
                                           "/bin/sh", "-c", "! touch \"$0\"/probe 2>/dev/null", dir.string()});
        if (probe.exit_code != 0)
            GTEST_SKIP() << "running as root, and no read-only bind mount is possible here: permissions cannot "
                            "be tested";
    }
    const std::string before = bytes_of(db_file());
    ProcessResult r = os1({"memory", "list", "--user", "sam"}, wrapper);
    fs::permissions(dir, fs::perms::owner_all);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_FALSE(contains(r.err, "corrupt")) << r.err;
    EXPECT_FALSE(contains(r.err, "restore it with")) << r.err;
    EXPECT_TRUE(contains(r.err, "may not write to the database or its folder")) << r.err;
    EXPECT_TRUE(contains(r.err, "do not restore it")) << r.err;
    EXPECT_TRUE(bytes_of(db_file()) == before);
    EXPECT_EQ(memory_count(&r), 10) << r.err;
}

TEST(SqliteFailure, ALockedDatabaseSaysWhoToWaitFor) {
    const fs::path file = unique_temp_dir("damage-locked") / "x.db";
    RawConnection writer(file);
    ASSERT_EQ(writer.exec("PRAGMA journal_mode=WAL; CREATE TABLE t(x); BEGIN IMMEDIATE; INSERT INTO t VALUES (1);"),
              SQLITE_OK);
    RawConnection other(file);
    ASSERT_NE(other.exec("BEGIN IMMEDIATE"), SQLITE_OK);
    EXPECT_EQ(os1::cause_of_failure(other.db.get(), file.string()), os1::SqliteFailureCause::Locked);
    const os1::Error error = os1::sqlite_failure(other.db.get(), file.string());
    EXPECT_EQ(error.kind, os1::ErrorKind::Unavailable);
    EXPECT_TRUE(contains(error.message, "another os1 process")) << error.message;
    EXPECT_FALSE(contains(error.message, "corrupt")) << error.message;
}
