// The HTTP transport: Boost.Beast on a few network threads, asynchronous, so that thousands of
// open connections (most of them waiting on a queued reply) cost memory, not threads. A request
// is read with limits, parsed into a Request and handed to the handler on a worker thread; its
// Response is written back, or streamed when it carries an EventSource. A client that goes away
// mid-stream has its source cancelled at once. A response that carries a SocketHandler upgrades
// its connection to a WebSocket (RFC 6455), with a limit on the size of a received message and
// on what may wait to be sent; shutdown() closes such sockets with 1001 (going away).
//
// Thread-safe. Handlers run on the worker pool and may block briefly; they must not throw (an
// exception is caught, logged and answered with a 500 that carries no internals).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/error.h"
#include "core/log.h"
#include "server/http-types.h"

namespace os1::server {

struct HttpOptions {
    std::string host = "127.0.0.1";
    uint16_t port = 8080;  // 0: any free port (port() says which)
    size_t io_threads = 1;
    size_t workers = 4;
    size_t queued_requests = 256;  // requests waiting for a worker before new ones get 503
    size_t max_connections = 4096;
    size_t max_body_bytes = 8 << 20;
    size_t max_header_bytes = 16 << 10;
    std::chrono::seconds request_timeout{30};  // to receive one whole request
    std::chrono::seconds idle_timeout{75};     // a kept-alive connection with no request
    size_t max_socket_message_bytes = 64 << 10;  // one WebSocket message received
    size_t max_socket_queued_bytes = 1 << 20;    // WebSocket messages waiting to be sent
};

using Handler = std::function<Response(Request&)>;

class HttpServer {
public:
    // Binds and starts serving; fails with a clear message when the address cannot be used.
    static ErrorOr<std::unique_ptr<HttpServer>> start(const HttpOptions& options, Handler handler, LogSink log);
    // shutdown() with no grace, when it was not called.
    ~HttpServer();

    uint16_t port() const;
    const std::string& host() const;
    size_t open_connections() const;

    // Stops accepting, closes idle connections, lets requests and streams in flight finish for
    // at most `grace`, then closes the rest (cancelling their streams) and stops the threads.
    void shutdown(std::chrono::milliseconds grace);

    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    struct Impl;

private:
    explicit HttpServer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace os1::server
