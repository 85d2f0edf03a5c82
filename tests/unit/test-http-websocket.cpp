// WebSocket upgrades in the HTTP transport (server/http-server.h), with Beast's own client: a
// handler's response that carries a SocketHandler upgrades the connection, messages flow both
// ways in order, the limits hold, and stopping the server closes the socket with 1001.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "server/http-errors.h"
#include "server/http-server.h"
#include "support/http-client.h"

namespace {

using namespace os1;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// Sends every message back, text or binary as it came; records that it was closed.
class Echo : public server::SocketHandler {
public:
    void opened(std::shared_ptr<server::SocketPeer> peer) override {
        std::lock_guard lock(m_mutex);
        m_peer = std::move(peer);
    }
    void received(server::SocketMessage message) override {
        std::lock_guard lock(m_mutex);
        if (message.bytes == "close please")
            m_peer->close(4000, "as asked");
        else
            m_peer->send(std::move(message));
    }
    void closed() override {
        std::lock_guard lock(m_mutex);
        m_closed = true;
        m_changed.notify_all();
    }
    bool wait_closed() {
        std::unique_lock lock(m_mutex);
        return m_changed.wait_for(lock, std::chrono::seconds(30), [&] { return m_closed; });
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::shared_ptr<server::SocketPeer> m_peer;
    bool m_closed = false;
};

class HttpWebSocket : public ::testing::Test {
protected:
    void SetUp() override {
        server::HttpOptions options;
        options.port = 0;
        options.max_socket_message_bytes = 1024;
        auto started = server::HttpServer::start(
            options,
            [this](server::Request& request) {
                if (request.path != "/socket")
                    return server::error_response(404, "nothing here");
                server::Response response;
                response.socket = m_echo;
                return response;
            },
            {});
        ASSERT_TRUE(started) << started.error().message;
        m_server = started.release_value();
    }

    // A client socket, upgraded at `path`.
    std::unique_ptr<websocket::stream<tcp::socket>> connect(const std::string& path = "/socket") {
        auto socket = std::make_unique<websocket::stream<tcp::socket>>(m_io);
        tcp::resolver resolver(m_io);
        net::connect(socket->next_layer(), resolver.resolve("127.0.0.1", std::to_string(m_server->port())));
        socket->handshake("127.0.0.1:" + std::to_string(m_server->port()), path);
        return socket;
    }

    net::io_context m_io;
    std::shared_ptr<Echo> m_echo = std::make_shared<Echo>();
    std::unique_ptr<server::HttpServer> m_server;
};

TEST_F(HttpWebSocket, MessagesGoBothWaysInOrder) {
    auto socket = connect();
    for (int i = 0; i < 20; ++i) {
        const bool binary = i % 2 == 0;
        const std::string sent = (binary ? std::string("\0\x01\xff", 3) : "text ") + std::to_string(i);
        socket->binary(binary);
        socket->write(net::buffer(sent));
        beast::flat_buffer buffer;
        socket->read(buffer);
        EXPECT_EQ(socket->got_binary(), binary);
        EXPECT_EQ(beast::buffers_to_string(buffer.data()), sent);
    }
    socket->close(websocket::close_code::normal);
    EXPECT_TRUE(m_echo->wait_closed());
}

TEST_F(HttpWebSocket, TheHandlerClosesWithItsCodeAndReason) {
    auto socket = connect();
    socket->text(true);
    socket->write(net::buffer(std::string("close please")));
    beast::flat_buffer buffer;
    beast::error_code ec;
    socket->read(buffer, ec);
    EXPECT_EQ(ec, websocket::error::closed);
    EXPECT_EQ(socket->reason().code, 4000);
    EXPECT_EQ(std::string(socket->reason().reason.c_str()), "as asked");
    EXPECT_TRUE(m_echo->wait_closed());
}

TEST_F(HttpWebSocket, AMessageOverTheLimitClosesTheSocket) {
    auto socket = connect();
    socket->binary(true);
    socket->write(net::buffer(std::string(4096, 'x')));
    beast::flat_buffer buffer;
    beast::error_code ec;
    socket->read(buffer, ec);
    EXPECT_TRUE(ec);
    EXPECT_TRUE(m_echo->wait_closed());
}

TEST_F(HttpWebSocket, APlainRequestForASocketIsAnswered426) {
    const auto reply = test::http_request(m_server->port(), "GET", "/socket");
    EXPECT_EQ(reply.status, 426);
    // And a socket asked of a route that has none gets that route's answer.
    EXPECT_THROW(connect("/elsewhere"), boost::system::system_error);
}

TEST_F(HttpWebSocket, StoppingTheServerClosesSocketsAsGoingAway) {
    auto socket = connect();
    // The server waits for the client to answer its close, as a browser does at once.
    std::thread stopper([&] { m_server->shutdown(std::chrono::seconds(30)); });
    beast::flat_buffer buffer;
    beast::error_code ec;
    socket->read(buffer, ec);
    stopper.join();
    EXPECT_EQ(ec, websocket::error::closed);
    EXPECT_EQ(socket->reason().code, websocket::close_code::going_away);
    EXPECT_TRUE(m_echo->wait_closed());
}

}  // namespace
