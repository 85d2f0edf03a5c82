#include "server/voice-channel.h"

#include <array>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/json-body.h"
#include "voice/duplex-session.h"
#include "voice/turn-json.h"

namespace os1::server {

using nlohmann::json;

namespace {

constexpr uint16_t k_close_normal = 1000;
constexpr uint16_t k_close_going_away = 1001;
constexpr uint16_t k_close_unsupported = 1003;
constexpr uint16_t k_close_policy = 1008;
constexpr uint16_t k_close_internal = 1011;

// Reports held at most while the session catches up with the audio they follow; a client that
// sends reports without audio loses the oldest.
constexpr size_t k_most_heard_reports = 1024;
constexpr size_t k_most_report_bytes = 256;

// How long the thread waits for audio before it looks at the session's events again (a reply
// piece may come from the session's worker while no audio arrives).
constexpr std::chrono::milliseconds k_idle_poll{100};

json event_json(const voice::DuplexEvent& event) {
    switch (event.kind) {
    case voice::DuplexEvent::Kind::StateChanged:
        return {{"type", "state"}, {"state", voice::to_string(event.state)}};
    case voice::DuplexEvent::Kind::Transcript:
        return {{"type", "transcript"}, {"text", event.text}};
    case voice::DuplexEvent::Kind::ReplyText:
        return {{"type", "reply"}, {"text", event.text}};
    case voice::DuplexEvent::Kind::TurnEnded: {
        json turn = voice::turn_json(event.turn);
        turn["type"] = "turn";
        return turn;
    }
    case voice::DuplexEvent::Kind::Error:
        return {{"type", "error"}, {"message", event.text}};
    case voice::DuplexEvent::Kind::PlaybackCleared:
        return {{"type", "clear"}, {"until", event.position}};
    }
    return {};
}

SocketMessage text(const json& value) {
    return SocketMessage{false, dump(value)};
}

}  // namespace

VoiceChannel::VoiceChannel(Open open, VoiceChannelOptions options) : m_open(std::move(open)), m_options(options) {}

VoiceChannel::~VoiceChannel() {
    stop_and_join();
}

void VoiceChannel::opened(std::shared_ptr<SocketPeer> peer) {
    std::lock_guard lock(m_mutex);
    if (m_stop || m_started) {
        peer->close(k_close_going_away, "the server is stopping");
        return;
    }
    m_started = true;
    m_thread = std::thread([this, peer = std::move(peer)] { run(peer); });
}

void VoiceChannel::received(SocketMessage message) {
    if (!message.binary) {
        // Only the heard report; other text must not break this version.
        if (message.bytes.size() > k_most_report_bytes)
            return;
        const json report = json::parse(message.bytes, nullptr, false);
        if (!report.is_object() || report.value("type", json()) != "heard")
            return;
        const json position = report.value("position", json());
        if (!position.is_number_unsigned())
            return;
        std::lock_guard lock(m_mutex);
        if (m_heard_reports.size() == k_most_heard_reports)
            m_heard_reports.pop_front();
        m_heard_reports.push_back(HeardReport{m_received, position.get<uint64_t>()});
        return;
    }
    std::lock_guard lock(m_mutex);
    if (m_stop)
        return;
    if (message.bytes.size() % 2 != 0) {
        refuse(k_close_unsupported, "audio must be whole 16-bit samples (little-endian, mono, 16 kHz)");
        return;
    }
    const size_t count = message.bytes.size() / 2;
    if (m_waiting.size() + count > m_options.max_waiting_samples) {
        refuse(k_close_policy, "microphone audio arrives faster than it can be heard; send it in real time");
        return;
    }
    const auto* bytes = reinterpret_cast<const unsigned char*>(message.bytes.data());
    for (size_t i = 0; i < count; ++i)
        m_waiting.push_back(int16_t(uint16_t(bytes[2 * i]) | uint16_t(bytes[2 * i + 1]) << 8));
    m_received += count;
    m_changed.notify_all();
}

void VoiceChannel::closed() {
    std::lock_guard lock(m_mutex);
    m_stop = true;
    m_changed.notify_all();
}

void VoiceChannel::refuse(uint16_t code, std::string reason) {
    m_stop = true;
    m_close_code = code;
    m_close_reason = std::move(reason);
    m_changed.notify_all();
}

void VoiceChannel::stop_and_join() {
    std::thread thread;
    {
        std::lock_guard lock(m_mutex);
        if (!m_stop)
            refuse(k_close_going_away, "the server is stopping");
        thread = std::move(m_thread);
    }
    if (!thread.joinable())
        return;
    // The last owner may let go on the session's own thread (a socket that closed meanwhile):
    // its work is done by then, and it cannot wait for itself.
    if (thread.get_id() == std::this_thread::get_id())
        thread.detach();
    else
        thread.join();
}

bool VoiceChannel::finished() const {
    std::lock_guard lock(m_mutex);
    return m_finished || (m_stop && !m_started);
}

bool VoiceChannel::ending() const {
    std::lock_guard lock(m_mutex);
    return m_stop;
}

bool VoiceChannel::started() const {
    std::lock_guard lock(m_mutex);
    return m_started;
}

void VoiceChannel::run(std::shared_ptr<SocketPeer> peer) {
    auto finish = [&](uint16_t code, const std::string& reason) {
        if (!reason.empty() && code != k_close_normal)
            peer->send(text({{"type", "error"}, {"message", reason}}));
        peer->close(code, reason);
        std::lock_guard lock(m_mutex);
        m_finished = true;
    };
    ErrorOr<VoiceParts> opened = [&]() -> ErrorOr<VoiceParts> {
        try {
            return m_open();
        } catch (const std::exception& e) {
            return make_error(ErrorKind::Internal, std::string("the voice could not start: ") + e.what());
        }
    }();
    m_open = nullptr;  // what it captured lives on in the parts only
    if (opened.is_error()) {
        finish(k_close_internal, opened.error().message);
        return;
    }
    VoiceParts parts = opened.release_value();
    uint16_t code = k_close_normal;
    std::string reason;
    try {
        voice::DuplexSession session(std::move(parts.detector), std::move(parts.recognizer), *parts.synthesizer,
                                     *parts.replies);
        bool sending = peer->send(text({{"type", "ready"},
                                        {"sample_rate", voice::k_sample_rate},
                                        {"conversation", parts.conversation}}));
        std::vector<int16_t> heard;  // received, not yet a whole frame
        uint64_t ticked = 0;         // microphone samples the session has heard
        std::deque<HeardReport> reports;
        std::vector<int16_t> played;
        while (sending) {
            {
                std::unique_lock lock(m_mutex);
                m_changed.wait_for(lock, k_idle_poll, [&] { return m_stop || !m_waiting.empty(); });
                if (m_stop) {
                    code = m_close_code;
                    reason = m_close_reason;
                    break;
                }
                heard.insert(heard.end(), m_waiting.begin(), m_waiting.end());
                m_waiting.clear();
                reports.insert(reports.end(), m_heard_reports.begin(), m_heard_reports.end());
                m_heard_reports.clear();
            }
            while (reports.size() > k_most_heard_reports)
                reports.pop_front();
            played.clear();
            size_t at = 0;
            for (; at + voice::k_frame_samples <= heard.size(); at += voice::k_frame_samples) {
                ticked += voice::k_frame_samples;
                // A report made as this frame's last sample was captured, or earlier.
                while (!reports.empty() && reports.front().microphone <= ticked) {
                    session.listener_heard(reports.front().heard);
                    reports.pop_front();
                }
                const auto frame = session.tick(voice::Frame(heard.data() + at, voice::k_frame_samples));
                played.insert(played.end(), frame.begin(), frame.end());
            }
            heard.erase(heard.begin(), heard.begin() + ptrdiff_t(at));
            if (!played.empty()) {
                std::string bytes(played.size() * 2, '\0');
                for (size_t i = 0; i < played.size(); ++i) {
                    const auto sample = uint16_t(played[i]);
                    bytes[2 * i] = char(sample & 0xff);
                    bytes[2 * i + 1] = char(sample >> 8);
                }
                sending = peer->send(SocketMessage{true, std::move(bytes)});
            }
            for (const voice::DuplexEvent& event : session.take_events())
                sending = sending && peer->send(text(event_json(event)));
            if (!sending) {
                code = k_close_policy;
                reason = "the connection does not take the companion's voice as fast as it is spoken";
            }
        }
        // Leaving this scope ends the session: a reply being spoken is cut, and only what was
        // played is stored.
    } catch (const std::exception& e) {
        code = k_close_internal;
        reason = std::string("the voice session failed: ") + e.what();
    }
    parts.replies.reset();
    parts.synthesizer.reset();
    parts.keep.reset();
    finish(code, code == k_close_going_away && reason.empty() ? "the server is stopping" : reason);
}

}  // namespace os1::server
