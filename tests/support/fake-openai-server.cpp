#include "support/fake-openai-server.h"

#include <chrono>

#include <nlohmann/json.hpp>

namespace os1::test {

FakeServer::FakeServer(const std::function<void(httplib::Server&)>& routes, std::function<void()> before_stop)
    : m_before_stop(std::move(before_stop)) {
    routes(m_server);
    // Bound (and listening) before the thread starts: clients can connect at once.
    m_port = m_server.bind_to_any_port("127.0.0.1");
    m_thread = std::thread([this] { m_server.listen_after_bind(); });
    // stop() is ignored until the accept loop runs, so the destructor needs it running; httplib
    // 0.11 has no wait_until_ready, hence the poll of its state.
    while (!m_server.is_running())
        std::this_thread::yield();
}

FakeServer::~FakeServer() {
    if (m_before_stop)
        m_before_stop();
    m_server.stop();
    m_thread.join();
}

void serve_models(httplib::Server& server, const std::string& listing) {
    server.Get("/v1/models", [listing](const httplib::Request&, httplib::Response& res) {
        res.set_content(listing, "application/json");
    });
}

std::string delta_event(const std::string& content, const char* finish_reason) {
    nlohmann::json chunk = {
        {"object", "chat.completion.chunk"},
        {"choices", {{{"index", 0}, {"delta", {{"content", content}}}, {"finish_reason", nullptr}}}}};
    if (finish_reason)
        chunk["choices"][0]["finish_reason"] = finish_reason;
    return "data: " + chunk.dump() + "\n\n";
}

void EndlessChat::install(httplib::Server& server) {
    server.Post("/v1/chat/completions", [this](const httplib::Request&, httplib::Response& res) {
        {
            std::lock_guard lock(m_mutex);
            if (m_requests == m_endless) {
                res.set_content(delta_event("ok", "stop") + "data: [DONE]\n\n", "text/event-stream");
                return;
            }
            ++m_requests;
        }
        m_changed.notify_all();
        if (m_headers == Headers::Withheld) {
            std::unique_lock lock(m_mutex);
            m_changed.wait(lock, [this] { return m_stopping; });
            return;
        }
        res.set_chunked_content_provider("text/event-stream", [this](size_t, httplib::DataSink& sink) {
            const std::string event = delta_event("tick ");
            if (!sink.write(event.data(), event.size()))
                return false;  // the client went away
            // Paces the stream; stop() cuts the wait short.
            std::unique_lock lock(m_mutex);
            return !m_changed.wait_for(lock, std::chrono::milliseconds(20), [this] { return m_stopping; });
        });
    });
}

void EndlessChat::wait_for_requests(int count) {
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [&] { return m_requests >= count; });
}

void EndlessChat::stop() {
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_changed.notify_all();
}

}  // namespace os1::test
