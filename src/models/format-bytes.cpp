// Human-readable byte counts for listings, progress and messages.
#include <cstdio>
#include <iterator>

#include "models/models.h"

namespace os1::models {

std::string format_bytes(uint64_t bytes) {
    static const char* units[] = {"B", "kB", "MB", "GB", "TB"};
    if (bytes < 1000)
        return std::to_string(bytes) + " B";
    double value = static_cast<double>(bytes);
    size_t unit = 0;
    while (value >= 1000.0 && unit + 1 < std::size(units)) {
        value /= 1000.0;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, "%.1f %s", value, units[unit]);
    return text;
}

}  // namespace os1::models
