// Counts the tokens of a conversation's rendered prompt without tokenizing all of it every
// turn. Each turn's prompt starts with the previous one, so only the text after the last
// control token they share (<|im_start|> and the like) is tokenized again.
//
// Why that is exact: llama.cpp splits the text at control tokens before it tokenizes the
// pieces between them, each on its own, so the tokens after a control token never depend on
// the text before it. This holds for byte-level BPE vocabularies (Qwen, Llama 3 and most
// current models), whose pieces spell the text exactly; other vocabularies are counted whole.
//
// Nothing of the text is kept: a checkpoint holds a byte offset, a token count and a hash of
// the text up to it. Thread-safe; tokenizing happens outside the lock.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "llama.h"

namespace os1::llm {

class TokenCounter {
public:
    // Remembers checkpoints for the `capacity` most recently counted keys.
    explicit TokenCounter(const llama_vocab* vocab, size_t capacity = 64);

    struct Count {
        int32_t tokens = 0;            // the same as tokenize(vocab, text, AddSpecial::Yes).size()
        size_t bytes_tokenized = 0;    // how much of the text had to be tokenized for it
    };

    // Counts the tokens of `text` with the model's added special tokens (BOS). `key` names the
    // conversation the text belongs to; an empty key counts the whole text and remembers nothing.
    Count count(const std::string& key, std::string_view text);

    // Drops what is remembered for `key`, as when the conversation is forgotten.
    void forget(const std::string& key);

private:
    struct Checkpoint {
        size_t end = 0;         // byte offset just after a control token
        int32_t tokens = 0;     // tokens up to there, added special tokens not counted
        uint64_t hash = 0;      // of the text's bytes [0, end)
    };
    struct Remembered {
        std::vector<Checkpoint> checkpoints;
        uint64_t last_used = 0;
    };

    // Checkpoints after each control token in `tokens`, which are `text` tokenized from byte
    // `start` on; `before` is the checkpoint at `start`. Stops at the first piece that does
    // not spell the text at its offset.
    std::vector<Checkpoint> checkpoints_in(std::string_view text, const Checkpoint& before,
                                           const std::vector<llama_token>& tokens) const;
    void remember(const std::string& key, std::vector<Checkpoint> checkpoints);

    const llama_vocab* m_vocab;
    const size_t m_capacity;
    const bool m_splits_exactly;  // a byte-level BPE vocabulary
    int32_t m_added_tokens = 0;   // what AddSpecial::Yes adds (BOS, EOS) to any text
    std::mutex m_mutex;
    std::unordered_map<std::string, Remembered> m_remembered;
    uint64_t m_clock = 0;
};

}  // namespace os1::llm
