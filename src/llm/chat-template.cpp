#include "llm/chat-template.h"

namespace os1::llm {

namespace {

constexpr const char* fallback_template = "chatml";

int32_t apply(const std::string& source, const std::vector<Message>& messages, bool add_assistant,
              std::string* out) {
    std::vector<llama_chat_message> chat;
    chat.reserve(messages.size());
    for (const Message& message : messages)
        chat.push_back({message.role.c_str(), message.content.c_str()});
    int32_t size = llama_chat_apply_template(source.c_str(), chat.data(), chat.size(), add_assistant, nullptr, 0);
    if (size < 0 || !out)
        return size;
    out->assign(size_t(size), '\0');
    return llama_chat_apply_template(source.c_str(), chat.data(), chat.size(), add_assistant, out->data(), size);
}

bool recognised(const std::string& source) {
    const std::vector<Message> probe{{"system", "s"}, {"user", "u"}, {"assistant", "a"}};
    return apply(source, probe, true, nullptr) >= 0;
}

}  // namespace

ChatTemplate::ChatTemplate(std::string source, std::string description, bool fallback)
    : m_source(std::move(source)), m_description(std::move(description)), m_fallback(fallback) {}

ChatTemplate ChatTemplate::for_model(const llama_model* model) {
    const char* own = llama_model_chat_template(model, nullptr);
    if (own && recognised(own))
        return ChatTemplate(own, "model", false);
    return ChatTemplate(fallback_template, "chatml (fallback)", true);
}

ChatTemplate ChatTemplate::from_source(std::string source) {
    if (recognised(source))
        return ChatTemplate(std::move(source), "custom", false);
    return ChatTemplate(fallback_template, "chatml (fallback)", true);
}

ErrorOr<std::string> ChatTemplate::render(const std::vector<Message>& messages, bool add_assistant) const {
    std::string out;
    if (apply(m_source, messages, add_assistant, &out) < 0)
        return make_error("chat template '" + m_description + "' could not render the conversation");
    return out;
}

}  // namespace os1::llm
