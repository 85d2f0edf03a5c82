#include "server/completion-request.h"

#include <cmath>

#include "core/utf8.h"
#include "llm/json-grammar.h"
#include "server/json-body.h"

namespace os1::server {

using nlohmann::json;

namespace {

// Most stop sequences a request may carry, as OpenAI allows.
constexpr size_t k_max_stops = 4;
constexpr size_t k_max_messages = 10000;

Error invalid(const std::string& message) {
    return make_error(ErrorKind::InvalidInput, message);
}

// A message's content: a string, or an array of text parts.
ErrorOr<std::string> message_content(const json& content, size_t index) {
    const std::string where = "messages[" + std::to_string(index) + "].content";
    if (content.is_null())
        return std::string();
    if (content.is_string())
        return content.get<std::string>();
    if (!content.is_array())
        return invalid("'" + where + "' must be a string or an array of text parts");
    std::string text;
    for (const json& part : content) {
        if (!part.is_object())
            return invalid("'" + where + "' parts must be objects");
        auto type = part.find("type");
        if (type == part.end() || !type->is_string())
            return invalid("'" + where + "' parts need a 'type'");
        if (*type != "text")
            return invalid("'" + where + "' has a part of type '" + type->get<std::string>() +
                           "'; only text is supported");
        auto part_text = part.find("text");
        if (part_text == part.end() || !part_text->is_string())
            return invalid("'" + where + "' text parts need a string 'text'");
        text += part_text->get<std::string>();
    }
    return text;
}

ErrorOr<std::vector<llm::Message>> parse_messages(const json& body) {
    auto it = body.find("messages");
    if (it == body.end() || !it->is_array() || it->empty())
        return invalid("'messages' is required: a non-empty array of {role, content}");
    if (it->size() > k_max_messages)
        return invalid("'messages' holds more than " + std::to_string(k_max_messages) + " messages");
    std::vector<llm::Message> messages;
    for (size_t i = 0; i < it->size(); ++i) {
        const json& message = (*it)[i];
        if (!message.is_object())
            return invalid("'messages[" + std::to_string(i) + "]' must be an object");
        std::string role = OS1_TRY(required_string(message, "role"));
        if (role == "developer")
            role = "system";
        if (role != "system" && role != "user" && role != "assistant")
            return invalid("'messages[" + std::to_string(i) + "].role' is '" + role +
                           "'; supported roles are system, developer, user and assistant");
        std::string content = OS1_TRY(message_content(message.contains("content") ? message["content"] : json(), i));
        messages.push_back({std::move(role), std::move(content)});
    }
    return messages;
}

ErrorOr<std::vector<std::string>> parse_stop(const json& body) {
    auto it = body.find("stop");
    if (it == body.end() || it->is_null())
        return std::vector<std::string>();
    std::vector<std::string> stop;
    if (it->is_string()) {
        stop.push_back(it->get<std::string>());
    } else if (it->is_array()) {
        for (const json& item : *it) {
            if (!item.is_string())
                return invalid("'stop' must be a string or an array of strings");
            stop.push_back(item.get<std::string>());
        }
    } else {
        return invalid("'stop' must be a string or an array of strings");
    }
    if (stop.size() > k_max_stops)
        return invalid("'stop' holds " + std::to_string(stop.size()) + " sequences; at most " +
                       std::to_string(k_max_stops) + " are supported");
    for (const std::string& sequence : stop) {
        if (sequence.empty())
            return invalid("'stop' sequences must not be empty");
    }
    return stop;
}

ErrorOr<std::string> parse_response_format(const json& body) {
    auto it = body.find("response_format");
    if (it == body.end() || it->is_null())
        return std::string();
    if (!it->is_object())
        return invalid("'response_format' must be an object with a 'type'");
    const std::string type = OS1_TRY(required_string(*it, "type"));
    if (type == "text")
        return std::string();
    if (type == "json_object")
        return llm::json_object_grammar();
    if (type != "json_schema")
        return invalid("'response_format.type' is '" + type + "'; supported: text, json_object, json_schema");
    auto spec = it->find("json_schema");
    if (spec == it->end() || !spec->is_object())
        return invalid("'response_format.json_schema' is required for type json_schema");
    auto schema = spec->find("schema");
    if (schema == spec->end() || !schema->is_object())
        return invalid("'response_format.json_schema.schema' must be a JSON Schema object");
    auto grammar = llm::json_schema_grammar(*schema);
    if (grammar.is_error())
        return invalid("'response_format.json_schema.schema': " + grammar.error().message);
    return grammar.release_value();
}

}  // namespace

ErrorOr<CompletionRequest> parse_completion_request(std::string_view text, const llm::SamplingParams& defaults,
                                                    int32_t context_size) {
    const json body = OS1_TRY(parse_json_object(text));
    CompletionRequest request;
    request.model = OS1_TRY(required_string(body, "model"));
    request.messages = OS1_TRY(parse_messages(body));
    request.stream = OS1_TRY(optional_bool(body, "stream")).value_or(false);
    if (auto options = body.find("stream_options"); options != body.end() && !options->is_null()) {
        if (!options->is_object())
            return invalid("'stream_options' must be an object");
        request.include_usage = OS1_TRY(optional_bool(*options, "include_usage")).value_or(false);
    }
    if (auto n = OS1_TRY(optional_integer(body, "n")); n && *n != 1)
        return invalid("'n' is " + std::to_string(*n) + "; os1 generates one choice per request (n = 1)");
    if (OS1_TRY(optional_bool(body, "logprobs")).value_or(false))
        return invalid("'logprobs' is not supported");

    llm::SamplingParams& sampling = request.sampling;
    sampling = defaults;
    auto max_tokens = OS1_TRY(optional_integer(body, "max_completion_tokens"));
    if (!max_tokens)
        max_tokens = OS1_TRY(optional_integer(body, "max_tokens"));
    if (max_tokens) {
        if (*max_tokens < 1 || *max_tokens > context_size)
            return invalid("'max_tokens' is " + std::to_string(*max_tokens) + "; it must be between 1 and " +
                           std::to_string(context_size) + " (the context size)");
        sampling.max_tokens = int32_t(*max_tokens);
    }
    if (auto temperature = OS1_TRY(optional_number(body, "temperature"))) {
        if (!std::isfinite(*temperature) || *temperature < 0 || *temperature > 2)
            return invalid("'temperature' must be between 0 and 2");
        sampling.temperature = float(*temperature);
    }
    if (auto top_p = OS1_TRY(optional_number(body, "top_p"))) {
        if (!std::isfinite(*top_p) || *top_p <= 0 || *top_p > 1)
            return invalid("'top_p' must be greater than 0 and at most 1");
        sampling.top_p = float(*top_p);
    }
    if (auto seed = OS1_TRY(optional_integer(body, "seed"))) {
        if (*seed < 0 || *seed >= int64_t(0xFFFFFFFF))
            return invalid("'seed' must be between 0 and 4294967294");
        sampling.seed = uint32_t(*seed);
    }
    request.stop = OS1_TRY(parse_stop(body));
    request.grammar = OS1_TRY(parse_response_format(body));
    for (const llm::Message& message : request.messages) {
        if (!is_valid_utf8(message.content))
            return invalid("a message is not valid UTF-8");
    }
    return request;
}

}  // namespace os1::server
