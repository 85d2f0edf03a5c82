// Unit tests of the load driver's streamed chat client against a scripted server on loopback:
// a chunk is timed when it arrives, not when the client's read buffer fills or the stream ends.
#include <array>
#include <chrono>
#include <string>
#include <thread>

#include <boost/asio.hpp>
#include <gtest/gtest.h>

#include "loadtest/chat-stream.h"

namespace {

namespace net = boost::asio;
using net::ip::tcp;
using namespace std::chrono_literals;

std::string sse(const std::string& content) {
    return "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + content + "\"}}]}\n\n";
}

// Accepts one connection, reads the request, and answers with a first content chunk, then,
// `pause` later, the rest of a short reply: far less than any read buffer, as a 32-token reply is.
void serve_one(tcp::acceptor& acceptor, std::chrono::milliseconds pause) {
    tcp::socket socket = acceptor.accept();
    net::streambuf request;
    net::read_until(socket, request, "\r\n\r\n");
    net::write(socket, net::buffer(std::string("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                                               "Connection: close\r\n\r\n") +
                                   sse("Hello")));
    std::this_thread::sleep_for(pause);  // the model computing the next tokens
    net::write(socket, net::buffer(sse(" there") + "data: [DONE]\n\n"));
    boost::system::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
}

TEST(ChatStream, TheFirstChunkIsTimedWhenItArrives) {
    net::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    const tcp::endpoint server = acceptor.local_endpoint();
    constexpr auto pause = 600ms;
    std::thread answering([&] { serve_one(acceptor, pause); });

    os1::loadtest::ChatOutcome outcome;
    net::co_spawn(io, os1::loadtest::stream_chat(server, {.model = "m", .messages = {{"user", "hi"}}}, 30s),
                  [&](std::exception_ptr failure, os1::loadtest::ChatOutcome result) {
                      ASSERT_FALSE(failure);
                      outcome = std::move(result);
                  });
    io.run();
    answering.join();

    ASSERT_TRUE(outcome.ok()) << outcome.error;
    EXPECT_EQ(outcome.text, "Hello there");
    EXPECT_EQ(outcome.completion_tokens, 2);
    EXPECT_GE(outcome.total_ms, double(pause.count()));
    // The first chunk came a whole pause before the end.
    EXPECT_LT(outcome.ttft_ms, outcome.total_ms - double(pause.count()) / 2);
}

}  // namespace
