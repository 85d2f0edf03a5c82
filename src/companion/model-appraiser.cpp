#include "companion/model-appraiser.h"

#include <string>

#include "affect/model-appraisal.h"
#include "core/utf8.h"

namespace os1::companion {

namespace {

// Long messages are judged on their start: the feeling shows early, and the request stays cheap.
constexpr std::size_t max_appraised_bytes = 2000;

}  // namespace

llm::ChatRequest model_appraisal_request(std::string_view text) {
    return llm::task_request(affect::model_appraisal_instructions, clip_utf8(text, max_appraised_bytes),
                             affect::model_appraisal_grammar, affect::model_appraisal_max_tokens);
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
