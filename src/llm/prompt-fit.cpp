#include "llm/prompt-fit.h"

#include <algorithm>

namespace os1::llm {

namespace {

std::vector<Message> assemble(const std::vector<Message>& system, const std::vector<Message>& rest, size_t first) {
    std::vector<Message> out = system;
    out.insert(out.end(), rest.begin() + std::ptrdiff_t(first), rest.end());
    return out;
}

}  // namespace

ErrorOr<FittedPrompt> fit_prompt(const std::vector<Message>& messages, int32_t already_dropped, int32_t budget,
                                 int32_t hard_limit,
                                 const std::function<ErrorOr<int32_t>(const std::vector<Message>&)>& count_tokens) {
    if (messages.empty())
        return make_error(ErrorKind::InvalidInput, "the conversation is empty: there is nothing to reply to");

    // The persona and system prompt always stay; only the turns after them can be left out.
    size_t system_count = 0;
    while (system_count < messages.size() && messages[system_count].role == "system")
        ++system_count;
    std::vector<Message> system(messages.begin(), messages.begin() + std::ptrdiff_t(system_count));
    std::vector<Message> rest(messages.begin() + std::ptrdiff_t(system_count), messages.end());
    if (rest.empty())
        return make_error(ErrorKind::InvalidInput, "the conversation has only system messages: there is nothing to reply to");

    // The newest message, and the system messages after it (what a caller adds for this turn
    // only), are never dropped.
    size_t last = rest.size() - 1;
    while (last > 0 && rest[last].role == "system")
        --last;
    size_t first = std::min<size_t>(size_t(std::max(already_dropped, 0)), last);

    FittedPrompt fitted;
    fitted.messages = assemble(system, rest, first);
    fitted.tokens = OS1_TRY(count_tokens(fitted.messages));
    if (fitted.tokens > budget) {
        const int32_t target = budget * 3 / 4;
        while (first < last && fitted.tokens > target) {
            ++first;
            // Keep the history starting on a user turn, as chat templates expect.
            while (first < last && rest[first].role != "user")
                ++first;
            fitted.messages = assemble(system, rest, first);
            fitted.tokens = OS1_TRY(count_tokens(fitted.messages));
        }
    }
    if (fitted.tokens > hard_limit)
        return make_error(ErrorKind::InvalidInput, "the input is " + std::to_string(fitted.tokens) +
                          " tokens, longer than the whole context (" + std::to_string(hard_limit) +
                          " tokens); shorten it or start os1 with a larger --ctx-size");
    fitted.dropped = int32_t(first);
    return fitted;
}

}  // namespace os1::llm
