#include "server/companion-api.h"

#include <nlohmann/json.hpp>

#include "affect/journal.h"
#include "affect/mood.h"
#include "affect/relationship.h"
#include "memory/memory-json.h"
#include "persona/card.h"
#include "server/http-errors.h"
#include "server/json-body.h"
#include "server/turn-source.h"

namespace os1::server {

using companion::Companion;
using companion::TurnEvent;
using nlohmann::json;

namespace {

constexpr size_t k_max_title_bytes = 200;

int64_t bounded_param(const Request& request, std::string_view name, int64_t fallback, int64_t low, int64_t high) {
    const std::string_view text = request.param(name);
    if (text.empty())
        return fallback;
    auto value = parse_id(std::string(text));
    if (!value)
        return fallback;
    return std::clamp(*value, low, high);
}

json pad_json(const affect::Pad& pad) {
    return {{"pleasure", pad.pleasure},
            {"arousal", pad.arousal},
            {"dominance", pad.dominance},
            {"label", std::string(affect::mood_label_name(affect::label_for(pad)))}};
}

json relationship_json(const affect::Relationship& relationship) {
    const affect::RelationshipScores& scores = relationship.scores();
    return {{"stage", std::string(affect::stage_name(relationship.stage()))},
            {"closeness", scores.closeness},
            {"trust", scores.trust},
            {"familiarity", scores.familiarity},
            {"days_of_contact", relationship.days_of_contact()},
            {"messages", relationship.messages()}};
}

json hit_json(const memory::Hit& hit) {
    return {{"id", hit.id},
            {"kind", memory::to_string(hit.kind)},
            {"text", hit.text},
            {"score", hit.score},
            {"time", memory::format_iso8601(hit.time)},
            {"source_turns", hit.source_turns},
            {"context", hit.context}};
}

json turn_json(const memory::Turn& turn) {
    return {{"id", turn.id},
            {"role", turn.role},
            {"text", turn.content},
            {"time", memory::format_iso8601(turn.created_at)},
            {"interrupted", turn.interrupted}};
}

json conversation_json(const memory::Conversation& conversation) {
    return {{"id", conversation.id},
            {"title", conversation.title},
            {"started", memory::format_iso8601(conversation.created_at)},
            {"last", memory::format_iso8601(conversation.updated_at)},
            {"turns", conversation.turn_count}};
}

json persona_json(const Companion& companion) {
    const persona::CharacterCard& card = companion.card();
    return {{"name", companion.name()},
            {"card_name", card.name},
            {"description", card.description},
            {"personality", card.personality},
            {"scenario", card.scenario},
            {"first_message", card.first_mes},
            {"creator", card.creator},
            {"tags", card.tags},
            {"lorebook_entries", card.character_book ? card.character_book->entries.size() : 0}};
}

Response ok_json(const json& body) {
    return json_response(200, dump(body));
}

Response not_found(std::string_view what) {
    return error_response(404, std::string(what) + " does not exist");
}

Response attachment(std::string content_type, std::string body, const std::string& filename) {
    Response response;
    response.content_type = std::move(content_type);
    response.body = std::move(body);
    response.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + filename + "\"");
    return response;
}

// Runs `work` on the caller's companion; its ErrorOr becomes the response.
template <typename Work>
Response with_companion(Call& call, Work&& work) {
    auto handle = call.user->companion();
    if (handle.is_error())
        return error_response(handle.error());
    std::optional<Response> response;
    handle.value()->with([&](Companion& companion) {
        ErrorOr<Response> result = work(companion);
        response = result.is_error() ? error_response(result.error()) : result.release_value();
    });
    return std::move(*response);
}

// --- chat ------------------------------------------------------------------------------

// The companion's own stream: prepared (recalled memories, the mood before), text pieces,
// notices, then done (stored turn ids, the mood after, the relationship) or error.
class CompanionPresenter : public Presenter {
public:
    CompanionPresenter(std::shared_ptr<companion::Conversation> conversation)
        : m_conversation(std::move(conversation)), m_id(m_conversation->id()) {}

    bool holds_headers() const override { return false; }

