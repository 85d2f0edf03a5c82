// Memory imports: memory::parse_import over os1's JSONL, SillyTavern chats and ChatGPT's
// conversations.json (the first byte chooses the format). Every turn read is one the store
// accepts (non-blank UTF-8 within the size limit, a known role), or the file is refused whole.
#include <cstddef>
#include <cstdint>
#include <string>

#include "check.h"
#include "core/utf8.h"
#include "memory/memory.h"

using namespace os1;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0)
        return 0;
    const memory::ImportFormat formats[] = {memory::ImportFormat::Os1Jsonl, memory::ImportFormat::SillyTavern,
                                            memory::ImportFormat::ChatGpt};
    const memory::ImportFormat format = formats[data[0] % 3];
    const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
    auto turns = memory::parse_import(text, "export.jsonl", format);
    if (turns.is_error()) {
        OS1_FUZZ_CHECK(!turns.error().message.empty());
        return 0;
    }
    for (const memory::EpisodeInput& turn : *turns) {
        OS1_FUZZ_CHECK(is_valid_utf8(turn.text));
        OS1_FUZZ_CHECK(turn.text.find_first_not_of(" \t\r\n") != std::string::npos);
        OS1_FUZZ_CHECK(turn.role == "user" || turn.role == "assistant" || turn.role == "system");
        OS1_FUZZ_CHECK(turn.text.size() <= memory::max_text_bytes);
        OS1_FUZZ_CHECK(!turn.source_id.empty());
    }
    return 0;
}
