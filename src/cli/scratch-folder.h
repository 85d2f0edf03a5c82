// A folder of a benchmark's own under the system's temporary folder, with a name no other
// process can guess or take first (mkdtemp), removed with all it holds when it goes, however
// the command ends.
#pragma once

#include <filesystem>
#include <string>

#include "core/error.h"

namespace os1::cli {

class ScratchFolder {
public:
    // <temp>/<prefix>-XXXXXX.
    static ErrorOr<ScratchFolder> create(const std::string& prefix);
    ~ScratchFolder();
    ScratchFolder(ScratchFolder&& other) noexcept;
    ScratchFolder& operator=(ScratchFolder&&) = delete;
    ScratchFolder(const ScratchFolder&) = delete;
    ScratchFolder& operator=(const ScratchFolder&) = delete;

    const std::filesystem::path& path() const { return m_path; }

private:
    explicit ScratchFolder(std::filesystem::path path) : m_path(std::move(path)) {}
    std::filesystem::path m_path;
};

}  // namespace os1::cli
