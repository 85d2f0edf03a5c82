#include "llm/llm.h"

#include <cmath>
#include <cstdio>

#include "core/utf8.h"

namespace os1::llm {

namespace {

Error out_of_range(const char* name, double value, const char* range) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", value);
    return make_error(ErrorKind::InvalidInput,
                      std::string("sampling: ") + name + " " + text + " is out of range; use " + range);
}

}  // namespace

ErrorOr<void> SamplingParams::validate() const {
    if (!std::isfinite(temperature) || temperature < 0.0f)
        return out_of_range("temperature", temperature, "0 (greedy) or a larger finite value");
    if (!std::isfinite(top_p) || top_p <= 0.0f || top_p > 1.0f)
        return out_of_range("top_p", top_p, "a value above 0, at most 1");
    if (!std::isfinite(min_p) || min_p < 0.0f || min_p > 1.0f)
        return out_of_range("min_p", min_p, "a value from 0 to 1");
    if (!std::isfinite(repeat_penalty) || repeat_penalty <= 0.0f)
        return out_of_range("repeat_penalty", repeat_penalty, "a finite value above 0 (1: no penalty)");
    if (repeat_last_n < 0)
        return out_of_range("repeat_last_n", repeat_last_n, "0 (no penalty) or more tokens");
    if (max_tokens < 1)
        return out_of_range("max_tokens", max_tokens, "1 or more tokens");
    return {};
}

ErrorOr<void> ChatRequest::validate() const {
    OS1_TRY(sampling.validate());
    if (stop.size() > k_max_stop_strings)
        return make_error(ErrorKind::InvalidInput, "stop: " + std::to_string(stop.size()) +
                                                       " stop strings given; use at most " +
                                                       std::to_string(k_max_stop_strings));
    for (size_t i = 0; i < stop.size(); ++i) {
        const std::string which = "stop: string " + std::to_string(i + 1);
        if (stop[i].empty())
            return make_error(ErrorKind::InvalidInput, which + " is empty; give 1 to " +
                                                           std::to_string(k_max_stop_bytes) + " bytes or leave it out");
        if (stop[i].size() > k_max_stop_bytes)
            return make_error(ErrorKind::InvalidInput, which + " is " + std::to_string(stop[i].size()) +
                                                           " bytes long; use at most " +
                                                           std::to_string(k_max_stop_bytes));
        if (!is_valid_utf8(stop[i]))
            return make_error(ErrorKind::InvalidInput, which + " is not valid UTF-8");
    }
    return {};
}

const char* to_string(StopReason reason) {
    switch (reason) {
    case StopReason::EndOfGeneration: return "end";
    case StopReason::MaxTokens: return "max_tokens";
    case StopReason::Cancelled: return "cancelled";
    case StopReason::ContextFull: return "context_full";
    case StopReason::Error: return "error";
    }
    return "unknown";
}

ErrorOr<void> Backend::save_conversation(const std::string&, const std::filesystem::path&) {
    return make_error("this backend (" + info().name + ") keeps no conversation cache to save");
}

ErrorOr<bool> Backend::restore_conversation(const std::string&, const std::filesystem::path&) { return false; }

void Backend::forget_conversation(const std::string&) {}

}  // namespace os1::llm
