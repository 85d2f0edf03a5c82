#include "server/http-server.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <list>
#include <mutex>
#include <thread>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "server/http-errors.h"
#include "server/request-parsing.h"
#include "server/worker-pool.h"

namespace os1::server {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// Headers on every response: no sniffing, no framing, no referrer leaks.
void add_security_headers(std::string& out) {
    out += "X-Content-Type-Options: nosniff\r\nX-Frame-Options: DENY\r\nReferrer-Policy: no-referrer\r\n";
}

std::string_view reason(int status) {
    return http::obsolete_reason(http::int_to_status(unsigned(status)));
}

// The status line and headers of a response, ready to write.
std::string head_of(const Response& response, size_t body_bytes, bool keep_alive, bool streaming) {
    std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " + std::string(reason(response.status)) + "\r\n";
    if (streaming) {
        out += "Content-Type: text/event-stream; charset=utf-8\r\nCache-Control: no-cache\r\nX-Accel-Buffering: no\r\n";
    } else {
        if (!response.content_type.empty())
            out += "Content-Type: " + response.content_type + "\r\n";
        if (response.status != 204)
            out += "Content-Length: " + std::to_string(body_bytes) + "\r\n";
    }
    bool cache_set = false;
    for (const auto& [name, value] : response.headers) {
        // Header values come from the server itself, never from a request, but a line break
        // would still split the response: drop any such header.
        if (name.find_first_of("\r\n:") != std::string::npos || value.find_first_of("\r\n") != std::string::npos)
            continue;
        cache_set = cache_set || name == "Cache-Control";
        out += name + ": " + value + "\r\n";
    }
    if (!cache_set && !streaming)
        out += "Cache-Control: no-store\r\n";
    add_security_headers(out);
    out += keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
    out += "\r\n";
    return out;
}

}  // namespace

class Connection;

struct HttpServer::Impl {
    HttpOptions options;
    Handler handler;
    LogSink log;
    // Declared before the io_context, so that connections destroyed with its queued handlers
    // can still unregister.
    std::mutex mutex;
    std::condition_variable changed;
    std::list<std::weak_ptr<Connection>> connections;  // under mutex
    std::atomic<size_t> open{0};
    std::atomic<bool> stopping{false};
    bool shut_down = false;

    net::io_context ioc;
    tcp::acceptor acceptor{ioc};
    uint16_t port = 0;
    std::unique_ptr<WorkerPool> pool;
    std::vector<std::thread> threads;
    std::optional<net::executor_work_guard<net::io_context::executor_type>> work;

    void accept();
    void forget(std::list<std::weak_ptr<Connection>>::iterator it) {
        {
            std::lock_guard lock(mutex);
            connections.erase(it);
            --open;
        }
        changed.notify_all();
    }
    void logf(LogLevel level, const std::string& text) const {
        if (log)
            log(level, text);
    }
};

// One client connection, driven on its own strand.
class Connection : public std::enable_shared_from_this<Connection> {
public:
    Connection(tcp::socket socket, HttpServer::Impl& server, std::string peer)
        : m_executor(socket.get_executor()), m_stream(std::move(socket)), m_server(server), m_peer(std::move(peer)) {}

    ~Connection() {
        if (m_registered)
            m_server.forget(m_self_entry);
    }

    void registered(std::list<std::weak_ptr<Connection>>::iterator entry) {
        m_self_entry = entry;
        m_registered = true;
    }

    void start() {
        net::dispatch(m_executor, [self = shared_from_this()] { self->read_request(); });
    }

    // From any thread: closes the connection if it waits for a request; `force` closes it
    // whatever it does, cancelling a stream. A WebSocket is asked to close (1001) either way,
    // and closed at once when forced.
    void close_from_outside(bool force) {
        net::post(m_executor, [self = shared_from_this(), force] {
            if (self->m_state == State::Socket) {
                if (force)
                    self->socket_gone();
                else
                    self->close_socket(websocket::close_code::going_away, "the server is stopping");
                return;
            }
            if (force || self->m_state == State::Idle)
                self->client_gone();
        });
    }

    // The transport's side of an upgraded socket, for its handler; holds the connection weakly.
    class Peer : public SocketPeer {
    public:
        explicit Peer(std::weak_ptr<Connection> connection) : m_connection(std::move(connection)) {}

