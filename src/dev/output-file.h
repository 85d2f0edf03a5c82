// Internal to os1_dev: how the generators write their output, so that `out` is always either the
// old file or the complete new one: a temporary file next to it, renamed into place at the end
// and removed if anything fails first.
#pragma once

#include <filesystem>
#include <string_view>

#include "core/error.h"

namespace os1::dev::detail {

// Removes the file when it goes out of scope, unless it was renamed into place.
class TempFile {
public:
    explicit TempFile(std::filesystem::path path) : m_path(std::move(path)) {}
    ~TempFile();
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;

    const std::filesystem::path& path() const { return m_path; }
    ErrorOr<void> rename_onto(const std::filesystem::path& target);

private:
    std::filesystem::path m_path;
};

// A temporary name next to `out`, unique to this process: "<out>.<pid>.<tag>.tmp".
std::filesystem::path temp_path_for(const std::filesystem::path& out, std::string_view tag);

// Creates `out`'s parent folder and refuses an empty `out` or one that is a folder; `command`
// names the generator in the messages.
ErrorOr<void> prepare_out(const std::filesystem::path& out, std::string_view command);

}  // namespace os1::dev::detail
