#include "cli/terminal-environment.h"

#include <cstdio>
#include <string>

namespace os1::cli {

namespace {

// One fprintf per line: stdio locks the stream, so lines from other threads never interleave.
void print_to_stderr(LogLevel level, std::string_view message) {
    if (level == LogLevel::Debug)
        return;
    const std::string text(message);
    if (level == LogLevel::Info)
        std::fprintf(stderr, "os1: %s\n", text.c_str());
    else
        std::fprintf(stderr, "os1: %s: %s\n", to_string(level), text.c_str());
}

}  // namespace

LogSink llama_log_sink(bool verbose) {
    if (!verbose)
        return {};
    return [](LogLevel, std::string_view line) {
        const std::string text(line);
        std::fprintf(stderr, "%s\n", text.c_str());
    };
}

os1::Environment terminal_environment() {
    return os1::Environment{system_now, system_utc_offset, print_to_stderr};
}

}  // namespace os1::cli
