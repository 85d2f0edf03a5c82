#include "core/writer-note.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>

namespace os1 {

namespace fs = std::filesystem;

namespace {

constexpr size_t k_max_command_bytes = 200;

fs::path note_path(const fs::path& db_file) {
    return fs::path(db_file.string() + "-writer");
}

// A process's command line ("self" for this one), arguments separated by spaces, shortened to
// a readable length.
std::string command_line_of(const std::string& process) {
    std::ifstream in("/proc/" + process + "/cmdline", std::ios::binary);
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

// The unix VFS's locks on -shm (https://www.sqlite.org/walformat.html): the write lock, the
// checkpoint lock and the recovery lock, at bytes 120, 121 and 122.
constexpr long long k_first_shm_lock = 120;
constexpr long long k_last_exclusive_shm_lock = 122;

}  // namespace

bool process_is_alive(pid_t pid) {
    return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM);
}

WriterNote::WriterNote(fs::path db_file) : m_note(note_path(db_file)) {
    // Written whole under a temporary name, so that a reader never sees half a note.
    const fs::path partial = m_note.string() + "." + std::to_string(::getpid());
    {
        std::ofstream out(partial, std::ios::trunc);
        out << ::getpid() << ' ' << command_line_of("self") << '\n';
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

std::optional<std::string> write_lock_holder(const fs::path& db_file) {
    struct stat shm {};
    if (::stat((db_file.string() + "-shm").c_str(), &shm) != 0)
        return std::nullopt;
    // A line of /proc/locks: "1: POSIX  ADVISORY  WRITE 1234 fe:00:567 120 120".
    std::ifstream locks("/proc/locks");
    for (std::string line; std::getline(locks, line);) {
        std::istringstream fields(line);
        std::string number, kind, advisory, mode, device_and_inode, end;
        long long pid = 0, start = 0;
        if (!(fields >> number >> kind >> advisory >> mode >> pid >> device_and_inode >> start >> end))
            continue;
        const size_t colon = device_and_inode.rfind(':');
        if (kind != "POSIX" || mode != "WRITE" || pid == ::getpid() || colon == std::string::npos ||
            device_and_inode.substr(colon + 1) != std::to_string(shm.st_ino))
            continue;
        const long long last = end == "EOF" ? std::numeric_limits<long long>::max() : std::atoll(end.c_str());
        if (start <= k_last_exclusive_shm_lock && last >= k_first_shm_lock && process_is_alive(pid_t(pid)))
            return "process " + std::to_string(pid) + " (" + command_line_of(std::to_string(pid)) + ")";
    }
    return std::nullopt;
}

}  // namespace os1
