// Where os1 keeps its data: --home DIR, else $OS1_HOME, else $XDG_DATA_HOME/os1, else
// ~/.local/share/os1.
#pragma once

#include <filesystem>
#include <string>

#include "core/error.h"

namespace os1 {

// Resolves the data folder; `override_dir` (from --home) wins when non-empty.
std::filesystem::path resolve_data_home(const std::string& override_dir);

// Creates `dir` if needed and proves it is writable by creating and removing a probe file.
ErrorOr<void> ensure_writable_dir(const std::filesystem::path& dir);

}  // namespace os1
