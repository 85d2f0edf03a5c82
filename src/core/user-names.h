// User names and the folders they map to. A user name comes from a command line today and from
// HTTP requests tomorrow, so every path from a name to <home>/users/<name> goes through one
// validator: a name is one plain folder name that can never leave users/ nor alias another.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "core/error.h"

namespace os1 {

// Longest user name, in bytes.
inline constexpr size_t max_user_name_bytes = 64;

// Fails (InvalidInput) unless `name` is 1-64 bytes of valid UTF-8 made of letters (any script),
// digits, spaces, '.', '_', '-' and '@', and starts and ends with a letter or digit (so ".",
// "..", "" and anything with '/' are out). The error names the rule broken.
ErrorOr<void> check_user_name(std::string_view name);

// <home>/users/<name>, after check_user_name.
ErrorOr<std::filesystem::path> user_dir(const std::filesystem::path& home, std::string_view name);

}  // namespace os1
