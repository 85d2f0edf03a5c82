#include "loadtest/counting-backend.h"

namespace os1::loadtest {

std::shared_ptr<llm::Reply> CountingBackend::submit(llm::ChatRequest request) {
    ++m_submitted;
    return m_inner.submit(std::move(request));
}

llm::BackendInfo CountingBackend::info() const {
    return m_inner.info();
}

ErrorOr<void> CountingBackend::save_conversation(const std::string& conversation, const std::filesystem::path& file) {
    return m_inner.save_conversation(conversation, file);
}

ErrorOr<bool> CountingBackend::restore_conversation(const std::string& conversation,
                                                    const std::filesystem::path& file) {
    return m_inner.restore_conversation(conversation, file);
}

void CountingBackend::forget_conversation(const std::string& conversation) {
    m_inner.forget_conversation(conversation);
}

}  // namespace os1::loadtest
