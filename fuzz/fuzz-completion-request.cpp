// The body of POST /v1/chat/completions: server::parse_completion_request. Whatever the bytes,
// the parser returns a request whose fields keep their documented ranges, or an InvalidInput
// error (a 400), never a crash, a hang or another kind of error.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "check.h"
#include "core/utf8.h"
#include "server/completion-request.h"

using namespace os1;

namespace {

constexpr int32_t k_context_size = 4096;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    const llm::SamplingParams defaults;
    auto request = server::parse_completion_request(body, defaults, k_context_size);
    if (request.is_error()) {
        OS1_FUZZ_CHECK(request.error().kind == ErrorKind::InvalidInput);
        OS1_FUZZ_CHECK(!request.error().message.empty());
        return 0;
    }
    OS1_FUZZ_CHECK(!request->messages.empty());
    for (const llm::Message& message : request->messages) {
        OS1_FUZZ_CHECK(message.role == "system" || message.role == "user" || message.role == "assistant");
        OS1_FUZZ_CHECK(is_valid_utf8(message.content));
    }
    OS1_FUZZ_CHECK(request->stop.size() <= 4);
    for (const std::string& stop : request->stop)
        OS1_FUZZ_CHECK(!stop.empty());
    const llm::SamplingParams& sampling = request->sampling;
    OS1_FUZZ_CHECK(sampling.max_tokens >= 1 && sampling.max_tokens <= k_context_size);
    OS1_FUZZ_CHECK(std::isfinite(sampling.temperature) && sampling.temperature >= 0 && sampling.temperature <= 2);
    OS1_FUZZ_CHECK(std::isfinite(sampling.top_p) && sampling.top_p > 0 && sampling.top_p <= 1);
    OS1_FUZZ_CHECK(sampling.validate());
    return 0;
}