        bool send(SocketMessage message) override {
            auto connection = m_connection.lock();
            if (!connection || connection->m_socket_ended)
                return false;
            const size_t size = message.bytes.size();
            if (connection->m_socket_queued.fetch_add(size) + size > connection->m_server.options.max_socket_queued_bytes) {
                connection->m_socket_queued -= size;
                return false;
            }
            net::post(connection->m_executor, [connection, message = std::move(message)]() mutable {
                connection->queue_socket_message(std::move(message));
            });
            return true;
        }

        void close(uint16_t code, std::string reason) override {
            if (auto connection = m_connection.lock()) {
                net::post(connection->m_executor, [connection, code, reason = std::move(reason)]() mutable {
                    connection->close_socket(code, std::move(reason));
                });
            }
        }

    private:
        std::weak_ptr<Connection> m_connection;
    };

    // Refuses the connection at once (too many open): a short 503.
    void refuse() {
        net::dispatch(m_executor, [self = shared_from_this()] {
            self->m_keep_alive = false;
            self->respond(error_response(503, "the server has too many open connections; try again shortly"));
        });
    }

private:
    enum class State { Idle, Busy, Streaming, Socket, Closed };

    void read_request() {
        if (m_server.stopping) {
            close();
            return;
        }
        m_state = State::Idle;
        m_parser.emplace();
        limit_request_parser(*m_parser, m_server.options);
        m_stream.expires_after(m_first_request ? m_server.options.request_timeout : m_server.options.idle_timeout);
        http::async_read(m_stream, m_buffer, *m_parser,
                         [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
    }

    void on_read(beast::error_code ec) {
        m_first_request = false;
        if (ec == http::error::end_of_stream || ec == net::error::eof || ec == beast::error::timeout ||
            ec == net::error::operation_aborted || ec == net::error::connection_reset) {
            close();
            return;
        }
        m_keep_alive = false;
        if (ec == http::error::body_limit) {
            respond(error_response(413, "the request body is larger than " +
                                            std::to_string(m_server.options.max_body_bytes) + " bytes"));
            return;
        }
        if (ec == http::error::header_limit) {
            respond(error_response(431, "the request headers are too large"));
            return;
        }
        if (ec) {
            if (ec.category() == http::make_error_code(http::error::bad_target).category())
                respond(error_response(400, "the request is not valid HTTP"));
            else
                close();
            return;
        }
        auto raw = m_parser->release();
        m_keep_alive = raw.keep_alive();
        if (websocket::is_upgrade(raw))
            m_upgrade.emplace(raw);
        auto request = to_request(std::move(raw), m_peer);
        if (!request) {
            m_keep_alive = false;
            respond(error_response(400, "the request target is not a valid path and query"));
            return;
        }
        m_stream.expires_never();
        m_state = State::Busy;
        auto self = shared_from_this();
        const bool admitted = m_server.pool->try_post([self, request = std::move(*request)]() mutable {
            Response response = self->call_handler(request);
            net::post(self->m_executor,
                      [self, response = std::move(response)]() mutable { self->respond(std::move(response)); });
        });
        if (!admitted) {
            m_keep_alive = false;
            respond(error_response(503, "the server is busy; try again shortly"));
        }
    }

    Response call_handler(Request& request) {
        try {
            return m_server.handler(request);
        } catch (const std::exception& e) {
            m_server.logf(LogLevel::Error, std::string("a request handler failed: ") + e.what());
        } catch (...) {
            m_server.logf(LogLevel::Error, "a request handler failed with an unknown exception");
        }
        return error_response(500, "the server could not complete the request; its log says why");
    }

    void respond(Response response) {
        if (m_state == State::Closed)
            return;
        if (response.socket && !m_upgrade)
            response = error_response(426, "this address speaks WebSocket only");
        if (response.socket) {
            start_socket(std::move(response.socket));
            return;
        }
        if (m_upgrade)
            m_keep_alive = false;
        if (response.stream) {
            start_stream(std::move(response));
            return;
        }
        if (m_server.stopping)
            m_keep_alive = false;
        auto bytes = std::make_shared<std::string>(head_of(response, response.body.size(), m_keep_alive, false));
        if (response.status != 204)
            *bytes += response.body;
        m_stream.expires_after(m_server.options.request_timeout);
        net::async_write(m_stream, net::buffer(*bytes),
                         [self = shared_from_this(), bytes, keep = m_keep_alive](beast::error_code ec, size_t) {
                             if (ec || !keep) {
                                 self->close();
                                 return;
                             }
                             self->read_request();
                         });
    }

    // --- streaming ---------------------------------------------------------------------

    void start_stream(Response response) {
        m_state = State::Streaming;
        m_keep_alive = false;
        m_source = response.stream;
        m_stream_head = std::move(response);
        m_stream_head.stream.reset();
        m_stream.expires_never();
        if (!m_source->holds_headers())
            send_headers();
        watch_for_close();
        std::weak_ptr<Connection> weak = weak_from_this();
        m_source->start([weak] {
            if (auto self = weak.lock())
                self->schedule_pull();
        });
    }

    void send_headers() {
        if (m_headers_sent)
            return;
        m_headers_sent = true;
        m_outbox.push_front(head_of(m_stream_head, 0, false, true));
    }

    // From any thread: one pull at a time, in order; a wake during a pull asks for another.
    void schedule_pull() {
        {
            std::lock_guard lock(m_pull_mutex);
            if (m_pulling) {
                m_pull_again = true;
                return;
            }
            m_pulling = true;
        }
        m_server.pool->post([self = shared_from_this()] { self->run_pulls(); });
    }

    void run_pulls() {
        for (;;) {
            EventSource::Chunk chunk = m_source->pull();
            const bool finished = chunk.finished || chunk.instead;
            net::post(m_executor,
                      [self = shared_from_this(), chunk = std::move(chunk)]() mutable { self->on_chunk(std::move(chunk)); });
            std::lock_guard lock(m_pull_mutex);
            if (m_pull_again && !finished) {
                m_pull_again = false;
                continue;
            }
            m_pulling = false;
            return;
        }
    }

    void on_chunk(EventSource::Chunk chunk) {
        if (m_state == State::Closed || m_source_finished)
            return;
        if (chunk.instead && !m_headers_sent) {
            m_source_finished = true;
            m_state = State::Busy;
            respond(std::move(*chunk.instead));
            return;
        }
        if (!chunk.bytes.empty()) {
            send_headers();
            m_outbox.push_back(std::move(chunk.bytes));
        }
        if (chunk.finished || chunk.instead) {
            m_source_finished = true;
            send_headers();
        }
        write_next();
    }

    void write_next() {
        if (m_writing || m_state == State::Closed)
            return;
        if (m_outbox.empty()) {
            if (m_source_finished)
                close();
            return;
        }
        m_writing = true;
        net::async_write(m_stream, net::buffer(m_outbox.front()),
                         [self = shared_from_this()](beast::error_code ec, size_t) {
                             self->m_writing = false;
                             if (ec) {
                                 self->client_gone();
                                 return;
                             }
                             self->m_outbox.pop_front();
                             self->write_next();
                         });
    }

    // A stream's client sends nothing more; a finished read means it closed the connection.
    void watch_for_close() {
        m_stream.socket().async_read_some(net::buffer(m_discard), [self = shared_from_this()](beast::error_code ec,
                                                                                              size_t) {
            if (ec) {
                self->client_gone();
                return;
            }
            self->watch_for_close();
        });
    }

    void client_gone() {
        if (m_source && !m_source_finished && !m_cancelled) {
            m_cancelled = true;
            // The engine stops now; storing what was sent waits for a worker. A crowd that hangs
            // up at once is thus stopped in one engine step, not one step per worker.
            m_source->stop();
            m_server.pool->post([source = m_source] { source->cancel(); });
        }
        close();
    }

    // --- WebSocket -----------------------------------------------------------------------

    void start_socket(std::shared_ptr<SocketHandler> handler) {
        m_state = State::Socket;
        m_socket_handler = std::move(handler);
        m_stream.expires_never();  // the WebSocket keeps its own timeouts
        m_socket.emplace(std::move(m_stream));
        m_socket->set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
        m_socket->read_message_max(m_server.options.max_socket_message_bytes);
        m_socket->async_accept(*m_upgrade, [self = shared_from_this()](beast::error_code ec) {
            if (ec) {
                self->socket_gone();
                return;
            }
            self->m_socket_accepted = true;
            self->m_socket_handler->opened(std::make_shared<Peer>(self->weak_from_this()));
            self->read_socket();
            self->write_socket();  // a close asked for while the handshake was being written
        });
    }

    void read_socket() {
        m_socket->async_read(m_socket_buffer, [self = shared_from_this()](beast::error_code ec, size_t) {
            if (ec) {
                self->socket_gone();
                return;
            }
            SocketMessage message{self->m_socket->got_binary(), beast::buffers_to_string(self->m_socket_buffer.data())};
            self->m_socket_buffer.consume(self->m_socket_buffer.size());
            if (!self->m_socket_ended)
                self->m_socket_handler->received(std::move(message));
            self->read_socket();
        });
    }

    void queue_socket_message(SocketMessage message) {
        if (m_socket_ended || m_socket_closing) {
            m_socket_queued -= message.bytes.size();
            return;
        }
        m_socket_outbox.push_back(std::move(message));
        write_socket();
    }

    // Nothing is written before the handshake's answer has gone out: a frame written during
    // it would be interleaved with the answer.
    void write_socket() {
        if (m_socket_writing || m_socket_ended || !m_socket_accepted)
            return;
        if (m_socket_outbox.empty()) {
            if (m_socket_closing && !m_socket_close_sent) {
                m_socket_close_sent = true;
                m_socket_writing = true;
                m_socket->async_close(m_close_reason, [self = shared_from_this()](beast::error_code ec) {
                    self->m_socket_writing = false;
                    if (ec)
                        self->socket_gone();
                    // Otherwise the read loop ends when the client answers the close.
                });
            }
            return;
        }
        m_socket_writing = true;
        m_socket->binary(m_socket_outbox.front().binary);
        m_socket->async_write(net::buffer(m_socket_outbox.front().bytes),
                              [self = shared_from_this()](beast::error_code ec, size_t) {
                                  self->m_socket_writing = false;
                                  self->m_socket_queued -= self->m_socket_outbox.front().bytes.size();
                                  self->m_socket_outbox.pop_front();
                                  if (ec) {
                                      self->socket_gone();
                                      return;
                                  }
                                  self->write_socket();
                              });
    }

    // Sends the close frame once what was queued before it is sent.
    void close_socket(uint16_t code, std::string reason) {
        if (m_state != State::Socket || m_socket_closing || m_socket_ended)
            return;
        if (!m_socket) {  // still upgrading: nothing to say the reason with
            socket_gone();
            return;
        }
        m_socket_closing = true;
        // A close frame's reason is at most 123 bytes.
        m_close_reason = websocket::close_reason(static_cast<websocket::close_code>(code), reason.substr(0, 123));
        write_socket();
    }

    // The socket is over, for whatever reason: the handler hears it once.
    void socket_gone() {
        if (m_socket_ended)
            return;
        m_socket_ended = true;
        if (m_socket_handler)
            m_socket_handler->closed();
        close();
    }

    void close() {
        if (m_state == State::Closed)
            return;
        if (m_state == State::Socket && !m_socket_ended) {
            socket_gone();  // which comes back here
            return;
        }
        m_state = State::Closed;
        beast::error_code ignored;
        tcp::socket& socket = m_socket ? beast::get_lowest_layer(*m_socket).socket() : m_stream.socket();
        socket.shutdown(tcp::socket::shutdown_both, ignored);
        socket.close(ignored);
    }

    net::any_io_executor m_executor;  // the connection's strand
    beast::tcp_stream m_stream;       // moved into m_socket on an upgrade
    HttpServer::Impl& m_server;
    const std::string m_peer;
    std::list<std::weak_ptr<Connection>>::iterator m_self_entry;
    bool m_registered = false;

    beast::flat_buffer m_buffer;
    std::optional<RequestParser> m_parser;
    State m_state = State::Idle;
    bool m_keep_alive = false;
    bool m_first_request = true;

    std::shared_ptr<EventSource> m_source;
    Response m_stream_head;
    std::deque<std::string> m_outbox;
    bool m_writing = false;
    bool m_headers_sent = false;
    bool m_source_finished = false;
    bool m_cancelled = false;
    std::array<char, 256> m_discard{};

    std::mutex m_pull_mutex;
    bool m_pulling = false;
    bool m_pull_again = false;

    std::optional<RawRequest> m_upgrade;  // a request to upgrade to a WebSocket
    std::optional<websocket::stream<beast::tcp_stream>> m_socket;
    std::shared_ptr<SocketHandler> m_socket_handler;
    beast::flat_buffer m_socket_buffer;
    std::deque<SocketMessage> m_socket_outbox;
    std::atomic<size_t> m_socket_queued{0};  // bytes accepted by Peer::send and not yet written
    std::atomic<bool> m_socket_ended{false};
    bool m_socket_accepted = false;  // the handshake was answered
    bool m_socket_writing = false;
    bool m_socket_closing = false;
    bool m_socket_close_sent = false;
    websocket::close_reason m_close_reason;
};

void HttpServer::Impl::accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
        if (ec) {
            if (!stopping && ec != net::error::operation_aborted) {
                logf(LogLevel::Warning, "accepting a connection failed: " + ec.message());
                accept();
            }
            return;
        }
        beast::error_code peer_ec;
        const auto remote = socket.remote_endpoint(peer_ec);
        const std::string peer = peer_ec ? std::string() : remote.address().to_string();
        auto connection = std::make_shared<Connection>(std::move(socket), *this, peer);
        bool too_many = false;
        {
            std::lock_guard lock(mutex);
            too_many = open.load() >= options.max_connections;
            connections.push_front(connection);
            ++open;
            connection->registered(connections.begin());
        }
        if (too_many)
            connection->refuse();
        else
            connection->start();
        if (!stopping)
            accept();
    });
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

