#include "server/openai-api.h"

#include <random>

#include <nlohmann/json.hpp>

#include "server/completion-request.h"
#include "server/http-errors.h"
#include "server/json-body.h"
#include "server/turn-source.h"

namespace os1::server {

using companion::TurnEvent;
using nlohmann::json;

namespace {

std::string completion_id() {
    static thread_local std::mt19937_64 random{std::random_device{}()};
    char text[40];
    std::snprintf(text, sizeof text, "chatcmpl-%016llx%08llx", static_cast<unsigned long long>(random()),
                  static_cast<unsigned long long>(random() & 0xFFFFFFFF));
    return text;
}

std::string finish_reason(llm::StopReason reason) {
    return reason == llm::StopReason::MaxTokens || reason == llm::StopReason::ContextFull ? "length" : "stop";
}

json usage_of(const llm::ReplyStats& stats) {
    return {{"prompt_tokens", stats.prompt_tokens},
            {"completion_tokens", stats.generated_tokens},
            {"total_tokens", stats.prompt_tokens + stats.generated_tokens},
            // Prompt tokens whose cache was reused (the conversation's own, or a shared persona).
            {"prompt_tokens_details", {{"cached_tokens", stats.reused_tokens}}}};
}

struct Identity {
    std::string id = completion_id();
    std::string model;
    int64_t created = 0;
};

// OpenAI's chat.completion.chunk stream: a role delta first, content deltas, a last chunk with
// the finish reason, a usage chunk when asked, then [DONE].
class StreamPresenter : public Presenter {
public:
    StreamPresenter(Identity identity, bool include_usage)
        : m_identity(std::move(identity)), m_include_usage(include_usage) {}

    bool holds_headers() const override { return true; }

    void present(const TurnEvent& event, EventSource::Chunk& out) override {
        switch (event.kind) {
        case TurnEvent::Kind::Text:
            begin(out);
            out.bytes += chunk({{"content", event.text}}, nullptr);
            return;
        case TurnEvent::Kind::Done:
            begin(out);
            out.bytes += chunk(json::object(), finish_reason(event.stats.stop_reason));
            if (m_include_usage)
                out.bytes += data(base(json::array(), usage_of(event.stats)));
            out.bytes += "data: [DONE]\n\n";
            return;
        case TurnEvent::Kind::Failed:
            if (!m_started) {
                out.instead = std::make_shared<Response>(error_response(make_error(event.error, event.text)));
                return;
            }
            out.bytes += data(json::parse(error_response(make_error(event.error, event.text)).body));
            out.bytes += "data: [DONE]\n\n";
            return;
        case TurnEvent::Kind::Prepared:
        case TurnEvent::Kind::Notice:
        case TurnEvent::Kind::Generated:  // not asked for: replies are stored as generated
            return;
        }
    }

private:
    static std::string data(const json& value) { return "data: " + dump(value) + "\n\n"; }

    json base(json choices, json usage) const {
        json out = {{"id", m_identity.id},
                    {"object", "chat.completion.chunk"},
                    {"created", m_identity.created},
                    {"model", m_identity.model},
                    {"system_fingerprint", nullptr},
                    {"choices", std::move(choices)}};
        if (!usage.is_null())
            out["usage"] = std::move(usage);
        else if (m_include_usage)
            out["usage"] = nullptr;
        return out;
    }

    std::string chunk(json delta, json finish) const {
        return data(base(json::array({{{"index", 0}, {"delta", std::move(delta)}, {"logprobs", nullptr},
                                       {"finish_reason", std::move(finish)}}}),
                         nullptr));
    }

    void begin(EventSource::Chunk& out) {
        if (m_started)
            return;
        m_started = true;
        out.bytes += chunk({{"role", "assistant"}, {"content", ""}}, nullptr);
    }

    Identity m_identity;
    bool m_include_usage = false;
    bool m_started = false;
};

// One chat.completion object once the reply has ended.
class WholePresenter : public Presenter {
public:
    explicit WholePresenter(Identity identity) : m_identity(std::move(identity)) {}

    bool holds_headers() const override { return true; }

