// The Environment of a command run from a terminal: the system clock, or the instant in OS1_NOW
// (which fixes "now" for simulations and tests); the system time zone (TZ, else /etc/localtime);
// and the library's warnings printed on stderr as "os1: warning: ...". Every front end that
// opens a user's data gets its Environment here, so that what it sees of the world is decided
// in one place.
#pragma once

#include <optional>

#include "core/environment.h"
#include "core/error.h"

namespace os1::cli {

// The instant named by OS1_NOW (ISO 8601, such as 2026-05-03T12:00:00Z; UTC when it names no
// zone); nullopt when OS1_NOW is unset or empty, an error when it is not a time.
ErrorOr<std::optional<Timestamp>> clock_override();

// main() rejects an invalid OS1_NOW before any command runs; should one reach this function
// anyway, it prints the error and exits with status 2.
os1::Environment terminal_environment();

// What --verbose shows of llama.cpp's own log: every line on stderr; nothing without it.
LogSink llama_log_sink(bool verbose);

}  // namespace os1::cli
