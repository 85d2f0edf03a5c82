#include "core/file-read.h"

#include <cerrno>
#include <cstdio>
#include <system_error>

#include "core/handles.h"
#include "core/utf8.h"

namespace os1 {

namespace fs = std::filesystem;

namespace {

// strerror's text, without its shared buffer.
std::string system_message(int error) {
    return std::error_code(error, std::generic_category()).message();
}

std::string megabytes(size_t bytes) {
    return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB";
}

}  // namespace

const char* file_kind(const fs::file_status& status) {
    switch (status.type()) {
        case fs::file_type::directory:
            return "a folder";
        case fs::file_type::fifo:
            return "a FIFO";
        case fs::file_type::character:
        case fs::file_type::block:
            return "a device";
        case fs::file_type::socket:
            return "a socket";
        default:
            return "a special file";
    }
}

ErrorOr<std::string> read_file_limited(const fs::path& path, size_t max_bytes, std::string_view what) {
    const std::string where = path.string() + ": ";
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (status.type() == fs::file_type::not_found)
        return make_error(ErrorKind::NotFound, where + "no such file (" + std::string(what) + ")");
    if (ec)
        return make_error(where + "cannot be reached (" + ec.message() + ")");
    if (!fs::is_regular_file(status))
        return make_error(ErrorKind::InvalidInput, where + "is " + std::string(file_kind(status)) +
                                                       ", not a regular file; " + std::string(what) + " must be a file");
    const uintmax_t size = fs::file_size(path, ec);
    if (!ec && size > max_bytes)
        return make_error(ErrorKind::InvalidInput, where + std::string(what) + " is larger than the limit of " +
                                                       megabytes(max_bytes));
    FilePtr file(std::fopen(path.c_str(), "rb"));
    if (!file)
        return make_error(where + "cannot be opened (" + system_message(errno) + ")");
    std::string bytes;
    bytes.reserve(ec ? 0 : size_t(size));
    char buffer[65536];
    for (size_t got; (got = std::fread(buffer, 1, sizeof buffer, file.get())) > 0;) {
        bytes.append(buffer, got);
        if (bytes.size() > max_bytes)
            return make_error(ErrorKind::InvalidInput, where + std::string(what) + " is larger than the limit of " +
                                                           megabytes(max_bytes));
    }
    // A file that stat calls regular may still refuse to be read (/proc/self/mem, a failing disk).
    if (std::ferror(file.get()))
        return make_error(where + "cannot be read (" + system_message(errno) + ")");
    return bytes;
}

}  // namespace os1
