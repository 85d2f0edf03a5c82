#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <latch>
#include <limits>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/backup.h"
#include "core/commit-mark.h"
#include "core/database.h"
#include "core/writer-note.h"
#include "memory/conversation-store.h"
#include "support/temp-dir.h"

using namespace os1;
namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& name) {
    return os1::test::unique_temp_dir("db-" + name);
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

// A statement that first connects a virtual table (here through a trigger into an FTS5 index),
// on a connection whose schema another connection has changed since it was read, inside BEGIN
// IMMEDIATE: SQLite's own prepare fails with SQLITE_SCHEMA and "no such table" for a table
// that exists, as an import undoing an abandoned run did while a first chat created its tables.
TEST(Database, PreparesAfterAnotherConnectionChangedTheSchema) {
    fs::path file = fresh_dir("schema-changed") / "x.db";
    auto writer = Database::open(file);
    ASSERT_TRUE(writer) << writer.error().message;
    ASSERT_TRUE(writer->exec(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, text TEXT NOT NULL);"
        "CREATE TABLE links (item INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE);"
        "CREATE VIRTUAL TABLE items_fts USING fts5(text, content = 'items', content_rowid = 'id');"
        "CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN "
        "INSERT INTO items_fts(rowid, text) VALUES (new.id, new.text); END;"
        "CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN "
        "INSERT INTO items_fts(items_fts, rowid, text) VALUES ('delete', old.id, old.text); END;"
        "INSERT INTO items (text) VALUES ('one');"));

    auto reader = Database::open(file);
    ASSERT_TRUE(reader) << reader.error().message;
    auto count = reader->prepare("SELECT count(*) FROM items");  // reads the schema
    ASSERT_TRUE(count) << count.error().message;
    ASSERT_TRUE(count->step().value());
    count->reset();

    ASSERT_TRUE(writer->exec("CREATE TABLE other (x)"));  // changes it under the reader
    ASSERT_TRUE(reader->exec("BEGIN IMMEDIATE"));
    auto remove = reader->prepare("DELETE FROM items WHERE id IN (SELECT id FROM items LIMIT 1)");
    ASSERT_TRUE(remove) << remove.error().message;
    auto removed = remove->run();
    ASSERT_TRUE(removed) << removed.error().message;
    ASSERT_TRUE(reader->exec("COMMIT"));
}

namespace {

// Whether this process holds a POSIX lock on byte `byte` of `file`, as the kernel lists it.
bool this_process_locks(const fs::path& file, long long byte) {
    struct stat info {};
    if (::stat(file.c_str(), &info) != 0)
        return false;
    const std::string inode = ":" + std::to_string(info.st_ino) + " ";
    const std::string pid = " " + std::to_string(::getpid()) + " ";
    std::ifstream locks("/proc/locks");
    for (std::string line; std::getline(locks, line);) {
        const size_t at = line.find(inode);
        if (line.find("POSIX") == std::string::npos || line.find(pid) == std::string::npos || at == std::string::npos)
            continue;
        long long start = 0, end = 0;
        std::istringstream range(line.substr(at + inode.size()));
        if (!(range >> start))
            continue;
        if (!(range >> end))
            end = std::numeric_limits<long long>::max();  // "EOF": to the end of the file
        if (start <= byte && byte <= end)
            return true;
    }
    return false;
}

}  // namespace

