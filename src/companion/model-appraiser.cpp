#include "companion/model-appraiser.h"

#include <string>

#include "affect/model-appraisal.h"
#include "core/utf8.h"

namespace os1::companion {

namespace {

// Long messages are judged on their start: the feeling shows early, and the request stays cheap.
constexpr std::size_t max_appraised_bytes = 2000;

std::string clipped(std::string_view text) {
    if (text.size() <= max_appraised_bytes)
        return std::string(text);
    std::size_t end = max_appraised_bytes;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
        --end;
    return std::string(text.substr(0, end));
}

}  // namespace

llm::ChatRequest model_appraisal_request(std::string_view text) {
    llm::ChatRequest request;
    request.messages = {{"system", affect::model_appraisal_instructions}, {"user", clipped(text)}};
    request.sampling.temperature = 0;
    request.sampling.max_tokens = affect::model_appraisal_max_tokens;
    request.grammar = affect::model_appraisal_grammar;
    return request;
}

ErrorOr<affect::Appraisal> appraise_with_model(llm::Backend& backend, std::string_view text) {
    if (!is_valid_utf8(text))
        return make_error("model appraisal: the message is not valid UTF-8");
    auto reply = backend.submit(model_appraisal_request(text))->collect();
    if (reply.is_error())
        return make_error("model appraisal: the model failed: " + reply.error().message);
    return affect::parse_model_appraisal(reply.value());
}

}  // namespace os1::companion