    void present(const TurnEvent& event, EventSource::Chunk& out) override {
        if (event.kind == TurnEvent::Kind::Text) {
            m_text += event.text;
            return;
        }
        if (event.kind == TurnEvent::Kind::Failed) {
            out.instead = std::make_shared<Response>(error_response(make_error(event.error, event.text)));
            return;
        }
        if (event.kind != TurnEvent::Kind::Done)
            return;
        const json body = {
            {"id", m_identity.id},
            {"object", "chat.completion"},
            {"created", m_identity.created},
            {"model", m_identity.model},
            {"system_fingerprint", nullptr},
            {"choices",
             json::array({{{"index", 0},
                           {"message", {{"role", "assistant"}, {"content", m_text}, {"refusal", nullptr}}},
                           {"logprobs", nullptr},
                           {"finish_reason", finish_reason(event.stats.stop_reason)}}})},
            {"usage", usage_of(event.stats)}};
        out.instead = std::make_shared<Response>(json_response(200, dump(body)));
    }

private:
    Identity m_identity;
    std::string m_text;
};

std::unique_ptr<Presenter> presenter_for(const CompletionRequest& request, const OpenAIContext& context) {
    Identity identity;
    identity.model = request.model;
    identity.created = unix_seconds(context.clock());
    if (request.stream)
        return std::make_unique<StreamPresenter>(std::move(identity), request.include_usage);
    return std::make_unique<WholePresenter>(std::move(identity));
}

Response streamed(TurnSource::Feed feed, std::unique_ptr<Presenter> presenter) {
    Response response;
    response.stream = std::make_shared<TurnSource>(std::move(feed), std::move(presenter));
    return response;
}

Response companion_completion(const OpenAIContext& context, CompletionRequest request, UserScope& user) {
    std::vector<llm::Message> history;
    for (const llm::Message& message : request.messages) {
        if (message.role != "system")
            history.push_back(message);
    }
    if (history.empty() || history.back().role != "user")
        return error_response(400, "the last message must come from the user: it is what the companion answers");
    const std::string said = history.back().content;
    history.pop_back();

    companion::OpenOptions open;
    open.start = companion::Start::Continue;
    open.history = std::move(history);
    open.keep_cache = companion::KeepCache::No;  // see UserScope::open
    auto conversation = user.open(open);
    if (conversation.is_error())
        return error_response(conversation.error());
    companion::TurnOptions options;
    options.sampling = request.sampling;
    options.grammar = request.grammar;
    options.stop = request.stop;
    auto turn = conversation->say(said, options);
    if (turn.is_error())
        return error_response(turn.error());
    auto keep = std::make_shared<companion::Conversation>(conversation.release_value());
    return streamed(turn_feed(turn.release_value(), std::move(keep)), presenter_for(request, context));
}

Response plain_completion(const OpenAIContext& context, CompletionRequest request, const UserScope& user) {
    std::unique_ptr<Presenter> presenter = presenter_for(request, context);
    llm::ChatRequest chat;
    chat.messages = std::move(request.messages);
    chat.sampling = request.sampling;
    chat.grammar = std::move(request.grammar);
    chat.stop = std::move(request.stop);
    chat.priority = llm::Priority::Live;
    // A client resends its whole history each time: its next request continues from this
    // reply's cache, which no other user's request may use.
    chat.cache_owner = "user:" + user.user();
    return streamed(reply_feed(context.backend.submit(std::move(chat))), std::move(presenter));
}

}  // namespace

Response list_models(const OpenAIContext& context) {
    const auto model = [&](const std::string& id, const std::string& owner) {
        return json{{"id", id}, {"object", "model"}, {"created", 0}, {"owned_by", owner}};
    };
    const json body = {{"object", "list"},
                       {"data", json::array({model(k_companion_model, "os1"), model(context.model_id, "local")})}};
    return json_response(200, dump(body));
}

Response chat_completions(const OpenAIContext& context, const Request& http_request, UserScope& user) {
    auto request = parse_completion_request(http_request.body, context.defaults, context.context_size);
    if (request.is_error())
        return error_response(request.error());
    if (request->model == k_companion_model)
        return companion_completion(context, request.release_value(), user);
    if (request->model == context.model_id)
        return plain_completion(context, request.release_value(), user);
    return error_response(404,
                          "the model '" + request->model + "' does not exist; use 'os1' (your companion) or '" +
                              context.model_id + "' (the plain model)",
                          "model_not_found");
}

}  // namespace os1::server
