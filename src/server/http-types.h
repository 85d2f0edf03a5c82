// The server's own view of HTTP, parsed at the edge: a request in native types, a response, and
// a streamed body. Handlers see only these, never the network library.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace os1::server {

enum class Method { Get, Head, Post, Put, Patch, Delete, Options, Other };

struct Request {
    Method method = Method::Get;
    std::string path;                          // percent-decoded, without the query
    std::map<std::string, std::string> query;  // percent-decoded
    std::vector<std::pair<std::string, std::string>> headers;  // names in lowercase
    std::string body;
    std::string peer;  // the client's address (the proxy's forwarded one when the proxy is trusted)
    bool tls = false;  // the client reached a trusted reverse proxy over HTTPS
    bool websocket = false;  // the client asks to upgrade the connection to a WebSocket

    // The first header called `name` (lowercase); empty when absent.
    std::string_view header(std::string_view name) const;
    // The query parameter `name`; empty when absent.
    std::string_view param(std::string_view name) const;
};

struct Response;

// A body produced over time (server-sent events). The connection calls start() once, then
// pull() on a worker thread each time the source has called `wake`. cancel() runs on a worker
// thread when the client went away before the end. Implementations are thread-safe.
class EventSource {
public:
    struct Chunk {
        std::string bytes;  // ready to send; may be empty
        bool finished = false;
        // Instead of a stream: a plain response, allowed while nothing has been sent yet (an
        // error found before the first event, which gets a real status code).
        std::shared_ptr<Response> instead;
    };
    virtual ~EventSource() = default;
    // `wake` may be called from any thread, any number of times; it never blocks.
    virtual void start(std::function<void()> wake) = 0;
    virtual Chunk pull() = 0;
    // Asks the producer to stop at once: called on a network thread the moment the client
    // hangs up, so it must not block. cancel() follows on a worker.
    virtual void stop() {}
    // Ends the stream for good (a companion turn stores what was sent); may block briefly.
    virtual void cancel() = 0;
    // True when the headers may wait for the first chunk (so that an early error gets a status).
    virtual bool holds_headers() const { return false; }
};

// A WebSocket message: binary, or UTF-8 text.
struct SocketMessage {
    bool binary = true;
    std::string bytes;
};

// The server's end of an upgraded WebSocket, implemented by the transport. Thread-safe.
class SocketPeer {
public:
    virtual ~SocketPeer() = default;
    // Queues a message; false when the socket is closed or more than the transport's limit of
    // bytes is waiting to be sent (the client does not read).
    virtual bool send(SocketMessage message) = 0;
    // Closes the socket with `code` (RFC 6455) and `reason` after what was queued is sent.
    virtual void close(uint16_t code, std::string reason) = 0;
};

// What a WebSocket route serves once the upgrade is done. The transport calls opened() once,
// then received() for each message in order, then closed() once when the socket closes for any
// reason (by either side, an error, or the server stopping). All three run on a network thread:
// they must not block.
class SocketHandler {
public:
    virtual ~SocketHandler() = default;
    virtual void opened(std::shared_ptr<SocketPeer> peer) = 0;
    virtual void received(SocketMessage message) = 0;
    virtual void closed() = 0;
};

struct Response {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    std::shared_ptr<EventSource> stream;  // when set, the body is streamed as text/event-stream
    // When set, the connection is upgraded to a WebSocket served by this handler (the request
    // must have asked for one: Request::websocket); the status and body are then not sent.
    std::shared_ptr<SocketHandler> socket;
};

// Response helpers.
Response json_response(int status, std::string body);
Response no_content();

}  // namespace os1::server
