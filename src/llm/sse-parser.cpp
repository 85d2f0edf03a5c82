#include "llm/sse-parser.h"

namespace os1::llm {

SseParser::SseParser(size_t max_event_bytes) : m_max_event_bytes(max_event_bytes) {}

ErrorOr<std::vector<SseEvent>> SseParser::feed(std::string_view bytes) {
    if (m_failed)
        return make_error("server-sent events: stream already failed (event over the size limit)");

    std::vector<SseEvent> events;
    if (m_at_stream_start) {
        // The BOM may itself arrive split; hold back a prefix of it until it is decided.
        static constexpr std::string_view bom = "\xEF\xBB\xBF";
        m_line.append(bytes);
        if (m_line.size() < bom.size() && bom.substr(0, m_line.size()) == m_line)
            return events;
        std::string pending = std::move(m_line);
        m_line.clear();
        m_at_stream_start = false;
        std::string_view rest = pending;
        if (rest.substr(0, bom.size()) == bom)
            rest.remove_prefix(bom.size());
        return feed(rest);
    }

    size_t pos = 0;
    while (pos < bytes.size()) {
        if (m_after_cr) {
            m_after_cr = false;
            if (bytes[pos] == '\n') {
                ++pos;
                continue;
            }
        }
        size_t end = bytes.find_first_of("\r\n", pos);
        if (end == std::string_view::npos) {
            m_line.append(bytes.substr(pos));
            break;
        }
        m_line.append(bytes.substr(pos, end - pos));
        m_after_cr = bytes[end] == '\r';
        pos = end + 1;
        process_line(events);
        m_line.clear();
        if (m_data.size() > m_max_event_bytes)
            break;
    }

    if (m_line.size() > m_max_event_bytes || m_data.size() > m_max_event_bytes) {
        m_failed = true;
        return make_error("server-sent events: an event is larger than " +
                          std::to_string(m_max_event_bytes) +
                          " bytes; the server is not sending a valid event stream");
    }
    return events;
}

std::vector<SseEvent> SseParser::finish() {
    std::vector<SseEvent> events;
    if (m_failed)
        return events;
    if (!m_line.empty())
        process_line(events);
    m_line.clear();
    dispatch(events);
    return events;
}

void SseParser::process_line(std::vector<SseEvent>& out) {
    if (m_line.empty()) {
        dispatch(out);
        return;
    }
    if (m_line.front() == ':')
        return;  // a comment, often used as a keep-alive ping

    std::string_view line = m_line;
    std::string_view field = line;
    std::string_view value;
    size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
        field = line.substr(0, colon);
        value = line.substr(colon + 1);
        if (!value.empty() && value.front() == ' ')
            value.remove_prefix(1);
    }

    if (field == "data") {
        m_data.append(value);
        m_data.push_back('\n');
    } else if (field == "event") {
        m_type.assign(value);
    } else if (field == "id") {
        if (value.find('\0') == std::string_view::npos)
            m_last_id.assign(value);
    }
    // "retry" and unknown fields are ignored: reconnection is not ours to do.
}

void SseParser::dispatch(std::vector<SseEvent>& out) {
    if (m_data.empty()) {
        m_type.clear();
        return;
    }
    m_data.pop_back();  // the '\n' after the last data line
    SseEvent event;
    event.type = m_type.empty() ? "message" : std::move(m_type);
    event.data = std::move(m_data);
    event.id = m_last_id;
    out.push_back(std::move(event));
    m_data.clear();
    m_type.clear();
}

}  // namespace os1::llm
