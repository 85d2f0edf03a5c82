// A note beside a database naming the process that is writing to it for a long time (an
// import, a forget --all), so that another process that cannot get the write lock can say who
// holds it rather than only "database is locked".
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

}  // namespace os1