    void present(const TurnEvent& event, EventSource::Chunk& out) override {
        switch (event.kind) {
        case TurnEvent::Kind::Prepared: {
            json recalled = json::array();
            for (const memory::Hit& hit : event.prepared.recalled)
                recalled.push_back({{"id", hit.id}, {"text", hit.text}, {"score", hit.score}});
            out.bytes += sse("prepared", {{"conversation", m_id},
                                          {"mood", pad_json(event.prepared.mood_before)},
                                          {"recalled", std::move(recalled)}});
            return;
        }
        case TurnEvent::Kind::Text:
            out.bytes += sse("text", {{"text", event.text}});
            return;
        case TurnEvent::Kind::Notice:
            out.bytes += sse("notice", {{"text", event.text}});
            return;
        case TurnEvent::Kind::Generated:  // not asked for: replies are stored as generated
            return;
        case TurnEvent::Kind::Done: {
            json done = {{"conversation", m_id},
                         {"user_turn", event.user_turn_id},
                         {"reply_turn", event.reply_turn_id},
                         {"interrupted", event.interrupted},
                         {"stop_reason", llm::to_string(event.stats.stop_reason)}};
            m_conversation->with([&](Companion& companion) {
                done["mood"] = pad_json(companion.feelings().mood_now());
                done["relationship"] = relationship_json(companion.feelings().relationship_now());
            });
            out.bytes += sse("done", done);
            return;
        }
        case TurnEvent::Kind::Failed: {
            const Response error = error_response(make_error(event.error, event.text));
            out.bytes += sse("error", {{"message", json::parse(error.body)["error"]["message"]},
                                       {"code", json::parse(error.body)["error"]["code"]}});
            return;
        }
        }
    }

private:
    static std::string sse(std::string_view name, const json& data) {
        return "event: " + std::string(name) + "\ndata: " + dump(data) + "\n\n";
    }

