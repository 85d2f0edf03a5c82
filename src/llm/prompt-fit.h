// Keeps a conversation inside the context window. When the history outgrows it, the oldest
// turns after the system prompt are left out, down to three quarters of the window, so the
// cut moves rarely and the KV cache stays reusable across the turns in between.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "core/error.h"
#include "llm/llm.h"

namespace os1::llm {

struct FittedPrompt {
    std::vector<Message> messages;  // leading system messages + the kept tail
    int32_t tokens = 0;             // token count of the rendered `messages`
    int32_t dropped = 0;            // non-system messages left out (the new sticky cut)
};

// `count_tokens` renders and counts a message list. `already_dropped` is the cut from earlier
// turns of the same conversation. `budget` is the prompt size allowed, leaving room for a reply.
// The leading system messages, the newest other message and any system messages after it are
// always kept. Fails when even those alone do not fit in `hard_limit`.
ErrorOr<FittedPrompt> fit_prompt(const std::vector<Message>& messages, int32_t already_dropped, int32_t budget,
                                 int32_t hard_limit,
                                 const std::function<ErrorOr<int32_t>(const std::vector<Message>&)>& count_tokens);

}  // namespace os1::llm
