#include <mutex>
#include <string>

#include "llm/llm.h"
#include "llama.h"

namespace os1::llm {

namespace {

// llama.cpp's log is process-wide, so its sink is too.
std::mutex g_mutex;
LogSink g_sink;

LogLevel level_of(ggml_log_level level) {
    switch (level) {
    case GGML_LOG_LEVEL_ERROR:
        return LogLevel::Error;
    case GGML_LOG_LEVEL_WARN:
        return LogLevel::Warning;
    case GGML_LOG_LEVEL_INFO:
        return LogLevel::Info;
    default:
        return LogLevel::Debug;
    }
}

// llama.cpp writes lines in pieces (progress dots continue a line); the sink gets whole lines.
void forward(ggml_log_level level, const char* text, void*) {
    thread_local std::string line;
    thread_local LogLevel line_level = LogLevel::Debug;
    if (level != GGML_LOG_LEVEL_CONT)
        line_level = level_of(level);
    line += text;
    for (size_t end = line.find('\n'); end != std::string::npos; end = line.find('\n')) {
        const std::string complete = "llama.cpp: " + line.substr(0, end);
        line.erase(0, end + 1);
        std::lock_guard lock(g_mutex);
        if (g_sink)
            g_sink(line_level, complete);
    }
}

}  // namespace

void set_llama_logging(LogSink sink) {
    {
        std::lock_guard lock(g_mutex);
        g_sink = std::move(sink);
    }
    llama_log_set(forward, nullptr);
}

}  // namespace os1::llm
