// The user's calendar days. Journal entries and the user's per-day emotional trajectory follow
// the user's local time, not UTC: a message at 23:30 in Los Angeles belongs to that evening, not
// to the next UTC day. The time zone is a function from an instant to its UTC offset, so tests
// can inject one; the default reads the system zone (TZ, else /etc/localtime) with localtime_r,
// because this libstdc++ (GCC 12) has no std::chrono::current_zone. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "core/clock.h"

namespace os1 {

// The offset from UTC in force at an instant (local = UTC + offset), daylight saving included.
using UtcOffset = std::function<std::chrono::seconds(Timestamp)>;

// The system time zone's offset at `t`, as localtime_r reports it (TZ is honoured).
std::chrono::seconds system_utc_offset(Timestamp t);

// A zone with one constant offset (UTC is fixed_utc_offset(0s)).
UtcOffset fixed_utc_offset(std::chrono::seconds offset);

// The local calendar day of `t`, counted in days since 1970-01-01 (the same numbering as
// day_text and std::chrono::sys_days, applied to the local date).
int64_t local_day(Timestamp t, const UtcOffset& offset);

// The first instant of local day `day` (local midnight, or the first local time after it when
// a daylight-saving jump skips midnight).
Timestamp local_day_start(int64_t day, const UtcOffset& offset);

}  // namespace os1
