#include "loadtest/chat-stream.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "llm/sse-parser.h"

namespace os1::loadtest {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto k_await = net::as_tuple(net::use_awaitable);

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Reads one SSE payload into `out`; true once the stream has said it is done.
bool take_payload(const std::string& data, ChatOutcome& out, Clock::time_point start, int32_t& content_chunks) {
    if (data == "[DONE]")
        return true;
    const json chunk = json::parse(data, nullptr, false);
    if (chunk.is_discarded() || !chunk.is_object()) {
        out.error = "the stream carried a chunk that is not JSON";
        return true;
    }
    if (auto error = chunk.find("error"); error != chunk.end()) {
        out.error = "the stream ended with an error: " + error->dump();
        return true;
    }
    if (auto usage = chunk.find("usage"); usage != chunk.end() && usage->is_object()) {
        out.completion_tokens = usage->value("completion_tokens", 0);
        out.prompt_tokens = usage->value("prompt_tokens", 0);
        if (auto details = usage->find("prompt_tokens_details"); details != usage->end() && details->is_object())
            out.cached_tokens = details->value("cached_tokens", 0);
        out.usage_seen = true;
    }
    auto choices = chunk.find("choices");
    if (choices == chunk.end() || !choices->is_array() || choices->empty())
        return false;
    const json& delta = (*choices)[0].value("delta", json::object());
    auto content = delta.find("content");
    if (content == delta.end() || !content->is_string() || content->get_ref<const std::string&>().empty())
        return false;
    if (out.text.empty())
        out.ttft_ms = ms_since(start);
    out.text += content->get_ref<const std::string&>();
    ++content_chunks;
    return false;
}

}  // namespace

std::string chat_body(const ChatCall& call) {
    json messages = json::array();
    for (const llm::Message& message : call.messages)
        messages.push_back({{"role", message.role}, {"content", message.content}});
    const json body = {{"model", call.model},
                       {"messages", std::move(messages)},
                       {"stream", true},
                       {"stream_options", {{"include_usage", true}}},
                       {"max_tokens", call.max_tokens},
                       {"temperature", 0},
                       {"seed", call.seed}};
    return body.dump();
}

net::awaitable<ChatOutcome> stream_chat(net::ip::tcp::endpoint server, ChatCall call,
                                        std::chrono::milliseconds timeout) {
    ChatOutcome out;
    beast::tcp_stream stream(co_await net::this_coro::executor);
    stream.expires_after(timeout);
    if (auto [ec] = co_await stream.async_connect(server, k_await); ec) {
        out.error = "cannot connect to " + server.address().to_string() + ":" + std::to_string(server.port()) + ": " +
                    ec.message();
        co_return out;
    }
    http::request<http::string_body> request{http::verb::post, "/v1/chat/completions", 11};
    request.set(http::field::host, server.address().to_string() + ":" + std::to_string(server.port()));
    request.set(http::field::content_type, "application/json");
    request.set(http::field::accept, "text/event-stream");
    if (!call.bearer.empty())
        request.set(http::field::authorization, "Bearer " + call.bearer);
    request.keep_alive(false);
    request.body() = chat_body(call);
    request.prepare_payload();

    const Clock::time_point start = Clock::now();
    if (auto [ec, n] = co_await http::async_write(stream, request, k_await); ec) {
        out.error = "sending the request failed: " + ec.message();
        co_return out;
    }
    beast::flat_buffer buffer;
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(boost::none);
    if (auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, k_await); ec) {
        out.error = "no response: " + ec.message();
        co_return out;
    }
    out.status = int(parser.get().result_int());
    std::string error_body;
    llm::SseParser sse;
    int32_t content_chunks = 0;
    bool done = false;
    char piece[8192];
    while (!parser.is_done()) {
        parser.get().body().data = piece;
        parser.get().body().size = sizeof piece;
        // Whatever has arrived, not a full piece: a chunk is timed when it comes.
        auto [ec, n] = co_await http::async_read_some(stream, buffer, parser, k_await);
        if (ec == http::error::need_buffer)
            ec = {};
        if (ec) {
            out.error = "the stream broke off: " + ec.message();
            break;
        }
        const std::string_view bytes(piece, sizeof piece - parser.get().body().size);
        if (out.status != 200) {
            error_body.append(
                bytes.substr(0, std::min<size_t>(bytes.size(), 2048 - std::min<size_t>(2048, error_body.size()))));
            continue;
        }
        auto events = sse.feed(bytes);
        if (events.is_error()) {
            out.error = events.error().message;
            break;
        }
        for (const llm::SseEvent& event : events.value()) {
            if (!done)
                done = take_payload(event.data, out, start, content_chunks);
        }
    }
    out.total_ms = ms_since(start);
    if (out.status != 200) {
        out.error = "HTTP " + std::to_string(out.status) + ": " + error_body;
    } else if (out.error.empty() && !done) {
        out.error = "the stream ended without [DONE]";
    }
    if (!out.usage_seen)
        out.completion_tokens = content_chunks;
    beast::error_code ignored;
    stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    co_return out;
}

}  // namespace os1::loadtest