    std::shared_ptr<companion::Conversation> m_conversation;
    int64_t m_id = 0;
};

Response chat(Call& call) {
    auto body = parse_json_object(call.request.body);
    if (body.is_error())
        return error_response(body.error());
    auto message = required_string(*body, "message");
    if (message.is_error())
        return error_response(message.error());
    auto conversation_id = optional_integer(*body, "conversation");
    if (conversation_id.is_error())
        return error_response(conversation_id.error());
    companion::OpenOptions open;
    open.keep_cache = companion::KeepCache::No;  // see UserScope::open
    if (conversation_id.value()) {
        open.start = companion::Start::Id;
        open.conversation = **conversation_id;
    }
    auto conversation = call.user->open(open);
    if (conversation.is_error())
        return error_response(conversation.error());
    auto turn = conversation->say(*message);
    if (turn.is_error())
        return error_response(turn.error());
    auto keep = std::make_shared<companion::Conversation>(conversation.release_value());
    auto presenter = std::make_unique<CompanionPresenter>(keep);
    Response response;
    response.stream = std::make_shared<TurnSource>(turn_feed(turn.release_value(), keep), std::move(presenter));
    return response;
}

// --- conversations -----------------------------------------------------------------------

Response list_conversations(Call& call) {
    return with_companion(call, [&](Companion& companion) -> ErrorOr<Response> {
        json list = json::array();
        for (const memory::Conversation& c : OS1_TRY(companion.conversations().recent_conversations(200)))
            list.push_back(conversation_json(c));
        return ok_json({{"conversations", std::move(list)}});
    });
}

Response new_conversation(Call& call) {
    std::string title;
    if (!call.request.body.empty()) {
        auto body = parse_json_object(call.request.body);
        if (body.is_error())
            return error_response(body.error());
        auto given = optional_string(*body, "title");
        if (given.is_error())
            return error_response(given.error());
        title = given->value_or("");
    }
    if (title.size() > k_max_title_bytes)
        return error_response(400, "'title' is longer than " + std::to_string(k_max_title_bytes) + " bytes");
    auto conversation = call.user->open({.start = companion::Start::New, .title = title});
    if (conversation.is_error())
        return error_response(conversation.error());
    return json_response(201, dump(json{{"id", conversation->id()}}));
}

Response show_conversation(Call& call) {
    auto id = parse_id(call.params[0]);
    if (!id)
        return not_found("the conversation");
    return with_companion(call, [&](Companion& companion) -> ErrorOr<Response> {
        auto conversation = OS1_TRY(companion.conversations().conversation(*id));
        if (!conversation)
            return not_found("the conversation");
        json turns = json::array();
        for (const memory::Turn& turn : OS1_TRY(companion.conversations().turns(*id)))
            turns.push_back(turn_json(turn));
        json body = conversation_json(*conversation);
        body["turns"] = std::move(turns);
        return ok_json(body);
    });
}

// --- feelings ----------------------------------------------------------------------------

Response mood(Call& call) {
    return with_companion(call, [&](Companion& companion) -> ErrorOr<Response> {
        json body = pad_json(companion.feelings().mood_now());
        body["relationship"] = relationship_json(companion.feelings().relationship_now());
        body["report"] = companion.mood_report();
        return ok_json(body);
    });
}

Response journal(Call& call) {
    const int64_t limit = bounded_param(call.request, "limit", 30, 1, 366);
    return with_companion(call, [&](Companion& companion) -> ErrorOr<Response> {
        json entries = json::array();
        for (const affect::JournalEntry& entry : OS1_TRY(companion.feelings().journal(limit)))
            entries.push_back({{"day", affect::day_text(entry.day)}, {"text", entry.text}});
        return ok_json({{"entries", std::move(entries)}});
    });
}

// --- memory ------------------------------------------------------------------------------

Response search_memory(Call& call) {
    const std::string query(call.request.param("q"));
    if (query.empty())
        return error_response(400, "'q' is required: the words to search for");
    if (query.size() > memory::max_text_bytes)
        return error_response(400, "'q' is too long");
    const int64_t limit = bounded_param(call.request, "limit", 10, 1, 100);
    return with_companion(call, [&](Companion& companion) -> ErrorOr<Response> {
        memory::SearchOptions options;
        options.k = int(limit);
        options.now = companion.environment().now_seconds();
        options.zone = companion.environment().zone;
        json hits = json::array();
        for (const memory::Hit& hit : OS1_TRY(companion.memory().search(query, options)))
            hits.push_back(hit_json(hit));
        return ok_json({{"hits", std::move(hits)}});
    });
}

Response list_memories(Call& call) {
    const int64_t limit = bounded_param(call.request, "limit", 100, 1, 1000);
    return with_companion(call, [&](Companion& companion) -> ErrorOr<Response> {
        nlohmann::ordered_json list = nlohmann::ordered_json::array();
        for (const memory::Memory& m : OS1_TRY(companion.memory().list(std::nullopt, size_t(limit))))
            list.push_back(memory::memory_json(m));
        return json_response(200, dump(nlohmann::ordered_json{{"memories", std::move(list)}}));
    });
}

// One memory with where it came from: the conversation turns it was drawn from.
Response show_memory(Call& call) {
    auto id = parse_id(call.params[0]);
    if (!id)
        return not_found("the memory");
    return with_companion(call, [&](Companion& companion) -> ErrorOr<Response> {
        auto found = OS1_TRY(companion.memory().get(*id));
        if (!found)
            return not_found("the memory");
        nlohmann::ordered_json body = memory::memory_json(*found);
        nlohmann::ordered_json provenance = nlohmann::ordered_json::array();
        for (const std::string& source : found->source_turns) {
            nlohmann::ordered_json entry = {{"source", source}};
            if (source.starts_with("turn:")) {
                if (auto turn_id = parse_id(source.substr(5))) {
                    if (auto turn = OS1_TRY(companion.conversations().turn(*turn_id))) {
                        entry["turn"] = turn->id;
                        entry["conversation"] = turn->conversation_id;
                        entry["role"] = turn->role;
                        entry["text"] = turn->content;
                        entry["time"] = memory::format_iso8601(turn->created_at);
                    }
                }
            }
            provenance.push_back(std::move(entry));
        }
        body["provenance"] = std::move(provenance);
        return json_response(200, dump(body));
    });
}

Response edit_memory(Call& call) {
    auto id = parse_id(call.params[0]);
    if (!id)
        return not_found("the memory");
    auto body = parse_json_object(call.request.body);
    if (body.is_error())
        return error_response(body.error());
    auto text = required_string(*body, "text");
    if (text.is_error())
        return error_response(text.error());
    return with_companion(call, [&](Companion& companion) -> ErrorOr<Response> {
        if (!OS1_TRY(companion.memory().edit(*id, *text)))
            return not_found("the memory");
        auto edited = OS1_TRY(companion.memory().get(*id));
        return json_response(200, edited ? dump(memory::memory_json(*edited)) : std::string("{}"));
    });
}

Response forget_memory(Call& call) {
    auto id = parse_id(call.params[0]);
    if (!id)
        return not_found("the memory");
    auto handle = call.user->companion();
    if (handle.is_error())
        return error_response(handle.error());
    auto forgotten = handle.value()->forget(*id);
    if (forgotten.is_error())
        return error_response(forgotten.error());
    return *forgotten ? no_content() : not_found("the memory");
}

Response remember(Call& call) {
    auto body = parse_json_object(call.request.body);
    if (body.is_error())
        return error_response(body.error());
    auto text = required_string(*body, "text");
    if (text.is_error())
        return error_response(text.error());
    return with_companion(call, [&](Companion& companion) -> ErrorOr<Response> {
        const int64_t id = OS1_TRY(companion.remember(*text));
        return json_response(201, dump(json{{"id", id}}));
    });
}

Response forget_everything(Call& call) {
    auto body = parse_json_object(call.request.body);
    if (body.is_error())
        return error_response(body.error());
    auto confirm = optional_bool(*body, "confirm");
    if (confirm.is_error())
        return error_response(confirm.error());
    if (!confirm->value_or(false))
        return error_response(400, "forgetting everything cannot be undone: send {\"confirm\": true}");
    auto handle = call.user->companion();
    if (handle.is_error())
        return error_response(handle.error());
    auto report = handle.value()->forget_all();
    if (report.is_error())
        return error_response(report.error());
    return no_content();
}

Response export_memory(Call& call) {
    return with_companion(call, [&](Companion& companion) -> ErrorOr<Response> {
        auto exported = OS1_TRY(memory::export_json(companion.memory(), call.user->user()));
        return attachment("application/json", exported.dump(2, ' ', false, json::error_handler_t::replace),
                          "os1-memories.json");
    });
}

Response core_blocks(Call& call) {
    return with_companion(call, [&](Companion& companion) -> ErrorOr<Response> {
        return ok_json({{"human", OS1_TRY(companion.memory().core_block("human"))},
                        {"persona", OS1_TRY(companion.memory().core_block("persona"))}});
    });
}

Response set_core_block(Call& call) {
    const std::string& block = call.params[0];
    if (block != "human" && block != "persona")
        return not_found("the core block '" + block + "'");
    auto body = parse_json_object(call.request.body);
    if (body.is_error())
        return error_response(body.error());
    auto text = required_string(*body, "text");
    if (text.is_error())
        return error_response(text.error());
    return with_companion(call, [&](Companion& companion) -> ErrorOr<Response> {
        OS1_TRY(companion.memory().core_set(block, *text));
        return ok_json({{block, OS1_TRY(companion.memory().core_block(block))}});
    });
}

// --- persona -----------------------------------------------------------------------------

Response show_persona(Call& call) {
    return with_companion(call, [&](Companion& companion) -> ErrorOr<Response> { return ok_json(persona_json(companion)); });
}

Response import_persona(Call& call) {
    const std::string_view type = call.request.header("content-type");
    ErrorOr<persona::CharacterCard> card = make_error(ErrorKind::InvalidInput, "no card");
    if (type.starts_with("application/json"))
        card = persona::parse_card_json(call.request.body, "the uploaded card");
    else if (type.starts_with("image/png"))
        card = persona::parse_card_png(call.request.body, "the uploaded card");
    else
        return error_response(415, "send a character card as application/json or image/png");
    if (card.is_error())
        return error_response(400, card.error().message);
    return with_companion(call, [&](Companion& companion) -> ErrorOr<Response> {
        OS1_TRY(companion.replace_card(card.release_value()));
        return ok_json(persona_json(companion));
    });
}

// A file name from the persona's name: ASCII letters and digits only.
std::string file_stem(const std::string& name) {
    std::string stem;
    for (char c : name) {
        if (std::isalnum(static_cast<unsigned char>(c)) && static_cast<unsigned char>(c) < 128)
            stem += c;
        if (stem.size() >= 40)
            break;
    }
    return stem.empty() ? "persona" : stem;
}

Response export_persona(Call& call) {
    const std::string_view format = call.request.param("format");
    if (!format.empty() && format != "json" && format != "png")
        return error_response(400, "'format' must be json or png");
    return with_companion(call, [&](Companion& companion) -> ErrorOr<Response> {
        const persona::CharacterCard& card = companion.card();
        const std::string stem = file_stem(card.name);
        if (format == "png")
            return attachment("image/png", OS1_TRY(persona::card_to_png(card)), stem + ".png");
        return attachment("application/json", persona::card_to_json(card, 2), stem + ".json");
    });
}

}  // namespace

