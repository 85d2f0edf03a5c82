#include "core/writer-note.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <iterator>

namespace os1 {

namespace fs = std::filesystem;

namespace {

constexpr size_t k_max_command_bytes = 200;

fs::path note_path(const fs::path& db_file) {
    return fs::path(db_file.string() + "-writer");
}

// This process's command line, arguments separated by spaces, shortened to a readable length.
std::string own_command_line() {
    std::ifstream in("/proc/self/cmdline", std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    while (!text.empty() && text.back() == '\0')
        text.pop_back();
    for (char& c : text)
        if (c == '\0' || c == '\n')
            c = ' ';
    if (text.size() > k_max_command_bytes)
        text = text.substr(0, k_max_command_bytes) + "...";
    return text;
}

struct Note {
    pid_t pid = 0;
    std::string command;
};

std::optional<Note> read_note(const fs::path& note) {
    std::ifstream in(note);
    Note read;
    if (!(in >> read.pid))
        return std::nullopt;
    in.ignore(1);
    std::getline(in, read.command);
    return read;
}

}  // namespace

bool process_is_alive(pid_t pid) {
    return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM);
}

WriterNote::WriterNote(fs::path db_file) : m_note(note_path(db_file)) {
    // Written whole under a temporary name, so that a reader never sees half a note.
    const fs::path partial = m_note.string() + "." + std::to_string(::getpid());
    {
        std::ofstream out(partial, std::ios::trunc);
        out << ::getpid() << ' ' << own_command_line() << '\n';
        if (!out)
            return;
    }
    std::error_code ec;
    fs::rename(partial, m_note, ec);
    if (ec)
        fs::remove(partial, ec);
}

WriterNote::~WriterNote() {
    const std::optional<Note> note = read_note(m_note);
    if (!note || note->pid != ::getpid())
        return;  // another long writer has taken over the note since
    std::error_code ec;
    fs::remove(m_note, ec);
}

std::optional<std::string> long_writer_of(const fs::path& db_file) {
    const std::optional<Note> note = read_note(note_path(db_file));
    if (!note || !process_is_alive(note->pid))
        return std::nullopt;
    return "process " + std::to_string(note->pid) + " (" + note->command + ")";
}

}  // namespace os1
