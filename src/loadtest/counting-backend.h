// A Backend that hands every call to another one and counts the replies submitted, so that a
// benchmark can tell when a crowd of requests has reached the engine. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>

#include "llm/llm.h"

namespace os1::loadtest {

class CountingBackend final : public llm::Backend {
public:
    explicit CountingBackend(llm::Backend& inner) : m_inner(inner) {}

    int64_t submitted() const { return m_submitted.load(); }

    std::shared_ptr<llm::Reply> submit(llm::ChatRequest request) override;
    llm::BackendInfo info() const override;
    ErrorOr<void> save_conversation(const std::string& conversation, const std::filesystem::path& file) override;
    ErrorOr<bool> restore_conversation(const std::string& conversation, const std::filesystem::path& file) override;
    void forget_conversation(const std::string& conversation) override;

private:
    llm::Backend& m_inner;
    std::atomic<int64_t> m_submitted{0};
};

}  // namespace os1::loadtest
