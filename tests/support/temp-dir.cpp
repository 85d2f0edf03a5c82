#include "support/temp-dir.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

namespace os1::test {

namespace {

namespace fs = std::filesystem;

// The folders made so far, removed at exit.
class Made {
public:
    ~Made() {
        std::error_code ignored;
        for (const fs::path& dir : m_dirs)
            fs::remove_all(dir, ignored);
    }
    void add(const fs::path& dir) {
        std::lock_guard lock(m_mutex);
        m_dirs.push_back(dir);
    }

private:
    std::mutex m_mutex;
    std::vector<fs::path> m_dirs;
};

Made& made() {
    static Made instance;
    return instance;
}

// Test names can hold '/' (parameterised tests); keep the folder name one plain component.
std::string plain(std::string_view name) {
    std::string out;
    for (char c : name)
        out += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ? c : '-';
    return out;
}

}  // namespace

fs::path unique_temp_dir(std::string_view name) {
    std::error_code error;
    const fs::path base = fs::temp_directory_path(error);
    if (error) {
        ADD_FAILURE() << "no temporary folder: " << error.message();
        return {};
    }
    std::string pattern = (base / ("os1-" + plain(name) + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        ADD_FAILURE() << "cannot make a temporary folder from " << pattern << ": " << std::strerror(errno);
        return {};
    }
    made().add(pattern);
    return pattern;
}

}  // namespace os1::test
