#include "llm/llm.h"

namespace os1::llm {

ChatRequest task_request(std::string instructions, std::string data, std::string grammar, int32_t max_tokens,
                         Priority priority) {
    ChatRequest request;
    request.messages = {{"system", std::move(instructions)}, {"user", std::move(data)}};
    request.sampling.temperature = 0;
    request.sampling.max_tokens = max_tokens;
    request.grammar = std::move(grammar);
    request.priority = priority;
    return request;
}

}  // namespace os1::llm
