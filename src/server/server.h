// `os1 serve`: the companion host over HTTP. It routes the OpenAI-compatible API (/v1), the
// companion API (/api) and the web app (/), authenticates every signed-in route (auth.h), and
// applies per-user limits on requests and generated tokens. The handlers are thin: they reach
// the caller's companion through a UserScope and the transport through http-server.h.
//
// Thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "accounts/accounts.h"
#include "companion/host.h"
#include "core/environment.h"
#include "llm/llm.h"
#include "server/auth.h"
#include "server/http-server.h"
#include "server/voice-api.h"

namespace os1::server {

struct UserLimits {
    double requests_per_second = 20, request_burst = 200;
    // Generation is charged its max_tokens up front, so that a user cannot queue unbounded work.
    double tokens_per_second = 100, token_burst = 50000;
};

struct ServerOptions {
    HttpOptions http;
    std::string model_id;  // the loaded model's own id for /v1/models
    llm::SamplingParams sampling;
    UserLimits limits;
    GateOptions gate;  // loopback_only is derived from http.host
    VoiceOptions voice;
    // The clock that rate limits refill by: real time, even when the environment's clock is
    // fixed for a simulation (OS1_NOW), or limits would never refill.
    Clock limit_clock = system_now;
};

class CompanionServer {
public:
    // Starts serving. Refuses to listen beyond loopback while no account exists (anonymous
    // access would reach the local user's companion from the network).
    static ErrorOr<std::unique_ptr<CompanionServer>> start(companion::CompanionHost& host, llm::Backend& backend,
                                                           accounts::AccountStore& accounts, ServerOptions options,
                                                           Environment env);
    ~CompanionServer();

    uint16_t port() const;
    // "http://HOST:PORT".
    std::string url() const;
    // See HttpServer::shutdown; voice sessions end at once (their sockets close with 1001),
    // and this returns once each has stored what it said.
    void shutdown(std::chrono::milliseconds grace);

    struct Impl;

private:
    explicit CompanionServer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

// True for an address that only this machine can reach (127.0.0.0/8, ::1, "localhost").
bool is_loopback_address(const std::string& host);

}  // namespace os1::server
