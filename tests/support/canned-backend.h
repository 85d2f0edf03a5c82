// A backend for unit tests that answers every request with one fixed text, as a model under a
// grammar might, and keeps the last request and the number of calls for the test to inspect.
// Requests must not overlap.
#pragma once

#include <memory>
#include <string>

#include "llm/llm.h"

namespace os1::test {

class CannedBackend : public llm::Backend {
public:
    explicit CannedBackend(std::string answer) : m_answer(std::move(answer)) {}
    std::shared_ptr<llm::Reply> submit(llm::ChatRequest request) override {
        ++calls;
        last = std::move(request);
        auto reply = std::make_shared<llm::Reply>();
        reply->push_text(m_answer);
        reply->finish({});
        return reply;
    }
    llm::BackendInfo info() const override { return {"canned", "canned", "none", 4096, 1}; }
    // The text later requests get.
    void set_answer(std::string answer) { m_answer = std::move(answer); }

    llm::ChatRequest last;
    int calls = 0;

private:
    std::string m_answer;
};

}  // namespace os1::test
