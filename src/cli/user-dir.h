// The folder of one user's data, <home>/users/<user>, from the --home and --user options.
#pragma once

#include <filesystem>
#include <string>

#include "cli/commands.h"
#include "core/error.h"

namespace os1::cli {

// Fails on a user name that is not a plain folder name ("", ".", "..", slashes, bad UTF-8).
ErrorOr<std::filesystem::path> user_dir_for(const GlobalOptions& global, const std::string& user);

}  // namespace os1::cli
