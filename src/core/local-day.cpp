#include "core/local-day.h"

#include <ctime>

namespace os1 {

std::chrono::seconds system_utc_offset(Timestamp t) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(std::chrono::system_clock::time_point(t));
    std::tm local{};
    if (!localtime_r(&seconds, &local))
        return std::chrono::seconds(0);  // outside what the C library can represent: treat as UTC
    return std::chrono::seconds(local.tm_gmtoff);
}

UtcOffset fixed_utc_offset(std::chrono::seconds offset) {
    return [offset](Timestamp) { return offset; };
}

int64_t local_day(Timestamp t, const UtcOffset& offset) {
    const Timestamp local = t + offset(t);
    return std::chrono::floor<std::chrono::days>(local).time_since_epoch().count();
}

Timestamp local_day_start(int64_t day, const UtcOffset& offset) {
    const Timestamp midnight{std::chrono::sys_days{std::chrono::days{day}}.time_since_epoch()};
    // Solve start + offset(start) = midnight. Two rounds settle it: the offset only changes at
    // daylight-saving transitions, which never come twice within a day.
    Timestamp start = midnight - offset(midnight);
    start = midnight - offset(start);
    // Where a jump forward skipped local midnight, `start` lands in the previous local day; the
    // day then begins at the transition, which falls on a whole hour in every zone in use.
    if (local_day(start, offset) < day) {
        start = std::chrono::floor<std::chrono::hours>(start);
        for (int hour = 0; hour < 3 && local_day(start, offset) < day; ++hour)
            start += std::chrono::hours(1);
    }
    return start;
}

}  // namespace os1