void add_companion_routes(Router& router) {
    const Access signed_in = Access::Signed;
    router.add(Method::Post, "/api/chat", signed_in, chat);
    router.add(Method::Get, "/api/conversations", signed_in, list_conversations);
    router.add(Method::Post, "/api/conversations", signed_in, new_conversation);
    router.add(Method::Get, "/api/conversations/{}", signed_in, show_conversation);
    router.add(Method::Get, "/api/mood", signed_in, mood);
    router.add(Method::Get, "/api/journal", signed_in, journal);
    router.add(Method::Get, "/api/memory/search", signed_in, search_memory);
    router.add(Method::Get, "/api/memory/export", signed_in, export_memory);
    router.add(Method::Get, "/api/memory/core", signed_in, core_blocks);
    router.add(Method::Put, "/api/memory/core/{}", signed_in, set_core_block);
    router.add(Method::Post, "/api/memory/forget-all", signed_in, forget_everything);
    router.add(Method::Get, "/api/memory", signed_in, list_memories);
    router.add(Method::Post, "/api/memory", signed_in, remember);
    router.add(Method::Get, "/api/memory/{}", signed_in, show_memory);
    router.add(Method::Patch, "/api/memory/{}", signed_in, edit_memory);
    router.add(Method::Delete, "/api/memory/{}", signed_in, forget_memory);
    router.add(Method::Get, "/api/persona", signed_in, show_persona);
    router.add(Method::Post, "/api/persona", signed_in, import_persona);
    router.add(Method::Get, "/api/persona/export", signed_in, export_persona);
}

}  // namespace os1::server
