// Times in text: memory::parse_time_expression over a search query ("what did I do 3 weeks
// ago?"), at a "now" and in a fixed zone taken from the input's first bytes, memory::day_told_of
// over the same text as a message that fact extraction dates, and memory::parse_iso8601 over it
// as imports read it. A range found is never empty, a day told of is never later than the day
// of "now" nor more than max_days_told_back before it, and a time read as ISO 8601 is written
// by format_iso8601 as text that reads back as the same time (an export imports again).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "check.h"
#include "core/local-day.h"
#include "memory/memory.h"

using namespace os1;

namespace {

// Bytes 0-1: the zone's offset, one of those of real zones (-12:00 to +14:00); bytes 2-6: now,
// an instant between 1970 and 9999; the rest: the text.
constexpr size_t k_header_bytes = 7;

uint64_t big_endian(const uint8_t* bytes, size_t count) {
    uint64_t value = 0;
    for (size_t i = 0; i < count; ++i)
        value = value << 8 | bytes[i];
    return value;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < k_header_bytes)
        return 0;
    const auto offset = std::chrono::minutes(int(big_endian(data, 2) % (26 * 60 + 1)) - 12 * 60);
    const int64_t now = int64_t(big_endian(data + 2, 5) % 253402300800);
    const std::string text(reinterpret_cast<const char*>(data + k_header_bytes), size - k_header_bytes);

    std::string query = text;
    const auto range = memory::parse_time_expression(query, now, fixed_utc_offset(offset));
    if (range) {
        OS1_FUZZ_CHECK(range->begin < range->end);
        OS1_FUZZ_CHECK(query.size() <= text.size() + 1);
    } else {
        OS1_FUZZ_CHECK(query == text);
    }

    if (const auto day = memory::day_told_of(text, now, fixed_utc_offset(offset))) {
        const int64_t said_on = local_day(from_unix_seconds(now), fixed_utc_offset(offset));
        OS1_FUZZ_CHECK(*day <= said_on && *day >= said_on - memory::max_days_told_back);
    }

    const auto time = memory::parse_iso8601(text);
    if (time.is_error())
        return 0;
    const std::string written = memory::format_iso8601(*time);
    const auto again = memory::parse_iso8601(written);
    if (again.is_error()) {
        std::fprintf(stderr, "\"%s\" reads as %lld, written as \"%s\", which does not read back: %s\n",
                     text.c_str(), static_cast<long long>(*time), written.c_str(), again.error().message.c_str());
    }
    OS1_FUZZ_CHECK(again && *again == *time);
    return 0;
}
