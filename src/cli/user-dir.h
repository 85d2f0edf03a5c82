// The folder of one user's data, <home>/users/<user>, from the --home and --user options.
#pragma once

#include <filesystem>
#include <string>

#include "cli/commands.h"
#include "core/error.h"

namespace os1::cli {

// Fails on a user name that check_user_name refuses ("", "..", "../x", ...).
ErrorOr<std::filesystem::path> user_dir_for(const GlobalOptions& global, const std::string& user);

}  // namespace os1::cli
