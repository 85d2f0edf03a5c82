// One streamed chat completion against an OpenAI-compatible server (os1 serve or llama.cpp's
// llama-server), timed from the moment the request is written: the time to the first chunk
// that carries content, the reply's text, and its token count from the usage chunk (or, when
// the server sends none, the number of content chunks). A coroutine on the caller's
// io_context; every failure is reported in the outcome, nothing is thrown.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "llm/llm.h"

namespace os1::loadtest {

struct ChatCall {
    std::string bearer;  // empty: no Authorization header
    std::string model;
    std::vector<llm::Message> messages;
    int32_t max_tokens = 32;
    uint32_t seed = 1;
};

struct ChatOutcome {
    int status = 0;       // the HTTP status; 0 when no response arrived
    std::string error;    // empty when the reply streamed to its end
    std::string text;     // the reply's content, as the client saw it
    double ttft_ms = 0;   // to the first chunk with content; 0 when none came
    double total_ms = 0;  // to the end of the stream
    int32_t completion_tokens = 0;
    int32_t prompt_tokens = 0;
    int32_t cached_tokens = 0;  // prompt tokens the server served from its cache, when it says
    bool usage_seen = false;  // the tokens came from a usage chunk, not from counting chunks

    bool ok() const { return error.empty(); }
};

// The request body: streamed, with usage, greedy (temperature 0), `seed` and `max_tokens`.
std::string chat_body(const ChatCall& call);

boost::asio::awaitable<ChatOutcome> stream_chat(boost::asio::ip::tcp::endpoint server, ChatCall call,
                                                std::chrono::milliseconds timeout);

}  // namespace os1::loadtest
