#include "llm/llm.h"

namespace os1::llm {

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