// SQLite's locks on -shm tell other processes that the log is in use (the read lock on byte
// 128), and closing any descriptor of a file drops all of a process's locks on it: a second
// connection opening in the same process must not open -shm for its own checks.
TEST(Database, ASecondConnectionKeepsTheFirstOnesLocksOnTheSharedIndex) {
    fs::path file = fresh_dir("shm-locks") / "x.db";
    auto first = Database::open(file);
    ASSERT_TRUE(first);
    ASSERT_TRUE(first->migrate("notes", notes_v1));
    ASSERT_TRUE(first->exec("INSERT INTO notes (text) VALUES ('kept')"));
    // An emptied log with its commit mark still there: the state in which the open-time check
    // looks at -shm.
    ASSERT_TRUE(first->exec("PRAGMA wal_checkpoint(TRUNCATE)"));
    ASSERT_TRUE(fs::exists(commit_mark_path(file)));
    const fs::path shm = file.string() + "-shm";
    ASSERT_TRUE(this_process_locks(shm, 128)) << "SQLite marks the log as in use";

    auto second = Database::open(file);
    ASSERT_TRUE(second);
    EXPECT_TRUE(this_process_locks(shm, 128)) << "the first connection's lock on -shm was dropped";
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

namespace {

Timestamp at_day(int day) {
    return Timestamp{std::chrono::sys_days{std::chrono::year{2026} / 3 / day}.time_since_epoch()} +
           std::chrono::hours(12);
}

Environment environment_at(Timestamp now) {
    Environment env;
    env.clock = fixed_clock(now);
    env.zone = fixed_utc_offset(std::chrono::seconds(0));
    return env;
}

// A database of a few hundred rows, big enough to damage in its middle.
void fill(const fs::path& file, const Environment& env) {
    auto db = Database::open(file, env);
    ASSERT_TRUE(db) << db.error().message;
    ASSERT_TRUE(db->migrate("notes", notes_v1));
    auto filled = in_transaction(db.value(), [&]() -> ErrorOr<void> {
        for (int i = 0; i < 400; ++i) {
            auto insert = OS1_TRY(db->prepare("INSERT INTO notes (text) VALUES (?)"));
            OS1_TRY(insert.bind(1, "note " + std::to_string(i) + " " + std::string(500, char('a' + i % 26))).run());
        }
        return {};
    });
    ASSERT_TRUE(filled) << filled.error().message;
}

// Overwrites 8 KiB in the middle of `file` in place, as a failing disk or a stray write would.
void damage(const fs::path& file) {
    const auto size = fs::file_size(file);
    ASSERT_GT(size, 64u * 1024) << "the database is too small to damage in its middle";
    std::fstream io(file, std::ios::binary | std::ios::in | std::ios::out);
    io.seekp(std::streamoff(size / 2 / 4096 * 4096));
    for (int i = 0; i < 8192; ++i)
        io.put(char(0xA5 ^ (i * 7)));
}

// Collects what the library logs; callable from any thread.
struct LogCollector {
    std::mutex mutex;
    std::vector<std::pair<LogLevel, std::string>> lines;

    LogSink sink() {
        return [this](LogLevel level, std::string_view message) {
            std::lock_guard lock(mutex);
            lines.emplace_back(level, std::string(message));
        };
    }
};

}  // namespace

TEST(DatabaseOpen, ChecksIntegrityOncePerFileAndDay) {
    const fs::path dir = fresh_dir("open");
    const fs::path file = dir / "x.db";
    const Environment env = environment_at(at_day(10));
    {
        auto first = Database::open(file, env);
        ASSERT_TRUE(first) << first.error().message;
        EXPECT_EQ(detail::integrity_checks_run(file), 1u);
        auto concurrent = Database::open(file, env);
        ASSERT_TRUE(concurrent) << concurrent.error().message;
    }
    auto again = Database::open(dir / "." / "x.db", env);  // another spelling of the same file
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(detail::integrity_checks_run(file), 1u) << "later opens on the same day skip the check";

    auto next_day = Database::open(file, environment_at(at_day(11)));
    ASSERT_TRUE(next_day) << next_day.error().message;
    EXPECT_EQ(detail::integrity_checks_run(file), 2u) << "the first open of a new day checks again";
}

TEST(DatabaseOpen, ConcurrentFirstOpensCheckOnce) {
    const fs::path file = fresh_dir("open") / "x.db";
    ASSERT_TRUE(Database::open(file, environment_at(at_day(10))));
    const Environment env = environment_at(at_day(11));
    std::vector<std::string> failures(8);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < failures.size(); ++i)
        threads.emplace_back([&, i] {
            auto db = Database::open(file, env);
            if (db.is_error())
                failures[i] = db.error().message;
        });
    for (std::thread& thread : threads)
        thread.join();
    for (const std::string& failure : failures)
        EXPECT_EQ(failure, "");
    EXPECT_EQ(detail::integrity_checks_run(file), 2u) << "one check on day 10, one on day 11";
}

TEST(DatabaseOpen, ADamagedFileIsCaughtOnTheFirstOpenOfTheDay) {
    const fs::path file = fresh_dir("open") / "x.db";
    const Environment env = environment_at(at_day(10));
    fill(file, env);
    // The fill's open checked the file while it was empty; the damage comes after it, so take
    // the next day's first open, which must check again.
    damage(file);
    const Environment tomorrow = environment_at(at_day(11));
    for (int attempt = 1; attempt <= 2; ++attempt) {
        auto db = Database::open(file, tomorrow);
        ASSERT_TRUE(db.is_error()) << "attempt " << attempt << ": a damaged file opened";
        EXPECT_EQ(db.error().kind, ErrorKind::Corrupt) << db.error().message;
        EXPECT_NE(db.error().message.find("integrity check failed"), std::string::npos) << db.error().message;
        EXPECT_NE(db.error().message.find("the newest backup is " + list_backups(file).at(0).path.string()),
                  std::string::npos)
            << db.error().message;
    }
    EXPECT_EQ(detail::integrity_checks_run(file), 3u) << "a failed check is not remembered as passed";
}

