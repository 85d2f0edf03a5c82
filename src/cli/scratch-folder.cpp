#include "cli/scratch-folder.h"

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace os1::cli {

namespace fs = std::filesystem;

ErrorOr<ScratchFolder> ScratchFolder::create(const std::string& prefix) {
    std::error_code ec;
    const fs::path temp = fs::temp_directory_path(ec);
    if (ec)
        return make_error("no temporary folder to work in: " + ec.message() + "; set TMPDIR to a writable folder");
    std::string pattern = (temp / (prefix + "-XXXXXX")).string();
    if (!::mkdtemp(pattern.data()))
        return make_error("could not make a temporary folder in " + temp.string() + ": " + std::strerror(errno) +
                          "; set TMPDIR to a writable folder");
    return ScratchFolder(fs::path(pattern));
}

ScratchFolder::ScratchFolder(ScratchFolder&& other) noexcept : m_path(std::exchange(other.m_path, {})) {}

ScratchFolder::~ScratchFolder() {
    if (m_path.empty())
        return;
    std::error_code ignored;
    fs::remove_all(m_path, ignored);
}

}  // namespace os1::cli
