// Reading a whole file that a user named, with a limit checked before reading: a device such as
// /dev/zero, a FIFO or a file larger than `max_bytes` is refused with a clear message instead of
// growing memory until the process dies. Thread-safe.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/error.h"

namespace os1 {

// The bytes of `path`, a regular file of at most `max_bytes`. `what` names the file's role in
// messages ("the lexicon"). NotFound when it is absent; InvalidInput when it is not a regular
// file or is too large (also when it grows past the limit while being read).
ErrorOr<std::string> read_file_limited(const std::filesystem::path& path, size_t max_bytes, std::string_view what);

// What a file that is not a regular file is, for messages: "a folder", "a FIFO", "a device",
// "a socket" or "a special file".
const char* file_kind(const std::filesystem::file_status& status);

}  // namespace os1