TEST(DatabaseOpen, AFileReplacedSinceItsCheckIsCheckedAgain) {
    const fs::path dir = fresh_dir("open");
    const fs::path file = dir / "x.db";
    const Environment env = environment_at(at_day(10));
    ASSERT_TRUE(Database::open(file, env));
    EXPECT_EQ(detail::integrity_checks_run(file), 1u);

    // A damaged copy from elsewhere put in its place (a new file under the same name).
    const fs::path other = dir / "other.db";
    fill(other, env);
    damage(other);
    fs::rename(other, file);
    auto replaced = Database::open(file, env);
    ASSERT_TRUE(replaced.is_error()) << "a replaced, damaged file opened without a check";
    EXPECT_EQ(replaced.error().kind, ErrorKind::Corrupt) << replaced.error().message;
    EXPECT_EQ(detail::integrity_checks_run(file), 2u);
}

TEST(DatabaseOpen, AFileOverwrittenInPlaceAfterItsCheckIsRefused) {
    const fs::path file = fresh_dir("open") / "x.db";
    const Environment env = environment_at(at_day(10));
    ASSERT_TRUE(Database::open(file, env));
    {
        std::ofstream overwrite(file, std::ios::binary | std::ios::in | std::ios::out);
        overwrite << std::string(8192, 'z');
    }
    auto db = Database::open(file, env);
    ASSERT_TRUE(db.is_error()) << "garbage opened as a database";
    EXPECT_EQ(db.error().kind, ErrorKind::Corrupt) << db.error().message;
    EXPECT_NE(db.error().message.find("not a database"), std::string::npos) << db.error().message;
    EXPECT_EQ(detail::integrity_checks_run(file), 1u) << "the header is read, without a full check";
}

TEST(DatabaseOpen, AFailedDailyBackupIsLoggedOnceADay) {
    const fs::path dir = fresh_dir("open");
    const fs::path file = dir / "x.db";
    std::ofstream(dir / "backups") << "a file where the backup folder should be";
    LogCollector log;
    Environment env = environment_at(at_day(10));
    env.log = log.sink();

    ASSERT_TRUE(Database::open(file, env));
    ASSERT_EQ(log.lines.size(), 1u);
    EXPECT_EQ(log.lines[0].first, LogLevel::Warning);
    EXPECT_EQ(log.lines[0].second.rfind("no backup today: ", 0), 0u) << log.lines[0].second;
    EXPECT_NE(log.lines[0].second.find("cannot create the backup folder"), std::string::npos) << log.lines[0].second;

    ASSERT_TRUE(Database::open(file, env));
    EXPECT_EQ(log.lines.size(), 1u) << "the next open the same day neither retries nor warns again";

    env.clock = fixed_clock(at_day(11));
    ASSERT_TRUE(Database::open(file, env));
    EXPECT_EQ(log.lines.size(), 2u) << "the next day tries again";
}

TEST(DatabaseOpen, TheDailyBackupIsNamedForTheInjectedClocksDay) {
    const fs::path file = fresh_dir("open") / "x.db";
    ASSERT_TRUE(Database::open(file, environment_at(at_day(10))));
    const std::vector<BackupFile> backups = list_backups(file);
    ASSERT_EQ(backups.size(), 1u);
    EXPECT_EQ(backups[0].day, "2026-03-10");
}

