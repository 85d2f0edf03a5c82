// Renders a conversation into the model's prompt format. The model's own template (GGUF
// key tokenizer.chat_template) is used when llama.cpp recognises its family; otherwise the
// documented fallback is ChatML, which most instruct models of the last years understand.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "llama.h"
#include "llm/llm.h"

namespace os1::llm {

class ChatTemplate {
public:
    static ChatTemplate for_model(const llama_model* model);
    static ChatTemplate from_source(std::string source);  // a Jinja string or a built-in name

    // The prompt text for `messages`; `add_assistant` opens the assistant's turn.
    ErrorOr<std::string> render(const std::vector<Message>& messages, bool add_assistant) const;

    // "model" when the model's own template is used, "chatml (fallback)" otherwise.
    const std::string& description() const { return m_description; }
    bool is_fallback() const { return m_fallback; }

private:
    ChatTemplate(std::string source, std::string description, bool fallback);

    std::string m_source;
    std::string m_description;
    bool m_fallback;
};

}  // namespace os1::llm
