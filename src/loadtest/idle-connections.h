// A crowd of clients holding streaming requests open at once, as when many people wait on
// queued replies: each connection sends a streamed chat request and then only reads. A request
// the server refuses for now (503 or 429) is sent again on a new connection after a short pause,
// so that in the end each connection holds a request the server took. All connections live on
// one client thread.
//
// Thread-safe: counts() and wait_until_open() may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"

namespace os1::loadtest {

struct IdleOptions {
    std::string host = "127.0.0.1";
    uint16_t port = 0;
    std::string model;
    std::vector<std::string> bearers;  // taken in turn; at least one (an empty string for no token)
    int32_t connections = 1000;
    int32_t max_tokens = 1024;  // long replies, so that the few being generated keep the rest queued
    std::chrono::milliseconds retry_pause{200};
};

struct IdleCounts {
    int32_t open = 0;       // a request written, neither refused nor ended
    int32_t streaming = 0;  // of those, how many have their response's head (generating now)
    int32_t refused = 0;    // 503 or 429 answers, each retried
    int32_t failed = 0;     // could not connect, or another status
    int32_t finished = 0;   // streams that ended by themselves
    std::string first_failure;
};

class IdleConnections {
public:
    // Starts connecting at once and returns; see wait_until_open().
    static ErrorOr<std::unique_ptr<IdleConnections>> open(IdleOptions options);
    // close() when it was not called.
    ~IdleConnections();

    IdleCounts counts() const;
    // Waits until every connection holds a request (none waits to be sent again) or `timeout`
    // passed; false on timeout.
    bool wait_until_open(std::chrono::milliseconds timeout) const;
    // Hangs up every connection and stops the client thread.
    void close();

    IdleConnections(const IdleConnections&) = delete;
    IdleConnections& operator=(const IdleConnections&) = delete;

    struct Impl;

private:
    explicit IdleConnections(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace os1::loadtest
