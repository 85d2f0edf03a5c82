// The Environment of a command run from a terminal: the system clock and time zone, and the
// library's warnings printed on stderr as "os1: warning: ...". Every front end that opens a
// user's data gets its Environment here, so that what it sees of the world is decided in one
// place.
#pragma once

#include "core/environment.h"

namespace os1::cli {

os1::Environment terminal_environment();

// What --verbose shows of llama.cpp's own log: every line on stderr; nothing without it.
LogSink llama_log_sink(bool verbose);

}  // namespace os1::cli
