#include "server/voice-api.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "companion/voice-reply.h"
#include "server/auth.h"
#include "server/http-errors.h"
#include "voice/energy-detector.h"
#include "voice/flite-synthesizer.h"

namespace os1::server {

namespace {

constexpr uint16_t k_close_try_again_later = 1013;

// A session that is not to be: says why, then closes.
class RefusedSocket : public SocketHandler {
public:
    explicit RefusedSocket(std::string reason) : m_reason(std::move(reason)) {}
    void opened(std::shared_ptr<SocketPeer> peer) override {
        peer->send(SocketMessage{false, nlohmann::json{{"type", "error"}, {"message", m_reason}}.dump()});
        peer->close(k_close_try_again_later, m_reason);
    }
    void received(SocketMessage) override {}
    void closed() override {}

private:
    std::string m_reason;
};

// The companion's replies, each charged to the caller's token budget before it starts.
class ChargedReplies : public voice::ReplySource {
public:
    ChargedReplies(std::unique_ptr<voice::ReplySource> replies, ChargeReply charge)
        : m_replies(std::move(replies)), m_charge(std::move(charge)) {}

    ErrorOr<std::unique_ptr<voice::Reply>> reply_to(const std::string& words) override {
        if (m_charge) {
            if (auto refused = m_charge())
                return make_error(ErrorKind::Unavailable, *refused);
        }
        return m_replies->reply_to(words);
    }

private:
    std::unique_ptr<voice::ReplySource> m_replies;
    ChargeReply m_charge;
};

// The authority of an Origin header ("http://host:port" -> "host:port").
std::string_view origin_authority(std::string_view origin) {
    const size_t scheme = origin.find("://");
    return scheme == std::string_view::npos ? std::string_view() : origin.substr(scheme + 3);
}

}  // namespace

VoiceSessions::VoiceSessions(VoiceOptions options) : m_options(std::move(options)) {}

VoiceSessions::~VoiceSessions() {
    stop_all();
}

void VoiceSessions::reap() {
    std::erase_if(m_entries, [](const Entry& entry) {
        // Not started and held by nobody else: its upgrade never happened.
        if (!entry.channel->started() && entry.channel.use_count() == 1)
            return true;
        if (!entry.channel->finished())
            return false;
        entry.channel->stop_and_join();  // its thread has ended: at once
        return true;
    });
}

size_t VoiceSessions::active() {
    std::lock_guard lock(m_mutex);
    reap();
    return m_entries.size();
}

std::variant<std::shared_ptr<VoiceChannel>, std::string> VoiceSessions::start(const std::string& user,
                                                                              VoiceChannel::Open open) {
    std::lock_guard lock(m_mutex);
    if (m_stopped)
        return std::string("the server is stopping");
    reap();
    // A session that is ending (still storing what it said) no longer counts as the user's.
    const auto of_user = size_t(std::count_if(m_entries.begin(), m_entries.end(), [&](const Entry& entry) {
        return entry.user == user && !entry.channel->ending();
    }));
    if (of_user >= m_options.max_sessions_per_user)
        return std::string("you are already talking by voice in another tab or window; end that first");
    if (m_entries.size() >= m_options.max_sessions)
        return std::string("the server has as many voice sessions as it can hold; try again later");
    auto channel = std::make_shared<VoiceChannel>(std::move(open));
    m_entries.push_back({user, channel});
    return channel;
}

void VoiceSessions::stop_all() {
    std::vector<Entry> entries;
    {
        std::lock_guard lock(m_mutex);
        m_stopped = true;
        entries.swap(m_entries);
    }
    for (Entry& entry : entries)
        entry.channel->stop_and_join();
}

Response voice_socket(Call& call, VoiceSessions& sessions, ChargeReply charge) {
    const Request& request = call.request;
    if (!request.websocket)
        return error_response(426, "/api/voice is a WebSocket: open it with new WebSocket(URL)");
    if (sessions.options().max_sessions == 0)
        return error_response(404, "this server does not talk by voice (os1 serve --voice-sessions 0)");
    // A browser sends the cookie with a WebSocket from any site; only this server's own page
    // may use it. API tokens are not sent by browsers on their own, so token callers need no Origin.
    if (call.caller->via != Caller::Via::Token) {
        const std::string_view origin = request.header("origin");
        if (origin.empty() || origin_authority(origin) != request.header("host"))
            return error_response(403, "a voice session must come from this server's own page", "origin_refused");
    }
    companion::OpenOptions open;
    open.keep_cache = companion::KeepCache::No;  // see UserScope::open
    if (const std::string_view id = request.param("conversation"); !id.empty()) {
        auto parsed = parse_id(std::string(id));
        if (!parsed)
            return error_response(404, "the conversation does not exist");
        open.start = companion::Start::Id;
        open.conversation = *parsed;
    }
    auto opened = call.user->open(open);
    if (opened.is_error())
        return error_response(opened.error());
    auto conversation = std::make_shared<companion::Conversation>(opened.release_value());
    auto started = sessions.start(call.caller->user, [conversation, recognizers = sessions.options().recognizers,
                                                      charge]() -> ErrorOr<VoiceParts> {
        VoiceParts parts;
        parts.detector = std::make_unique<voice::EnergyDetector>();
        parts.recognizer = OS1_TRY(recognizers.open());
        parts.synthesizer = OS1_TRY(voice::FliteSynthesizer::create());
        parts.replies = std::make_unique<ChargedReplies>(
            std::make_unique<companion::VoiceReplySource>(*conversation), charge);
        parts.conversation = conversation->id();
        parts.keep = conversation;
        return parts;
    });
    Response response;
    response.status = 101;
    if (auto* refused = std::get_if<std::string>(&started))
        response.socket = std::make_shared<RefusedSocket>(std::move(*refused));
    else
        response.socket = std::get<std::shared_ptr<VoiceChannel>>(std::move(started));
    return response;
}

}  // namespace os1::server
