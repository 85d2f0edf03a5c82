#include "core/paths.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace os1 {

namespace fs = std::filesystem;

fs::path resolve_data_home(const std::string& override_dir) {
    if (!override_dir.empty())
        return fs::path(override_dir);
    if (const char* env = std::getenv("OS1_HOME"); env && *env)
        return fs::path(env);
    if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg)
        return fs::path(xdg) / "os1";
    const char* home = std::getenv("HOME");
    return fs::path(home && *home ? home : ".") / ".local" / "share" / "os1";
}

ErrorOr<void> ensure_writable_dir(const fs::path& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec)
        return make_error(dir.string() + ": cannot create the data folder: " + ec.message() +
                          " (choose another with --home DIR or OS1_HOME)");
    fs::path probe = dir / ".os1-write-probe";
    {
        std::ofstream out(probe);
        if (!out || !(out << "ok") || !out.flush())
            return make_error(dir.string() + ": the data folder is not writable: " + std::strerror(errno) +
                              " (fix its permissions, or choose another with --home DIR or OS1_HOME)");
    }
    fs::remove(probe, ec);
    return {};
}

}  // namespace os1
