// Time as the rest of os1 sees it: instants in milliseconds since the Unix epoch, read from an
// injected Clock, so that tests and simulations choose "now" and never depend on the hour or
// the machine they run on. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace os1 {

using Timestamp = std::chrono::sys_time<std::chrono::milliseconds>;

// Must be callable from any thread.
using Clock = std::function<Timestamp()>;

// The wall clock, in milliseconds.
Timestamp system_now();

// A clock that always reads `at` (tests).
Clock fixed_clock(Timestamp at);

// Whole seconds since the Unix epoch, as stored in the databases.
inline int64_t unix_seconds(Timestamp t) {
    return std::chrono::floor<std::chrono::seconds>(t).time_since_epoch().count();
}

inline Timestamp from_unix_seconds(int64_t seconds) {
    return Timestamp{std::chrono::seconds{seconds}};
}

}  // namespace os1
