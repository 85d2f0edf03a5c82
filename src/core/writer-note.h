// Naming the process that keeps a database's write lock, so that another process that cannot
// get it can say who holds it rather than only "database is locked": a note beside the database
// left by a long writer (an import, a forget --all), else the kernel's list of locks.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <sys/types.h>

namespace os1 {

// Writes <db_file>-writer with this process's id and command line when constructed, and removes
// it when destroyed (only while it is still this process's note). Failing to write the note
// changes nothing else: it is advice for error messages, not a lock.
class WriterNote {
public:
    explicit WriterNote(std::filesystem::path db_file);
    ~WriterNote();
    WriterNote(const WriterNote&) = delete;
    WriterNote& operator=(const WriterNote&) = delete;

private:
    std::filesystem::path m_note;
};

// True while the process `pid` exists.
bool process_is_alive(pid_t pid);

// "process 1234 (os1 memory import chat.jsonl)" when a live process left a note beside
// `db_file`; nullopt without a note or when its process has ended.
std::optional<std::string> long_writer_of(const std::filesystem::path& db_file);

// "process 1234 (os1 chat)" for another process that holds the write-ahead log's write,
// checkpoint or recovery lock on `db_file` now, as the kernel lists it in /proc/locks; nullopt
// when none does (the holder may have let go already).
std::optional<std::string> write_lock_holder(const std::filesystem::path& db_file);

}  // namespace os1
