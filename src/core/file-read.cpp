#include "core/file-read.h"

#include <fstream>

#include "core/utf8.h"

namespace os1 {

namespace fs = std::filesystem;

namespace {

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
    if (ec || !fs::exists(status))
        return make_error(ErrorKind::NotFound, where + "no such file (" + std::string(what) + ")");
    if (!fs::is_regular_file(status))
        return make_error(ErrorKind::InvalidInput,
                          where + "not a regular file; " + std::string(what) + " must be a file");
    const uintmax_t size = fs::file_size(path, ec);
    if (!ec && size > max_bytes)
        return make_error(ErrorKind::InvalidInput, where + std::string(what) + " is larger than the limit of " +
                                                       megabytes(max_bytes));
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return make_error(where + "cannot open the file");
    std::string bytes;
    bytes.reserve(ec ? 0 : size_t(size));
    char buffer[65536];
    while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        bytes.append(buffer, size_t(in.gcount()));
        if (bytes.size() > max_bytes)
            return make_error(ErrorKind::InvalidInput, where + std::string(what) + " is larger than the limit of " +
                                                           megabytes(max_bytes));
    }
    if (in.bad())
        return make_error(where + "read error");
    return bytes;
}

}  // namespace os1
