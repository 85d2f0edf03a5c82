#include "core/commit-mark.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "core/backup.h"

namespace os1 {

namespace fs = std::filesystem;

namespace {

// The write-ahead log's format, from https://www.sqlite.org/walformat.html.
constexpr size_t wal_header_bytes = 32;
constexpr size_t frame_header_bytes = 24;
constexpr uint32_t wal_magic = 0x377f0682;  // the low bit says big-endian checksums
constexpr uint32_t wal_version = 3007000;
// The unix VFS's "DMS" byte in -shm, read-locked by every connection that has the log open.
constexpr off_t shm_dms_byte = 128;

constexpr char mark_magic[8] = {'o', 's', '1', 'm', 'a', 'r', 'k', '1'};

// The side file's record: which log, how many of its frames are committed, how many a
// checkpoint has copied into the database file.
struct MarkRecord {
    char magic[8];
    uint32_t salt1;
    uint32_t salt2;
    uint32_t committed;
    uint32_t checkpointed;
};
static_assert(sizeof(MarkRecord) == 24);

// Closes a file descriptor when it goes out of scope.
class FileDescriptor {
public:
    explicit FileDescriptor(int fd) : m_fd(fd) {}
    ~FileDescriptor() {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    int get() const { return m_fd; }
    explicit operator bool() const { return m_fd >= 0; }

private:
    int m_fd;
};

uint32_t big_endian(const unsigned char* bytes) {
    return uint32_t(bytes[0]) << 24 | uint32_t(bytes[1]) << 16 | uint32_t(bytes[2]) << 8 | uint32_t(bytes[3]);
}

uint32_t little_endian(const unsigned char* bytes) {
    return uint32_t(bytes[3]) << 24 | uint32_t(bytes[2]) << 16 | uint32_t(bytes[1]) << 8 | uint32_t(bytes[0]);
}

bool read_exactly(int fd, void* buffer, size_t bytes, off_t offset) {
    auto* at = static_cast<unsigned char*>(buffer);
    while (bytes > 0) {
        const ssize_t got = ::pread(fd, at, bytes, offset);
        if (got <= 0)
            return false;
        at += got;
        bytes -= size_t(got);
        offset += got;
    }
    return true;
}

// The log's running checksum, as SQLite computes it over 8-byte steps.
struct Checksum {
    uint32_t s0 = 0;
    uint32_t s1 = 0;
    bool big_endian_words = false;

