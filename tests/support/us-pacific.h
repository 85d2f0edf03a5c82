// America/Los_Angeles as its rules stand since 2007, written here so that tests need no time
// zone database and leave the process's TZ alone: UTC-8, and UTC-7 from 02:00 on the second
// Sunday of March to 02:00 on the first Sunday of November (local time).
#pragma once

#include <chrono>

#include "core/clock.h"

namespace os1::test {

inline std::chrono::seconds us_pacific(Timestamp t) {
    using namespace std::chrono;
    const year y = year_month_day{floor<days>(t)}.year();
    const Timestamp daylight_from{(sys_days{y / March / Sunday[2]} + 10h).time_since_epoch()};  // 02:00 PST
    const Timestamp daylight_until{(sys_days{y / November / Sunday[1]} + 9h).time_since_epoch()};  // 02:00 PDT
    return t >= daylight_from && t < daylight_until ? -7h : -8h;
}

}  // namespace os1::test
