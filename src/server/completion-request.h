// The body of POST /v1/chat/completions, parsed at the edge into native types. Supported
// fields are checked for type and range; a value os1 cannot honour (n > 1, logprobs, images)
// is refused with a message that names it; unknown fields are ignored.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "llm/llm.h"

namespace os1::server {

struct CompletionRequest {
    std::string model;
    std::vector<llm::Message> messages;  // "developer" arrives as "system"
    bool stream = false;
    bool include_usage = false;  // stream_options.include_usage
    llm::SamplingParams sampling;
    std::vector<std::string> stop;
    std::string grammar;  // from response_format: empty for plain text
};

// Parses `body`; `defaults` fill the sampling values the client leaves out, and `max_tokens`
// may not exceed `context_size`.
ErrorOr<CompletionRequest> parse_completion_request(std::string_view body, const llm::SamplingParams& defaults,
                                                    int32_t context_size);

}  // namespace os1::server