TEST(DatabaseOpen, TheDailyBackupIsNoEasierToReadThanItsDatabase) {
    const fs::path dir = fresh_dir("open");
    const fs::path private_file = dir / "private.db";
    const int fd = ::open(private_file.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    ASSERT_GE(fd, 0);
    ::close(fd);
    ASSERT_TRUE(Database::open(private_file, environment_at(at_day(10))));
    const std::vector<BackupFile> backups = list_backups(private_file);
    ASSERT_EQ(backups.size(), 1u);
    struct stat info {};
    ASSERT_EQ(::stat(backups[0].path.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
}

TEST(DatabaseOpen, ErrorsCarryTheirKinds) {
    const fs::path dir = fresh_dir("open");
    const fs::path garbage = dir / "garbage.db";
    std::ofstream(garbage) << std::string(8192, 'z');
    auto corrupt = Database::open(garbage);
    ASSERT_TRUE(corrupt.is_error());
    EXPECT_EQ(corrupt.error().kind, ErrorKind::Corrupt) << corrupt.error().message;
    EXPECT_NE(corrupt.error().message.find("there is no backup in"), std::string::npos) << corrupt.error().message;

    const fs::path file = dir / "x.db";
    {
        auto db = Database::open(file);
        ASSERT_TRUE(db);
        ASSERT_TRUE(db->migrate("notes", {{1, "CREATE TABLE notes (id INTEGER);"}, {2, "ALTER TABLE notes ADD c;"}}));
    }
    auto db = Database::open(file);
    ASSERT_TRUE(db);
    auto newer = db->migrate("notes", notes_v1);
    ASSERT_TRUE(newer.is_error());
    EXPECT_EQ(newer.error().kind, ErrorKind::Conflict) << newer.error().message;
}

namespace {

// Runs `work` on `count` threads at once: each does what it must first, then calls
// start.arrive_and_wait() to race the others. The error message of each, empty when it succeeded.
std::vector<std::string> race(int count, const std::function<std::string(std::latch& start)>& work) {
    std::vector<std::string> failures(static_cast<size_t>(count));
    std::latch start(count);
    std::vector<std::thread> threads;
    for (int i = 0; i < count; ++i)
        threads.emplace_back([&, i] { failures[size_t(i)] = work(start); });
    for (std::thread& thread : threads)
        thread.join();
    return failures;
}

}  // namespace

TEST(DatabaseConcurrency, ConnectionsOpeningANewFileAtOnceMigrateItOnce) {
    const fs::path file = fresh_dir("race") / "x.db";
    const std::vector<Database::Migration> notes = {
        {1, "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT);"},
        {2, "ALTER TABLE notes ADD COLUMN time INTEGER;"},
        {3, "CREATE TABLE tags (note INTEGER, tag TEXT);"}};
    const std::vector<std::string> failures = race(8, [&](std::latch& start) -> std::string {
        start.arrive_and_wait();
        auto db = Database::open(file, environment_at(at_day(10)));
        if (db.is_error())
            return db.error().message;
        auto migrated = db->migrate("notes", notes);
        return migrated.is_error() ? migrated.error().message : "";
    });
    for (const std::string& failure : failures)
        EXPECT_EQ(failure, "");
    auto db = Database::open(file, environment_at(at_day(10)));
    ASSERT_TRUE(db) << db.error().message;
    auto version = db->prepare("SELECT version FROM schema_migrations WHERE component = 'notes'");
    ASSERT_TRUE(version);
    ASSERT_TRUE(version->step().value());
    EXPECT_EQ(version->column_int(0), 3);
}

TEST(DatabaseConcurrency, DailyBackupsTakenAtOnceLeaveOneWholeBackup) {
    const fs::path file = fresh_dir("race") / "x.db";
    {
        auto db = Database::open(file, environment_at(at_day(9)));
        ASSERT_TRUE(db) << db.error().message;
        ASSERT_TRUE(db->migrate("notes", notes_v1));
        ASSERT_TRUE(db->exec("INSERT INTO notes (text) VALUES ('kept in every backup')"));
    }
    const int64_t day_ten = unix_seconds(at_day(10));
    const std::vector<std::string> failures = race(8, [&](std::latch& start) -> std::string {
        sqlite3* raw = nullptr;
        sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
        SqlitePtr connection(raw);
        start.arrive_and_wait();
        auto backup = write_daily_backup(raw, file, day_ten);
        return backup.is_error() ? backup.error().message : "";
    });
    for (const std::string& failure : failures)
        EXPECT_EQ(failure, "") << "a process that finds the day's backup taken has nothing to do";
    std::vector<std::string> names;
    for (const fs::directory_entry& entry : fs::directory_iterator(backup_dir(file)))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"x-20260309.db", "x-20260310.db"}))
        << "one backup per day, and no partial copy left behind";
    EXPECT_TRUE(check_database_file(backup_dir(file) / "x-20260310.db"));
}