HttpServer::~HttpServer() {
    shutdown(std::chrono::milliseconds(0));
}

ErrorOr<std::unique_ptr<HttpServer>> HttpServer::start(const HttpOptions& options, Handler handler, LogSink log) {
    auto impl = std::make_unique<Impl>();
    impl->options = options;
    impl->handler = std::move(handler);
    impl->log = std::move(log);
    boost::system::error_code ec;
    const std::string host = options.host == "localhost" ? "127.0.0.1" : options.host;
    const auto address = net::ip::make_address(host, ec);
    if (ec)
        return make_error(ErrorKind::InvalidInput,
                          "'" + options.host + "' is not an IP address to listen on (try 127.0.0.1 or 0.0.0.0)");
    const tcp::endpoint endpoint(address, options.port);
    impl->acceptor.open(endpoint.protocol(), ec);
    if (!ec)
        impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec)
        impl->acceptor.bind(endpoint, ec);
    if (!ec)
        impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
        std::string hint = ec == net::error::address_in_use ? "; another program uses it: choose another --port"
                           : ec == net::error::access_denied ? "; ports below 1024 need privileges: choose another --port"
                                                             : "";
        return make_error(ErrorKind::Unavailable, "cannot listen on " + host + ":" + std::to_string(options.port) +
                                                      ": " + ec.message() + hint);
    }
    impl->port = impl->acceptor.local_endpoint().port();
    impl->pool = std::make_unique<WorkerPool>(options.workers, options.queued_requests, impl->log);
    impl->work.emplace(impl->ioc.get_executor());
    impl->accept();
    for (size_t i = 0; i < std::max<size_t>(options.io_threads, 1); ++i) {
        impl->threads.emplace_back([raw = impl.get()] {
            for (;;) {
                try {
                    raw->ioc.run();
                    return;
                } catch (const std::exception& e) {
                    raw->logf(LogLevel::Error, std::string("a network handler failed: ") + e.what());
                }
            }
        });
    }
    return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

