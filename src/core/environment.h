// What a library component may learn about the world it runs in, passed in rather than read
// from the process: the clock, the user's time zone and where to log. Tests inject a fixed
// clock and zone; a server gives each user their own zone. Copyable; its functions must be
// callable from any thread.
#pragma once

#include "core/clock.h"
#include "core/local-day.h"
#include "core/log.h"

namespace os1 {

struct Environment {
    Clock clock = system_now;
    UtcOffset zone = system_utc_offset;
    LogSink log = discard_log;

    Timestamp now() const { return clock(); }
    int64_t now_seconds() const { return unix_seconds(clock()); }
};

}  // namespace os1