namespace {

// How many integrity checks a fresh process runs when it opens `file` at `at`: a child forked
// before this test process opened the file, so that it remembers nothing of earlier opens.
int checks_in_a_new_process(const fs::path& file, Timestamp at) {
    const pid_t child = ::fork();
    if (child == 0) {
        auto db = Database::open(file, environment_at(at));
        ::_exit(db.is_error() ? 100 : int(detail::integrity_checks_run(file)));
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST(DatabaseOpen, TheCheckRunsOnceADayAcrossProcesses) {
    const fs::path file = fresh_dir("check") / "x.db";
    EXPECT_EQ(checks_in_a_new_process(file, at_day(10)), 1);
    EXPECT_EQ(checks_in_a_new_process(file, at_day(10)), 0) << "another process checked the file today";
    EXPECT_EQ(checks_in_a_new_process(file, at_day(11)), 1) << "a new day checks again";
    const fs::path copy = file.parent_path() / "copy.db";
    fs::copy_file(file, copy);
    EXPECT_EQ(checks_in_a_new_process(copy, at_day(11)), 1) << "a copy is another file, checked again";
}

TEST(DatabaseConcurrency, ALockedDatabaseNamesTheLongWriterThatHoldsIt) {
    const fs::path file = fresh_dir("lock") / "x.db";
    auto writer = Database::open(file);
    ASSERT_TRUE(writer) << writer.error().message;
    ASSERT_TRUE(writer->migrate("notes", notes_v1));
    auto waiter = Database::open(file);
    ASSERT_TRUE(waiter) << waiter.error().message;
    // The waiter gives up at once rather than after busy_timeout.
    sqlite3_busy_timeout(waiter->handle(), 0);

    ASSERT_TRUE(writer->exec("BEGIN IMMEDIATE"));
    auto anonymous = in_transaction(*waiter, [] { return ErrorOr<void>(); });
    ASSERT_TRUE(anonymous.is_error());
    EXPECT_EQ(anonymous.error().kind, ErrorKind::Unavailable);
    EXPECT_NE(anonymous.error().message.find("another os1 process"), std::string::npos) << anonymous.error().message;

    {
        WriterNote note(file);
        auto named = in_transaction(*waiter, [] { return ErrorOr<void>(); });
        ASSERT_TRUE(named.is_error());
        EXPECT_EQ(named.error().kind, ErrorKind::Unavailable);
        EXPECT_NE(named.error().message.find("process " + std::to_string(::getpid()) + " ("), std::string::npos)
            << named.error().message;
        EXPECT_NE(named.error().message.find("test-database"), std::string::npos)
            << "the holder's command line: " << named.error().message;
    }
    EXPECT_FALSE(fs::exists(file.string() + "-writer")) << "the note goes with its writer";
    ASSERT_TRUE(writer->commit());
}

// Without a long writer's note, the process that holds the write lock is named from the
// kernel's list of locks.
TEST(DatabaseConcurrency, ALockedDatabaseNamesTheProcessHoldingItsWriteLock) {
    const fs::path file = fresh_dir("lock-holder") / "x.db";
    {
        auto created = Database::open(file);
        ASSERT_TRUE(created) << created.error().message;
        ASSERT_TRUE(created->migrate("notes", notes_v1));
    }
    int locked[2], release[2];
    ASSERT_EQ(::pipe(locked), 0);
    ASSERT_EQ(::pipe(release), 0);
    const pid_t child = ::fork();
    if (child == 0) {
        auto writer = Database::open(file);
        const bool holds = writer && writer->exec("BEGIN IMMEDIATE");
        char byte = holds ? 'y' : 'n';
        (void)!::write(locked[1], &byte, 1);
        (void)!::read(release[0], &byte, 1);  // until the parent has seen the error
        ::_exit(holds ? 0 : 1);
    }
    char byte = 0;
    ASSERT_EQ(::read(locked[0], &byte, 1), 1);
    ASSERT_EQ(byte, 'y') << "the child holds the write lock";

    auto waiter = Database::open(file);
    ASSERT_TRUE(waiter) << waiter.error().message;
    sqlite3_busy_timeout(waiter->handle(), 0);
    auto blocked = in_transaction(*waiter, [] { return ErrorOr<void>(); });
    (void)!::write(release[1], "x", 1);
    int status = 0;
    ::waitpid(child, &status, 0);
    for (int fd : {locked[0], locked[1], release[0], release[1]})
        ::close(fd);

    ASSERT_TRUE(blocked.is_error());
    EXPECT_EQ(blocked.error().kind, ErrorKind::Unavailable);
    EXPECT_NE(blocked.error().message.find("process " + std::to_string(child) + " ("), std::string::npos)
        << blocked.error().message;
    EXPECT_NE(blocked.error().message.find("test-database"), std::string::npos) << blocked.error().message;
    EXPECT_TRUE(in_transaction(*waiter, [] { return ErrorOr<void>(); })) << "free again once it ended";
}
