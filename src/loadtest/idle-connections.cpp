#include "loadtest/idle-connections.h"

#include <mutex>
#include <optional>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "loadtest/chat-stream.h"
#include "loadtest/load-driver.h"

namespace os1::loadtest {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {
constexpr auto k_await = net::as_tuple(net::use_awaitable);
}

struct IdleConnections::Impl {
    IdleOptions options;
    tcp::endpoint server;
    net::io_context io;
    std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
    std::thread thread;
    // The io thread alone touches these.
    std::vector<std::shared_ptr<beast::tcp_stream>> streams;
    bool stopping = false;

    std::atomic<int32_t> open{0}, streaming{0}, refused{0}, failed{0}, finished{0};
    std::atomic<int32_t> settled{0};  // connections that hold a request, failed or finished
    mutable std::mutex failure_mutex;
    std::string first_failure;

    void fail(const std::string& what) {
        ++failed;
        std::lock_guard lock(failure_mutex);
        if (first_failure.empty())
            first_failure = what;
    }

    net::awaitable<void> hold(size_t index);
};

net::awaitable<void> IdleConnections::Impl::hold(size_t index) {
    ChatCall call;
    call.bearer = options.bearers[index % options.bearers.size()];
    call.model = options.model;
    call.messages = {{"user", user_message(int32_t(index), 0)}};
    call.max_tokens = options.max_tokens;
    const std::string body = chat_body(call);
    const std::string host = server.address().to_string() + ":" + std::to_string(server.port());
    bool counted_settled = false;
    const auto settle = [&] {
        if (!counted_settled) {
            counted_settled = true;
            ++settled;
        }
    };
    while (!stopping) {
        auto stream = std::make_shared<beast::tcp_stream>(io);
        streams[index] = stream;
        if (auto [ec] = co_await stream->async_connect(server, k_await); ec) {
            if (!stopping) {
                fail("cannot connect: " + ec.message());
                settle();
            }
            co_return;
        }
        http::request<http::string_body> request{http::verb::post, "/v1/chat/completions", 11};
        request.set(http::field::host, host);
        request.set(http::field::content_type, "application/json");
        if (!call.bearer.empty())
            request.set(http::field::authorization, "Bearer " + call.bearer);
        request.keep_alive(false);
        request.body() = body;
        request.prepare_payload();
        if (auto [ec, n] = co_await http::async_write(*stream, request, k_await); ec) {
            if (!stopping) {
                fail("sending the request failed: " + ec.message());
                settle();
            }
            co_return;
        }
        ++open;
        settle();
        beast::flat_buffer buffer;
        http::response_parser<http::buffer_body> parser;
        parser.body_limit(boost::none);
        auto [ec, n] = co_await http::async_read_header(*stream, buffer, parser, k_await);
        if (ec) {  // hung up by close(), or by the server
            --open;
            co_return;
        }
        const unsigned status = parser.get().result_int();
        if (status == 503 || status == 429) {
            --open;
            ++refused;
            --settled;
            counted_settled = false;
            beast::error_code ignored;
            stream->socket().close(ignored);
            net::steady_timer pause(io, options.retry_pause);
            co_await pause.async_wait(k_await);
            continue;
        }
        if (status != 200) {
            --open;
            fail("HTTP " + std::to_string(status));
            co_return;
        }
        ++streaming;
        char piece[4096];
        while (!parser.is_done()) {
            parser.get().body().data = piece;
            parser.get().body().size = sizeof piece;
            auto [read_ec, read_n] = co_await http::async_read(*stream, buffer, parser, k_await);
            if (read_ec == http::error::need_buffer)
                continue;
            if (read_ec)
                break;
        }
        --streaming;
        --open;
        if (parser.is_done())
            ++finished;
        co_return;
    }
}

IdleConnections::IdleConnections(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

IdleConnections::~IdleConnections() {
    close();
}

ErrorOr<std::unique_ptr<IdleConnections>> IdleConnections::open(IdleOptions options) {
    boost::system::error_code ec;
    const auto address = net::ip::make_address(options.host, ec);
    if (ec)
        return make_error(ErrorKind::InvalidInput, "'" + options.host + "' is not an IP address");
    if (options.bearers.empty())
        options.bearers.push_back("");
    auto impl = std::make_unique<Impl>();
    impl->server = tcp::endpoint(address, options.port);
    impl->options = std::move(options);
    impl->streams.resize(size_t(std::max(impl->options.connections, 0)));
    impl->work.emplace(impl->io.get_executor());
    Impl* raw = impl.get();
    for (size_t i = 0; i < raw->streams.size(); ++i)
        net::co_spawn(raw->io, raw->hold(i), net::detached);
    raw->thread = std::thread([raw] { raw->io.run(); });
    return std::unique_ptr<IdleConnections>(new IdleConnections(std::move(impl)));
}

IdleCounts IdleConnections::counts() const {
    const Impl& s = *m_impl;
    std::lock_guard lock(s.failure_mutex);
    return {s.open.load(), s.streaming.load(), s.refused.load(), s.failed.load(), s.finished.load(), s.first_failure};
}

bool IdleConnections::wait_until_open(std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (m_impl->settled.load() < m_impl->options.connections) {
        if (std::chrono::steady_clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

void IdleConnections::close() {
    Impl& s = *m_impl;
    if (!s.thread.joinable())
        return;
    net::post(s.io, [&s] {
        s.stopping = true;
        for (auto& stream : s.streams) {
            if (!stream)
                continue;
            beast::error_code ignored;
            stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
            stream->socket().close(ignored);
        }
    });
    s.work.reset();
    s.thread.join();
}

}  // namespace os1::loadtest
