// The OpenAI-compatible API: GET /v1/models and POST /v1/chat/completions, streamed (SSE, as
// OpenAI streams) or whole. Model "os1" is the caller's companion, the whole pipeline: persona,
// mood, memory, stored turns and learning. The loaded model's own id is a plain completion
// with no companion state and no cache shared with anyone.
//
// A client's history for "os1": the client's system messages are ignored (the companion keeps
// its own persona); the messages before the last one select the conversation to continue, the
// one of this user's whose stored turns end with exactly those messages, else a new one (see
// companion::OpenOptions::history); the last message, from the user, is what is said.
#pragma once

#include <string>

#include "llm/llm.h"
#include "server/http-types.h"
#include "server/user-scope.h"

namespace os1::server {

struct OpenAIContext {
    llm::Backend& backend;
    std::string model_id;  // the loaded model's own id
    llm::SamplingParams defaults;
    int32_t context_size = 4096;
    Clock clock;
};

inline constexpr const char* k_companion_model = "os1";

Response list_models(const OpenAIContext& context);
Response chat_completions(const OpenAIContext& context, const Request& request, UserScope& user);

}  // namespace os1::server
