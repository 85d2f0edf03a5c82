#include "cli/output-file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/file-read.h"

namespace os1::cli {

namespace {

namespace fs = std::filesystem;

ErrorOr<void> write_all(int fd, const std::string& bytes, const std::string& where) {
    size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return make_error(where + ": write error: " + std::strerror(errno));
        done += size_t(n);
    }
    return {};
}

ErrorOr<void> write_stdout(const std::string& bytes, OutputKind kind) {
    if (kind == OutputKind::binary && ::isatty(STDOUT_FILENO))
        return make_error("standard output is a terminal; redirect it to a file or a pipe, or name a file");
    std::fflush(stdout);
    return write_all(STDOUT_FILENO, bytes, "standard output");
}

}  // namespace

ErrorOr<void> write_output_file(const std::string& path, const std::string& bytes, OutputKind kind) {
    if (path == "-")
        return write_stdout(bytes, kind);
    if (path.empty())
        return make_error("no file named; give a file, or - for standard output");

    fs::path target = path;
    std::error_code ec;
    const fs::file_status link = fs::symlink_status(target, ec);
    if (!ec && fs::is_symlink(link)) {
        target = fs::canonical(target, ec);
        if (ec)
            return make_error(path + ": a symlink to nothing that exists; name a regular file");
    }
    const fs::file_status status = fs::status(target, ec);
    const bool exists = !ec && fs::exists(status);
    if (exists && !fs::is_regular_file(status))
        return make_error(path + ": " + file_kind(status) + ", not a regular file; it was left as it is (name a regular "
                                 "file, or - for standard output)");

    // A unique temporary name beside the target, so the rename stays on one file system.
    std::string temp = target.string() + ".XXXXXX";
    const int fd = ::mkstemp(temp.data());
    if (fd < 0)
        return make_error(path + ": cannot create a file beside it: " + std::strerror(errno));
    struct stat existing {};
    mode_t mode;
    if (exists && ::stat(target.c_str(), &existing) == 0) {
        mode = existing.st_mode & 07777;
    } else {
        const mode_t mask = ::umask(0);
        ::umask(mask);
        mode = 0666 & ~mask;
    }
    auto cleanup = [&](const std::string& message) -> ErrorOr<void> {
        ::close(fd);
        ::unlink(temp.c_str());
        return make_error(message);
    };
    if (::fchmod(fd, mode) != 0)
        return cleanup(path + ": cannot set the permissions: " + std::strerror(errno));
    if (auto written = write_all(fd, bytes, path); written.is_error())
        return cleanup(written.error().message);
    if (::fsync(fd) != 0)
        return cleanup(path + ": cannot flush to disk: " + std::strerror(errno));
    if (::close(fd) != 0) {
        ::unlink(temp.c_str());
        return make_error(path + ": write error: " + std::strerror(errno));
    }
    if (::rename(temp.c_str(), target.c_str()) != 0) {
        const int error = errno;
        ::unlink(temp.c_str());
        return make_error(path + ": cannot move the new file into place: " + std::strerror(error));
    }
    return {};
}

}  // namespace os1::cli
