// The model file check: llm::check_model_file over a GGUF file of the input's bytes (in memory,
// through a memfd), as `os1 chat --model FILE` checks a file before llama.cpp loads it. It never
// crashes, reads out of bounds or aborts in ggml; a file it accepts has an architecture and
// tensors that lie inside the file.
#include <cstddef>
#include <cstdint>

#include "check.h"
#include "llm/model-check.h"
#include "memory-file.h"

namespace {

// Far more than any input: the check's memory limit never decides.
constexpr uint64_t k_plenty_of_memory = uint64_t(1) << 40;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const MemoryFile input(data, size);
    auto info = os1::llm::check_model_file(input.path(), k_plenty_of_memory);
    if (info) {
        OS1_FUZZ_CHECK(!info->architecture.empty());
        OS1_FUZZ_CHECK(info->tensor_count > 0);
        OS1_FUZZ_CHECK(info->file_bytes == size);
        OS1_FUZZ_CHECK(info->tensor_bytes <= size);
    } else {
        OS1_FUZZ_CHECK(!info.error().message.empty());
    }
    return 0;
}
