#include "dev/output-file.h"

#include <unistd.h>

#include <string>
#include <system_error>

namespace os1::dev::detail {

namespace fs = std::filesystem;

TempFile::~TempFile() {
    std::error_code ignored;
    if (!m_path.empty())
        fs::remove(m_path, ignored);
}

ErrorOr<void> TempFile::rename_onto(const fs::path& target) {
    std::error_code ec;
    fs::rename(m_path, target, ec);
    if (ec)
        return make_error(target.string() + ": cannot move " + m_path.string() + " into place: " + ec.message());
    m_path.clear();
    return {};
}

fs::path temp_path_for(const fs::path& out, std::string_view tag) {
    return out.string() + "." + std::to_string(::getpid()) + "." + std::string(tag) + ".tmp";
}

ErrorOr<void> prepare_out(const fs::path& out, std::string_view command) {
    if (out.empty())
        return make_error(std::string(command) + ": no output file given");
    std::error_code ec;
    if (fs::is_directory(out, ec))
        return make_error(out.string() + ": is a folder, expected a file name");
    const fs::path parent = out.parent_path();
    if (!parent.empty() && !fs::create_directories(parent, ec) && ec)
        return make_error(out.string() + ": cannot create folder " + parent.string() + ": " + ec.message());
    return {};
}

}  // namespace os1::dev::detail
