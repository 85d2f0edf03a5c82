// The on-disk form of one conversation's KV cache, so a restart resumes without re-prefill.
// Layout (little-endian): magic "OS1KV001", model fingerprint (u64), token count (u64),
// tokens (i32 each), text-end offsets (u64 each), text length (u64) and bytes, llama.cpp
// sequence state length (u64) and bytes. Written to a temporary file, fsynced and renamed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "llama.h"

namespace os1::llm {

struct KvSnapshot {
    uint64_t model_fingerprint = 0;
    std::vector<llama_token> tokens;  // exactly the tokens held in the cache
    std::vector<uint64_t> text_ends;  // per token, the end offset of its text in `text`
    std::string text;                 // the text those tokens spell
    std::vector<uint8_t> state;       // llama_state_seq_get_data output
};

ErrorOr<void> write_kv_snapshot(const std::filesystem::path& file, const KvSnapshot& snapshot);
ErrorOr<KvSnapshot> read_kv_snapshot(const std::filesystem::path& file);

}  // namespace os1::llm
