#include "core/log.h"

namespace os1 {

const char* to_string(LogLevel level) {
    switch (level) {
    case LogLevel::Debug:
        return "debug";
    case LogLevel::Info:
        return "info";
    case LogLevel::Warning:
        return "warning";
    case LogLevel::Error:
        return "error";
    }
    return "unknown";
}

void discard_log(LogLevel, std::string_view) {}

}  // namespace os1
