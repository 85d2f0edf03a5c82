#include "cli/terminal-environment.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli/terminal-text.h"
#include "memory/memory.h"

namespace os1::cli {

namespace {

// One fprintf per line: stdio locks the stream, so lines from other threads never interleave.
void print_to_stderr(LogLevel level, std::string_view message) {
    if (level == LogLevel::Debug)
        return;
    // Warnings may quote stored text (a file name, a card's field).
    const std::string text = terminal_text(message);
    if (level == LogLevel::Info)
        std::fprintf(stderr, "os1: %s\n", text.c_str());
    else
        std::fprintf(stderr, "os1: %s: %s\n", to_string(level), text.c_str());
}

}  // namespace

ErrorOr<std::optional<Timestamp>> clock_override() {
    const char* text = std::getenv("OS1_NOW");
    if (text == nullptr || *text == '\0')
        return std::optional<Timestamp>();
    auto seconds = memory::parse_iso8601(text);
    if (seconds.is_error())
        return make_error(ErrorKind::InvalidInput,
                          "OS1_NOW: " + seconds.error().message +
                              "; set it to an instant such as 2026-05-03T12:00:00Z, or unset it to use the system clock");
    return std::optional<Timestamp>(from_unix_seconds(seconds.value()));
}

LogSink llama_log_sink(bool verbose) {
    if (!verbose)
        return {};
    return [](LogLevel, std::string_view line) {
        const std::string text(line);
        std::fprintf(stderr, "%s\n", text.c_str());
    };
}

os1::Environment terminal_environment() {
    auto fixed = clock_override();
    if (fixed.is_error()) {
        std::fprintf(stderr, "os1: %s\n", terminal_text(fixed.error().message).c_str());
        std::exit(2);
    }
    const Clock clock = fixed.value() ? fixed_clock(*fixed.value()) : Clock(system_now);
    return os1::Environment{clock, system_utc_offset, print_to_stderr};
}

}  // namespace os1::cli