uint16_t HttpServer::port() const {
    return m_impl->port;
}

const std::string& HttpServer::host() const {
    return m_impl->options.host;
}

size_t HttpServer::open_connections() const {
    return m_impl->open.load();
}

void HttpServer::shutdown(std::chrono::milliseconds grace) {
    Impl& s = *m_impl;
    if (s.shut_down)
        return;
    s.shut_down = true;
    s.stopping = true;
    net::post(s.acceptor.get_executor(), [&s] {
        beast::error_code ignored;
        s.acceptor.close(ignored);
    });
    const auto each_connection = [&s](bool force) {
        std::vector<std::shared_ptr<Connection>> live;
        {
            std::lock_guard lock(s.mutex);
            for (auto& weak : s.connections) {
                if (auto connection = weak.lock())
                    live.push_back(std::move(connection));
            }
        }
        for (auto& connection : live)
            connection->close_from_outside(force);
    };
    each_connection(false);
    {
        std::unique_lock lock(s.mutex);
        s.changed.wait_for(lock, grace, [&s] { return s.open.load() == 0; });
    }
    each_connection(true);
    {
        // Streams cancelled just now store what they delivered on a worker; give that a moment.
        std::unique_lock lock(s.mutex);
        s.changed.wait_for(lock, std::chrono::seconds(5), [&s] { return s.open.load() == 0; });
    }
    s.work.reset();
    s.ioc.stop();
    for (std::thread& thread : s.threads)
        thread.join();
    s.threads.clear();
    s.pool.reset();  // finishes the work that was queued
}

}  // namespace os1::server
