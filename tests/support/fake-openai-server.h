// In-process HTTP servers that play an OpenAI-compatible API for tests: on a loopback port the
// kernel chose (bound before any client can race for it), with a models listing, streamed chat
// chunks, and a chat whose reply never ends unless the client cancels it.
#pragma once

#include <condition_variable>
#include <functional>
#include <limits>
#include <mutex>
#include <string>
#include <thread>

#include <httplib.h>

namespace os1::test {

// An httplib server with the routes that `routes` installs, serving on its own thread.
// `before_stop`, when given, runs before the server stops, so that slow handlers can return.
class FakeServer {
public:
    explicit FakeServer(const std::function<void(httplib::Server&)>& routes,
                        std::function<void()> before_stop = nullptr);
    ~FakeServer();
    FakeServer(const FakeServer&) = delete;
    FakeServer& operator=(const FakeServer&) = delete;

    int port() const { return m_port; }
    std::string base_url() const { return "http://127.0.0.1:" + std::to_string(m_port) + "/v1"; }

private:
    std::function<void()> m_before_stop;
    httplib::Server m_server;
    std::thread m_thread;
    int m_port = 0;
};

inline const char* const models_listing =
    R"({"object":"list","data":[{"id":"fake-model","object":"model","owned_by":"test"}]})";

// GET /v1/models answers `listing`.
void serve_models(httplib::Server& server, const std::string& listing = models_listing);

// One server-sent event with a chat completion chunk carrying `content`.
std::string delta_event(const std::string& content, const char* finish_reason = nullptr);

// POST /v1/chat/completions whose reply never ends by itself: it streams a "tick " chunk every
// 20 ms (or, with Headers::Withheld, sends nothing, not even the headers) until the client goes
// away or stop() is called. A test that cancels such a reply knows it was still running. Only
// the first `endless` requests get such a reply; later ones (the background work a chat does
// after its reply) get a short, complete "ok".
class EndlessChat {
public:
    enum class Headers { Sent, Withheld };

    explicit EndlessChat(Headers headers = Headers::Sent, int endless = std::numeric_limits<int>::max())
        : m_headers(headers), m_endless(endless) {}
    void install(httplib::Server& server);
    // Blocks until `count` endless replies have started.
    void wait_for_requests(int count);
    // Lets every handler return; call it before the server stops.
    void stop();

private:
    Headers m_headers;
    int m_endless;
    std::mutex m_mutex;
    std::condition_variable m_changed;
    int m_requests = 0;
    bool m_stopping = false;
};

}  // namespace os1::test