    void add(const unsigned char* bytes, size_t size) {
        for (size_t i = 0; i + 8 <= size; i += 8) {
            const uint32_t x0 = big_endian_words ? big_endian(bytes + i) : little_endian(bytes + i);
            const uint32_t x1 = big_endian_words ? big_endian(bytes + i + 4) : little_endian(bytes + i + 4);
            s0 += x0 + s1;
            s1 += x1 + s0;
        }
    }
};

struct WalHeader {
    bool valid = false;  // magic, version, page size and checksum as SQLite requires
    uint32_t page_size = 0;
    uint32_t salt1 = 0;
    uint32_t salt2 = 0;
    Checksum checksum;
};

WalHeader parse_header(const unsigned char* bytes) {
    WalHeader header;
    const uint32_t magic = big_endian(bytes);
    const uint32_t stored_page_size = big_endian(bytes + 8);
    header.page_size = (stored_page_size & 0xfe00) + ((stored_page_size & 1) << 16);
    header.salt1 = big_endian(bytes + 16);
    header.salt2 = big_endian(bytes + 20);
    if ((magic & ~1u) != wal_magic || big_endian(bytes + 4) != wal_version || header.page_size < 512 ||
        (header.page_size & (header.page_size - 1)) != 0)
        return header;
    header.checksum.big_endian_words = (magic & 1) != 0;
    header.checksum.add(bytes, 24);
    header.valid = header.checksum.s0 == big_endian(bytes + 24) && header.checksum.s1 == big_endian(bytes + 28);
    return header;
}

std::optional<WalHeader> read_header(int fd) {
    unsigned char bytes[wal_header_bytes];
    if (!read_exactly(fd, bytes, sizeof bytes, 0))
        return std::nullopt;
    return parse_header(bytes);
}

// The frames SQLite's recovery would keep: up to the last commit frame before the first frame
// whose salts or checksum do not match.
uint32_t readable_committed_frames(int fd, WalHeader header) {
    const size_t frame_bytes = frame_header_bytes + header.page_size;
    std::vector<unsigned char> frame(frame_bytes);
    Checksum checksum = header.checksum;
    uint32_t last_commit = 0;
    for (uint32_t index = 1;; ++index) {
        const off_t offset = off_t(wal_header_bytes) + off_t(index - 1) * off_t(frame_bytes);
        if (!read_exactly(fd, frame.data(), frame_bytes, offset))
            return last_commit;
        const unsigned char* head = frame.data();
        if (big_endian(head) == 0 || big_endian(head + 8) != header.salt1 || big_endian(head + 12) != header.salt2)
            return last_commit;
        checksum.add(head, 8);
        checksum.add(head + frame_header_bytes, header.page_size);
        if (checksum.s0 != big_endian(head + 16) || checksum.s1 != big_endian(head + 20))
            return last_commit;
        if (big_endian(head + 4) != 0)
            last_commit = index;
    }
}

std::optional<MarkRecord> read_mark(int fd) {
    MarkRecord mark{};
    if (!read_exactly(fd, &mark, sizeof mark, 0) || std::memcmp(mark.magic, mark_magic, sizeof mark_magic) != 0)
        return std::nullopt;
    return mark;
}

long long size_of(const std::string& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 ? static_cast<long long>(info.st_size) : -1;
}

// The frame count in -shm's wal-index header (native byte order, at offset 16): what a
// connection that had the log open last knew it to hold. 0 for an index made anew over an empty
// log, or when there is none.
uint32_t frames_in_shared_index(const std::string& shm) {
    FileDescriptor fd(::open(shm.c_str(), O_RDONLY | O_CLOEXEC));
    uint32_t frames = 0;
    if (!fd || !read_exactly(fd.get(), &frames, sizeof frames, 16))
        return 0;
    return frames;
}

// Whether another process has the log open: it holds a read lock on -shm's DMS byte.
bool another_process_holds(const std::string& shm) {
    FileDescriptor fd(::open(shm.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd)
        return false;
    struct flock probe {};
    probe.l_type = F_WRLCK;
    probe.l_whence = SEEK_SET;
    probe.l_start = shm_dms_byte;
    probe.l_len = 1;
    return ::fcntl(fd.get(), F_GETLK, &probe) == 0 && probe.l_type != F_UNLCK;
}

mode_t mode_of(const std::string& file) {
    struct stat info {};
    return ::stat(file.c_str(), &info) == 0 ? (info.st_mode & 0777) : 0600;
}

}  // namespace

fs::path commit_mark_path(const fs::path& db_file) { return db_file.string() + "-commit-mark"; }

CommitMark::CommitMark(const fs::path& db_file)
    : m_wal(db_file.string() + "-wal"), m_mark(commit_mark_path(db_file).string()), m_db_file(db_file.string()) {}

CommitMark::~CommitMark() {
    std::error_code ec;
    if (!fs::exists(m_wal, ec) && !ec)
        fs::remove(m_mark, ec);
}

void CommitMark::attach(sqlite3* db) { sqlite3_wal_hook(db, &CommitMark::on_commit, this); }

int CommitMark::on_commit(void* self, sqlite3* db, const char* schema, int frames) {
    if (std::strcmp(schema, "main") != 0)
        return SQLITE_OK;
    int checkpointed = -1;
    if (frames >= checkpoint_frames) {
        int in_log = 0;
        if (sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, &in_log, &checkpointed) != SQLITE_OK)
            checkpointed = -1;
    }
    static_cast<CommitMark*>(self)->record(frames, checkpointed);
    return SQLITE_OK;
}

void CommitMark::record(int committed_frames, int checkpointed_frames) {
    if (committed_frames <= 0)
        return;
    FileDescriptor wal(::open(m_wal.c_str(), O_RDONLY | O_CLOEXEC));
    if (!wal)
        return;
    const std::optional<WalHeader> header = read_header(wal.get());
    if (!header || !header->valid)
        return;
    // Another connection may have restarted the log since this commit; then the frame that
    // ends this commit carries the old salts, and the count belongs to no log on disk.
    unsigned char last[frame_header_bytes];
    const off_t last_offset =
        off_t(wal_header_bytes) + off_t(committed_frames - 1) * off_t(frame_header_bytes + header->page_size);
    if (!read_exactly(wal.get(), last, sizeof last, last_offset) || big_endian(last + 8) != header->salt1 ||
        big_endian(last + 12) != header->salt2)
        return;

    FileDescriptor mark_fd(::open(m_mark.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, mode_of(m_db_file)));
    if (!mark_fd || ::flock(mark_fd.get(), LOCK_EX) != 0)
        return;
    MarkRecord mark{};
    std::memcpy(mark.magic, mark_magic, sizeof mark_magic);
    mark.salt1 = header->salt1;
    mark.salt2 = header->salt2;
    mark.committed = uint32_t(committed_frames);
    mark.checkpointed = uint32_t(std::max(checkpointed_frames, 0));
    // Connections commit concurrently and may record out of order: within one log, keep the
    // highest counts, each of which some commit or checkpoint reached.
    if (const std::optional<MarkRecord> old = read_mark(mark_fd.get());
        old && old->salt1 == mark.salt1 && old->salt2 == mark.salt2) {
        mark.committed = std::max(mark.committed, old->committed);
        mark.checkpointed = std::max(mark.checkpointed, old->checkpointed);
    }
    (void)!::pwrite(mark_fd.get(), &mark, sizeof mark, 0);
}

void forget_commit_mark(const fs::path& db_file) {
    std::error_code ec;
    fs::remove(commit_mark_path(db_file), ec);
}

ErrorOr<void> check_commit_mark(const fs::path& db_file) {
    FileDescriptor mark_fd(::open(commit_mark_path(db_file).c_str(), O_RDONLY | O_CLOEXEC));
    if (!mark_fd)
        return {};
    const std::optional<MarkRecord> mark = read_mark(mark_fd.get());
    if (!mark)
        return {};
    const std::string wal_path = db_file.string() + "-wal";
    const std::string shm_path = db_file.string() + "-shm";
    const std::string uncheckpointed = std::to_string(mark->committed - std::min(mark->checkpointed, mark->committed));

    FileDescriptor wal(::open(wal_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!wal || size_of(wal_path) < static_cast<long long>(wal_header_bytes)) {
        // The last connection to close checkpoints and removes both -wal and -shm, and a new
        // connection starts an index of no frames: only an index that still counts frames tells
        // of a log that went missing with them.
        if (frames_in_shared_index(shm_path) == 0 || mark->committed <= mark->checkpointed)
            return {};
        if (another_process_holds(shm_path))
            return make_error(ErrorKind::Unavailable,
                              wal_path + ": the write-ahead log was deleted while another process had the database "
                                         "open; it held " +
                                  uncheckpointed +
                                  " committed pages not yet in the database file, which only that process still "
                                  "has: stop it normally (not with kill -9) so that it writes them back, then try "
                                  "again, and do not restore while it runs");
        return make_error(ErrorKind::Corrupt, wal_path + ": the write-ahead log is missing, but it held " +
                                                  uncheckpointed +
                                                  " committed pages not yet in the database file; opening the "
                                                  "database would silently drop them, so os1 changed nothing; " +
                                                  restore_advice(db_file));
    }

    std::optional<WalHeader> header = read_header(wal.get());
    if (!header)
        return {};
    uint32_t readable = 0;
    if (header->valid) {
        if (header->salt1 != mark->salt1 || header->salt2 != mark->salt2)
            return {};  // a mark of an earlier log
        readable = readable_committed_frames(wal.get(), *header);
    } else {
        // SQLite ignores a log whose header is damaged; its frames still carry its salts.
        unsigned char first[frame_header_bytes];
        if (!read_exactly(wal.get(), first, sizeof first, wal_header_bytes) || big_endian(first + 8) != mark->salt1 ||
            big_endian(first + 12) != mark->salt2)
            return {};
    }
    // With no frame readable, SQLite reads only the database file, which holds what was
    // checkpointed; with some, it reads them over the file, so all committed ones must be there.
    const uint32_t durable = readable == 0 ? mark->checkpointed : readable;
    if (durable >= mark->committed)
        return {};
    // A writer that restarted the log while it was read is no damage.
    const std::optional<WalHeader> again = read_header(wal.get());
    if (header->valid && (!again || again->salt1 != header->salt1 || again->salt2 != header->salt2))
        return {};
    return make_error(ErrorKind::Corrupt,
                      wal_path + ": the write-ahead log is damaged: " + std::to_string(mark->committed) +
                          " frames (pages) were committed to it, but only the first " + std::to_string(readable) +
                          " can be read; opening the database would silently drop what was committed after them, "
                          "so os1 changed nothing; " +
                          restore_advice(db_file));
}

}  // namespace os1
