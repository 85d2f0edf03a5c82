// Incremental parser for server-sent events (text/event-stream, WHATWG HTML "server-sent
// events"): bytes go in in pieces of any size, complete events come out. Not thread-safe; one
// parser per stream.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace os1::llm {

struct SseEvent {
    std::string type = "message";  // the "event:" field, "message" when absent
    std::string data;              // "data:" lines joined with '\n', without the final '\n'
    std::string id;                // the last "id:" seen on this stream, as the spec keeps it
};

class SseParser {
public:
    // A line or an event's data longer than this is an error, not unbounded memory growth.
    static constexpr size_t default_max_event_bytes = 8u << 20;

    explicit SseParser(size_t max_event_bytes = default_max_event_bytes);

    // Consumes `bytes` and returns the events they complete, in order. Lines may end in LF,
    // CRLF or CR, and a CRLF may be split across two calls. Fails once an event grows past the
    // size limit; the parser is then unusable.
    ErrorOr<std::vector<SseEvent>> feed(std::string_view bytes);

    // End of stream. The spec drops an event that no blank line terminated; this returns it
    // instead (if it has data), so a server that omits the final blank line loses nothing.
    std::vector<SseEvent> finish();

private:
    void process_line(std::vector<SseEvent>& out);
    void dispatch(std::vector<SseEvent>& out);

    size_t m_max_event_bytes;
    std::string m_line;         // the current line, without its terminator
    std::string m_data;         // data of the event being built, each line followed by '\n'
    std::string m_type;         // event type of the event being built, empty for "message"
    std::string m_last_id;
    bool m_after_cr = false;    // the previous byte was CR, so an LF right after it is skipped
    bool m_at_stream_start = true;  // a leading UTF-8 BOM is skipped
    bool m_failed = false;
};

}  // namespace os1::llm
