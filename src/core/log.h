// Where library code reports what it cannot return: a background failure, a skipped backup.
// Library code never prints; a front end decides where these lines go (the terminal's stderr,
// a server's log). Thread-safe as long as the sink is.
#pragma once

#include <functional>
#include <string_view>

namespace os1 {

enum class LogLevel { Debug, Info, Warning, Error };

const char* to_string(LogLevel level);

// Called from any thread; must be thread-safe.
using LogSink = std::function<void(LogLevel level, std::string_view message)>;

// Discards everything (the default where no front end gave a sink).
void discard_log(LogLevel level, std::string_view message);

}  // namespace os1
