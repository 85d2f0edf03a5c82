// GET /api/voice: a spoken conversation with the caller's companion over a WebSocket (the
// protocol is in voice-channel.h). The upgrade is authenticated like every signed-in route; a
// browser's cookie is not enough on its own, since any site's page may open a WebSocket here
// and its browser would send the cookie: the Origin must name this server (as the Host does).
// The conversation comes from the caller's UserScope (`?conversation=ID`, one of theirs, or
// their latest). Sessions are few, since each holds a recogniser and ticks on a thread of its
// own: at most `max_sessions` in all and `max_sessions_per_user` per user; one more is
// accepted only to be told why, in an error event, and closed with 1013 (try again later).
//
// Thread-safe.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "server/router.h"
#include "server/voice-channel.h"
#include "voice/recognizer-factory.h"

namespace os1::server {

struct Caller;

struct VoiceOptions {
    size_t max_sessions = 4;  // 0: no voice
    size_t max_sessions_per_user = 1;
    voice::RecognizerFactory recognizers;  // one recogniser per session
};

class VoiceSessions {
public:
    explicit VoiceSessions(VoiceOptions options);
    // stop_all().
    ~VoiceSessions();

    const VoiceOptions& options() const { return m_options; }

    // A new session of `user`, or why there is none.
    std::variant<std::shared_ptr<VoiceChannel>, std::string> start(const std::string& user, VoiceChannel::Open open);
    // Ends every session (their sockets close with 1001) and waits until each has stored what
    // was spoken.
    void stop_all();
    size_t active();

private:
    void reap();  // the caller holds m_mutex
    struct Entry {
        std::string user;
        std::shared_ptr<VoiceChannel> channel;
    };
    VoiceOptions m_options;
    std::mutex m_mutex;
    std::vector<Entry> m_entries;
    bool m_stopped = false;
};

// Asked before each spoken reply: an error message when the caller may not generate now.
using ChargeReply = std::function<std::optional<std::string>()>;

// The handler of GET /api/voice for a signed-in call.
Response voice_socket(Call& call, VoiceSessions& sessions, ChargeReply charge);

}  // namespace os1::server
