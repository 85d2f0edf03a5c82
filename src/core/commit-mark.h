// Committed means durable, and a loss is said out loud. SQLite reads the write-ahead log (-wal)
// only up to the first frame whose checksum fails and drops the rest without a word, by
// design; a log deleted while it still held frames loses them the same way. So after each
// commit os1 notes, in a small side file <db>-commit-mark, which log (its two salts) holds how
// many committed frames and how many of them a checkpoint has already copied into the database
// file. Before SQLite next reads the log, the log is read and compared with that note, and a
// log that lost committed frames stops the open with a clear error instead of being replayed.
//
// The note is written after the commit's own fsync, so it never claims more than is durable;
// it is not fsynced itself (that would double the cost of a commit), so after a power cut it may
// lag behind, which can only hide a loss, never invent one. A note of an earlier log (other
// salts) is ignored.
#pragma once

#include <filesystem>

#include <sqlite3.h>

#include "core/error.h"

namespace os1 {

// <db_file>-commit-mark
std::filesystem::path commit_mark_path(const std::filesystem::path& db_file);

// Keeps the commit mark of one connection. Owned beside the connection and attached once;
// must outlive the connection. Replaces SQLite's auto-checkpoint with the same one (PASSIVE,
// every checkpoint_frames frames), run from the commit hook so the mark learns what it copied.
class CommitMark {
public:
    static constexpr int checkpoint_frames = 1000;  // SQLite's default wal_autocheckpoint

    explicit CommitMark(const std::filesystem::path& db_file);
    // After the connection closed: a log gone with it was checkpointed and removed by the last
    // close, so the mark of it is removed too, lest a new log's first open take it for a loss.
    ~CommitMark();
    CommitMark(const CommitMark&) = delete;
    CommitMark& operator=(const CommitMark&) = delete;
    void attach(sqlite3* db);

private:
    static int on_commit(void* self, sqlite3* db, const char* schema, int frames);
    void record(int committed_frames, int checkpointed_frames);

    std::string m_wal;
    std::string m_mark;
    std::string m_db_file;
};

// Removes the mark after a checkpoint that copied the whole log into the database file and
// emptied it (PRAGMA wal_checkpoint(TRUNCATE)): an empty log in use lost nothing.
void forget_commit_mark(const std::filesystem::path& db_file);

// Compares <db_file>-wal with its commit mark, reading only. Fails with ErrorKind::Corrupt
// (naming the backup to restore) when committed frames are unreadable, or when the log is gone
// while its -shm shows it was in use and no process holds it; with ErrorKind::Unavailable when
// the log is gone but another process still holds it (and can write it back on a normal exit).
// Passes without a mark, with a mark of an earlier log, and after a clean close.
ErrorOr<void> check_commit_mark(const std::filesystem::path& db_file);

}  // namespace os1
