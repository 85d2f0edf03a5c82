// The remote backend: talks to an OpenAI-compatible server (llama-server, vLLM, Ollama, ...)
// over HTTP with libcurl and streams replies as server-sent events. Each submitted request
// runs on its own worker thread, which owns its curl handle; the destructor cancels and
// joins them all.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <exception>
#include <list>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/handles.h"
#include "core/utf8.h"
#include "llm/llm.h"
#include "llm/sse-parser.h"
#include "llm/stop-matcher.h"

namespace os1::llm {

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr size_t max_body_bytes = 8u << 20;        // a /models listing or a whole non-streamed reply
constexpr size_t max_error_body_bytes = 64u << 10;  // the body of an HTTP error
constexpr uint32_t random_seed = 0xFFFFFFFF;

// llama-server takes llama.cpp's own sampling fields (min_p, repeat_penalty); strict servers
// such as OpenAI's reject fields they do not know, so those only get the standard ones.
enum class ServerFlavor { Generic, LlamaCpp };

// What every request needs; fixed once open_openai_backend succeeds, shared by the workers.
struct Connection {
    std::string base_url;  // without a trailing '/'
    std::string api_key;
    std::string model;
    ServerFlavor flavor = ServerFlavor::Generic;
    std::chrono::seconds timeout{300};
    int32_t context_size = 0;
};

void init_curl_once() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string lowercase(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// A short, printable excerpt of a body for error messages.
std::string excerpt(std::string_view text, size_t limit = 120) {
    std::string out;
    for (char c : text.substr(0, limit)) {
        unsigned char u = static_cast<unsigned char>(c);
        out.push_back(u < 0x20 || u == 0x7F ? ' ' : c);
    }
    while (!out.empty() && out.back() == ' ')
        out.pop_back();
    if (text.size() > limit)
        out += "...";
    return out;
}

// The server's own words from an error body: OpenAI's {"error": {"message": ...}}, or a
// variant, or the start of the raw body.
std::string server_error_message(std::string_view body) {
    json parsed = json::parse(body, nullptr, false);
    if (parsed.is_object()) {
        const json* error = parsed.contains("error") ? &parsed["error"] : &parsed;
        if (error->is_string())
            return error->get<std::string>();
        if (error->is_object() && error->contains("message") && (*error)["message"].is_string())
            return (*error)["message"].get<std::string>();
    }
    std::string raw = excerpt(body);
    return raw.empty() ? "empty body" : raw;
}

std::string describe_http_error(const std::string& url, long status, std::string_view body, bool has_key) {
    std::string message = url + ": HTTP " + std::to_string(status) + " (" + server_error_message(body) + ")";
    if (status == 401 || status == 403)
        return message + (has_key ? "; the server rejected the api key, check it"
                                  : "; the server wants an api key, set one");
    if (status == 404)
        return message + "; check the base url, which usually ends in /v1";
    if (status == 503)
        return message + "; the server is busy or still loading its model, try again shortly";
    return message;
}

int32_t json_int(const json& object, const char* key, int32_t fallback = 0) {
    if (!object.is_object() || !object.contains(key) || !object[key].is_number())
        return fallback;
    return object[key].get<int32_t>();
}

double json_double(const json& object, const char* key, double fallback = 0) {
    if (!object.is_object() || !object.contains(key) || !object[key].is_number())
        return fallback;
    return object[key].get<double>();
}

// One HTTP transfer: the curl handle with the options every request shares.
class Transfer {
public:
    Transfer() = default;
    Transfer(const Transfer&) = delete;
    Transfer& operator=(const Transfer&) = delete;

    ErrorOr<void> init(const Connection& connection, std::string url) {
        m_url = std::move(url);
        m_has_key = !connection.api_key.empty();
        m_curl.reset(curl_easy_init());
        if (!m_curl)
            return make_error(m_url + ": cannot create a curl handle (out of memory?)");
        CURL* curl = m_curl.get();
        if (!add_header("Content-Type: application/json") || !add_header("Accept: application/json, text/event-stream"))
            return make_error(m_url + ": cannot build request headers (out of memory?)");
        if (m_has_key && !add_header("Authorization: Bearer " + connection.api_key))
            return make_error(m_url + ": cannot build request headers (out of memory?)");
        long connect_timeout = static_cast<long>(std::clamp<int64_t>(connection.timeout.count(), 1, 30));
        curl_easy_setopt(curl, CURLOPT_URL, m_url.c_str());
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, m_headers.get());
        curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, m_error);
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, connect_timeout);
        curl_easy_setopt(curl, CURLOPT_USERAGENT, "os1");
        return {};
    }

    CURL* handle() const { return m_curl.get(); }
    const std::string& url() const { return m_url; }
    bool has_key() const { return m_has_key; }

    long status() const {
        long status = 0;
        curl_easy_getinfo(m_curl.get(), CURLINFO_RESPONSE_CODE, &status);
        return status;
    }

    std::string content_type() const {
        char* type = nullptr;
        curl_easy_getinfo(m_curl.get(), CURLINFO_CONTENT_TYPE, &type);
        return type ? lowercase(type) : std::string();
    }

    // A failed curl_easy_perform as a message that says what to check.
    std::string describe_failure(CURLcode code) const {
        std::string detail = m_error[0] ? std::string(m_error) : std::string(curl_easy_strerror(code));
        while (!detail.empty() && (detail.back() == '\n' || detail.back() == ' '))
            detail.pop_back();
        switch (code) {
        case CURLE_COULDNT_CONNECT:
            return m_url + ": cannot connect (" + detail + "); check that the server is running and that the base url's host and port are right";
        case CURLE_COULDNT_RESOLVE_HOST:
            return m_url + ": unknown host (" + detail + "); check the base url";
        case CURLE_URL_MALFORMAT:
        case CURLE_UNSUPPORTED_PROTOCOL:
            return m_url + ": not a usable url (" + detail + "); use for example http://127.0.0.1:8080/v1";
        case CURLE_OPERATION_TIMEDOUT:
            return m_url + ": timed out (" + detail + "); the server is not answering, check it or raise the timeout";
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CONNECT_ERROR:
            return m_url + ": tls failed (" + detail + "); check the server's certificate and the url's scheme";
        case CURLE_GOT_NOTHING:
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_PARTIAL_FILE:
            return m_url + ": the connection broke (" + detail + "); check that the server is still running";
        default:
            return m_url + ": request failed (" + detail + ")";
        }
    }

private:
    bool add_header(const std::string& header) {
        curl_slist* grown = curl_slist_append(m_headers.get(), header.c_str());
        if (!grown)
            return false;
        (void)m_headers.release();  // curl_slist_append returned the same list or a new head
        m_headers.reset(grown);
        return true;
    }

    CurlPtr m_curl;
    CurlSlistPtr m_headers;
    std::string m_url;
    bool m_has_key = false;
    char m_error[CURL_ERROR_SIZE] = {};
};

struct BodySink {
    std::string body;
    size_t limit = max_body_bytes;
    bool overflowed = false;
};

size_t write_body(char* data, size_t size, size_t count, void* user) noexcept {
    auto* sink = static_cast<BodySink*>(user);
    size_t bytes = size * count;
    if (sink->body.size() + bytes > sink->limit) {
        sink->overflowed = true;
        return 0;
    }
    try {
        sink->body.append(data, bytes);
    } catch (...) {
        return 0;
    }
    return bytes;
}

// GET `url`; returns the body of a 2xx answer, or an error that says why not.
ErrorOr<std::string> http_get(const Connection& connection, const std::string& url) {
    Transfer transfer;
    OS1_TRY(transfer.init(connection, url));
    BodySink sink;
    CURL* curl = transfer.handle();
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, static_cast<long>(connection.timeout.count()));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    CURLcode code = curl_easy_perform(curl);
    if (sink.overflowed)
        return make_error(transfer.url() + ": the answer is larger than " + std::to_string(sink.limit) +
                          " bytes; check that the base url points at an OpenAI-compatible API");
    if (code != CURLE_OK)
        return make_error(transfer.describe_failure(code));
    long status = transfer.status();
    if (status < 200 || status >= 300)
        return make_error(describe_http_error(transfer.url(), status, sink.body, transfer.has_key()));
    return std::move(sink.body);
}

ErrorOr<json> parse_json_answer(const std::string& url, const std::string& body) {
    json parsed = json::parse(body, nullptr, false);
    if (parsed.is_discarded())
        return make_error(url + ": the answer is not JSON (starts with \"" + excerpt(body, 60) +
                          "\"); check that the base url points at an OpenAI-compatible API, usually ending in /v1");
    return parsed;
}

int32_t estimate_tokens(const Message& message) {
    // About four bytes a token, plus the chat template's role markers.
    return static_cast<int32_t>(message.content.size() / 4) + 4;
}

// Drops the oldest non-system messages until the estimated prompt fits `budget` tokens. The
// last message always stays, and the first kept non-system message is a user turn, as strict
// chat templates demand. Returns how many messages were dropped.
int32_t fit_to_context(std::vector<Message>& messages, int32_t budget) {
    int64_t total = 0;
    for (const auto& message : messages)
        total += estimate_tokens(message);
    if (total <= budget)
        return 0;

    std::vector<bool> dropped(messages.size(), false);
    int32_t count = 0;
    size_t last = messages.size() - 1;
    for (size_t i = 0; i < last && total > budget; ++i) {
        if (messages[i].role == "system")
            continue;
        dropped[i] = true;
        total -= estimate_tokens(messages[i]);
        ++count;
    }
    if (count == 0)
        return 0;
    for (size_t i = 0; i < last; ++i) {
        if (dropped[i] || messages[i].role == "system")
            continue;
        if (messages[i].role == "user")
            break;
        dropped[i] = true;
        ++count;
    }

    std::vector<Message> kept;
    kept.reserve(messages.size() - count);
    for (size_t i = 0; i < messages.size(); ++i) {
        if (!dropped[i])
            kept.push_back(std::move(messages[i]));
    }
    messages = std::move(kept);
    return count;
}

json build_request_body(const Connection& connection, const ChatRequest& request) {
    json messages = json::array();
    for (const auto& message : request.messages)
        messages.push_back({{"role", message.role}, {"content", message.content}});

    const SamplingParams& sampling = request.sampling;
    json body = {
        {"model", connection.model},
        {"messages", std::move(messages)},
        {"stream", true},
        {"stream_options", {{"include_usage", true}}},
        {"temperature", std::max(0.0f, sampling.temperature)},
        {"top_p", sampling.top_p},
    };
    if (sampling.seed != random_seed)
        body["seed"] = sampling.seed;
    if (sampling.max_tokens > 0)
        body["max_tokens"] = sampling.max_tokens;
    if (!request.stop.empty())
        body["stop"] = request.stop;
    if (connection.flavor == ServerFlavor::LlamaCpp) {
        body["min_p"] = sampling.min_p;
        body["repeat_penalty"] = sampling.repeat_penalty;
        body["repeat_last_n"] = sampling.repeat_last_n;
        body["cache_prompt"] = true;
    }
    return body;
}

// Everything one streamed reply needs while curl calls back into it.
struct Stream {
    Stream(std::shared_ptr<Reply> reply_, Clock::time_point submitted_)
        : reply(std::move(reply_)), submitted(submitted_) {}

    std::shared_ptr<Reply> reply;
    Transfer* transfer = nullptr;
    Clock::time_point submitted;

    enum class Body { Unknown, Events, Json, Error };
    Body body_kind = Body::Unknown;
    SseParser parser;
    Utf8Buffer utf8;
    // The server is asked to stop at the stop strings too; this catches one that ignores them.
    StopMatcher stop;
    std::string raw_body;  // Json and Error bodies, read whole

    bool aborted_by_cancel = false;
    std::string error;     // a failure found while reading, reported after the transfer
    bool saw_done = false;
    std::string finish_reason;

    int32_t text_chunks = 0;
    std::optional<Clock::time_point> first_token;
    Clock::time_point last_token;
    json usage;
    json timings;  // llama-server's own statistics
};

void push_content(Stream& stream, std::string_view content) {
    if (content.empty() || stream.stop.stopped())
        return;
    ++stream.text_chunks;
    std::string text = stream.utf8.push(content);
    if (text.empty())
        return;
    Clock::time_point now = Clock::now();
    if (!stream.first_token)
        stream.first_token = now;
    stream.last_token = now;
    stream.reply->push_text(stream.stop.push(text).text);
}

// The end of the reply: what the UTF-8 buffer and the stop matcher still hold.
void flush_content(Stream& stream) {
    if (stream.stop.stopped())
        return;
    StopMatcher::Output tail = stream.stop.push(stream.utf8.flush());
    stream.reply->push_text(std::move(tail.text));
    stream.reply->push_text(stream.stop.flush());
}

// Reads one chunk object (streamed or whole) into the stream; returns false on a server error.
bool take_chunk(Stream& stream, const json& chunk) {
    if (!chunk.is_object())
        return true;
    if (chunk.contains("error")) {
        stream.error = stream.transfer->url() + ": the server failed mid-reply (" +
                       server_error_message(chunk.dump(-1, ' ', false, json::error_handler_t::replace)) + ")";
        return false;
    }
    if (chunk.contains("choices") && chunk["choices"].is_array() && !chunk["choices"].empty()) {
        const json& choice = chunk["choices"][0];
        for (const char* key : {"delta", "message"}) {
            if (!choice.contains(key) || !choice[key].is_object())
                continue;
            const json& part = choice[key];
            if (part.contains("content") && part["content"].is_string())
                push_content(stream, part["content"].get_ref<const std::string&>());
        }
        if (choice.contains("finish_reason") && choice["finish_reason"].is_string())
            stream.finish_reason = choice["finish_reason"].get<std::string>();
    }
    if (chunk.contains("usage") && chunk["usage"].is_object())
        stream.usage = chunk["usage"];
    if (chunk.contains("timings") && chunk["timings"].is_object())
        stream.timings = chunk["timings"];
    return true;
}

bool take_event(Stream& stream, const SseEvent& event) {
    if (stream.saw_done)
        return true;
    if (event.data == "[DONE]") {
        stream.saw_done = true;
        return true;
    }
    json chunk = json::parse(event.data, nullptr, false);
    if (chunk.is_discarded()) {
        stream.error = stream.transfer->url() + ": a streamed chunk is not JSON (\"" + excerpt(event.data, 60) +
                       "\"); the server does not speak the OpenAI streaming format";
        return false;
    }
    if (event.type == "error" && !chunk.contains("error"))
        chunk = json{{"error", chunk}};
    return take_chunk(stream, chunk);
}

size_t write_stream(char* data, size_t size, size_t count, void* user) noexcept {
    auto& stream = *static_cast<Stream*>(user);
    size_t bytes = size * count;
    try {
        if (stream.reply->cancelled()) {
            stream.aborted_by_cancel = true;
            return 0;
        }
        std::string_view piece(data, bytes);
        if (stream.body_kind == Stream::Body::Unknown) {
            long status = stream.transfer->status();
            std::string type = stream.transfer->content_type();
            if (status < 200 || status >= 300)
                stream.body_kind = Stream::Body::Error;
            else if (type.starts_with("application/json"))
                stream.body_kind = Stream::Body::Json;  // the server ignored "stream": true
            else
                stream.body_kind = Stream::Body::Events;
        }
        if (stream.body_kind != Stream::Body::Events) {
            size_t limit = stream.body_kind == Stream::Body::Error ? max_error_body_bytes : max_body_bytes;
            stream.raw_body.append(piece.substr(0, limit - std::min(limit, stream.raw_body.size())));
            return bytes;
        }
        auto events = stream.parser.feed(piece);
        if (!events) {
            stream.error = stream.transfer->url() + ": " + events.error().message;
            return 0;
        }
        for (const auto& event : events.value()) {
            if (!take_event(stream, event))
                return 0;
        }
        // A stop string ended the reply here; the rest of the stream is not wanted.
        return stream.stop.stopped() ? 0 : bytes;
    } catch (const std::exception& e) {
        stream.error = stream.transfer->url() + ": reading the reply failed (" + e.what() + ")";
    } catch (...) {
        stream.error = stream.transfer->url() + ": reading the reply failed (unknown exception)";
    }
    return 0;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) noexcept {
    auto& stream = *static_cast<Stream*>(user);
    if (!stream.reply->cancelled())
        return 0;
    stream.aborted_by_cancel = true;
    return 1;
}

ReplyStats final_stats(const Stream& stream, const ChatRequest& request, int32_t dropped) {
    ReplyStats stats;
    stats.dropped_messages = dropped;
    const json& usage = stream.usage;
    const json& timings = stream.timings;

    stats.prompt_tokens = json_int(usage, "prompt_tokens", json_int(timings, "prompt_n") + json_int(timings, "cache_n"));
    if (usage.is_object() && usage.contains("prompt_tokens_details"))
        stats.reused_tokens = json_int(usage["prompt_tokens_details"], "cached_tokens");
    stats.reused_tokens = json_int(timings, "cache_n", stats.reused_tokens);
    stats.prefill_tokens = json_int(timings, "prompt_n", std::max(0, stats.prompt_tokens - stats.reused_tokens));
    stats.prefill_ms = json_double(timings, "prompt_ms");
    stats.generated_tokens = json_int(usage, "completion_tokens", json_int(timings, "predicted_n", stream.text_chunks));

    if (stream.first_token) {
        stats.ttft_ms = std::chrono::duration<double, std::milli>(*stream.first_token - stream.submitted).count();
        double seconds = std::chrono::duration<double>(stream.last_token - *stream.first_token).count();
        if (stats.generated_tokens > 1 && seconds > 0)
            stats.gen_tps = (stats.generated_tokens - 1) / seconds;
    }

    stats.stop_reason = StopReason::EndOfGeneration;
    if (stream.finish_reason == "length" && !stream.stop.stopped()) {
        int32_t max_tokens = request.sampling.max_tokens;
        bool below_limit = max_tokens > 0 && stats.generated_tokens > 0 && stats.generated_tokens < max_tokens;
        stats.stop_reason = below_limit ? StopReason::ContextFull : StopReason::MaxTokens;
    }
    return stats;
}

// The worker: sends one request and streams its reply into `reply`. Every outcome, errors
// included, ends the reply with finish() or fail().
void run_request(const Connection& connection, ChatRequest request, const std::shared_ptr<Reply>& reply,
                 Clock::time_point submitted) {
    if (request.messages.empty()) {
        reply->fail("chat request has no messages; add at least one user message");
        return;
    }
    int32_t reserve = request.sampling.max_tokens > 0 ? std::min(request.sampling.max_tokens, connection.context_size / 2)
                                                      : connection.context_size / 4;
    int32_t dropped = fit_to_context(request.messages, connection.context_size - reserve);

    std::string body = build_request_body(connection, request).dump(-1, ' ', false, json::error_handler_t::replace);

    Transfer transfer;
    if (auto init = transfer.init(connection, connection.base_url + "/chat/completions"); !init) {
        reply->fail(init.error().message);
        return;
    }
    Stream stream(reply, submitted);
    stream.transfer = &transfer;
    stream.stop = StopMatcher(request.stop);

    CURL* curl = transfer.handle();
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_stream);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &stream);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &stream);
    // A streamed reply may take long in total; what must not happen is a silence this long.
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(connection.timeout.count()));

    CURLcode code = curl_easy_perform(curl);

    if (stream.stop.stopped()) {
        reply->finish(final_stats(stream, request, dropped));
        return;
    }
    if (stream.aborted_by_cancel) {
        flush_content(stream);
        ReplyStats stats = final_stats(stream, request, dropped);
        stats.stop_reason = StopReason::Cancelled;
        reply->finish(stats);
        return;
    }
    if (!stream.error.empty()) {
        reply->fail(stream.error, final_stats(stream, request, dropped));
        return;
    }
    if (code != CURLE_OK) {
        reply->fail(transfer.describe_failure(code), final_stats(stream, request, dropped));
        return;
    }
    long status = transfer.status();
    if (status < 200 || status >= 300 || stream.body_kind == Stream::Body::Error) {
        reply->fail(describe_http_error(transfer.url(), status, stream.raw_body, transfer.has_key()),
                    final_stats(stream, request, dropped));
        return;
    }
    if (stream.body_kind == Stream::Body::Json) {
        json whole = json::parse(stream.raw_body, nullptr, false);
        if (whole.is_discarded() || !take_chunk(stream, whole)) {
            std::string message = stream.error.empty() ? transfer.url() + ": the reply is not valid JSON (\"" +
                                                             excerpt(stream.raw_body, 60) + "\")"
                                                       : stream.error;
            reply->fail(message, final_stats(stream, request, dropped));
            return;
        }
        stream.saw_done = true;
    } else {
        for (const auto& event : stream.parser.finish()) {
            if (!take_event(stream, event)) {
                reply->fail(stream.error, final_stats(stream, request, dropped));
                return;
            }
        }
    }
    flush_content(stream);
    if (!stream.saw_done && stream.finish_reason.empty()) {
        reply->fail(transfer.url() + ": the server closed the stream before the reply finished; check the server's log",
                    final_stats(stream, request, dropped));
        return;
    }
    reply->finish(final_stats(stream, request, dropped));
}

// Ends `reply` with `message` without letting anything escape, for use at thread boundaries.
void fail_quietly(Reply& reply, const char* what) noexcept {
    try {
        reply.fail(std::string("openai backend: ") + what);
    } catch (...) {
    }
}

class OpenAIBackend final : public Backend {
public:
    OpenAIBackend(Connection connection, BackendInfo info)
        : m_connection(std::make_shared<const Connection>(std::move(connection))), m_info(std::move(info)) {}

    ~OpenAIBackend() override {
        std::list<Worker> workers;
        {
            std::lock_guard lock(m_mutex);
            for (auto& worker : m_workers)
                worker.reply->cancel();
            workers.swap(m_workers);
        }
        for (auto& worker : workers)
            worker.thread.join();
    }

    std::shared_ptr<Reply> submit(ChatRequest request) override {
        Clock::time_point submitted = Clock::now();
        auto reply = std::make_shared<Reply>();
        auto done = std::make_shared<std::atomic<bool>>(false);
        if (auto valid = request.validate(); valid.is_error()) {
            reply->fail(valid.error());
            return reply;
        }

        std::lock_guard lock(m_mutex);
        reap_finished_locked();
        try {
            std::thread thread([connection = m_connection, request = std::move(request), reply, done, submitted]() mutable {
                try {
                    run_request(*connection, std::move(request), reply, submitted);
                } catch (const std::exception& e) {
                    fail_quietly(*reply, e.what());
                } catch (...) {
                    fail_quietly(*reply, "unknown exception in the request thread");
                }
                done->store(true);
            });
            m_workers.push_back(Worker{std::move(thread), reply, std::move(done)});
        } catch (const std::exception& e) {
            fail_quietly(*reply, (std::string("cannot start a request thread: ") + e.what()).c_str());
        }
        return reply;
    }

    BackendInfo info() const override { return m_info; }

private:
    struct Worker {
        std::thread thread;
        std::shared_ptr<Reply> reply;
        std::shared_ptr<std::atomic<bool>> done;
    };

    void reap_finished_locked() {
        for (auto it = m_workers.begin(); it != m_workers.end();) {
            if (!it->done->load()) {
                ++it;
                continue;
            }
            it->thread.join();
            it = m_workers.erase(it);
        }
    }

    std::shared_ptr<const Connection> m_connection;
    BackendInfo m_info;
    std::mutex m_mutex;
    std::list<Worker> m_workers;
};

ErrorOr<std::string> normalized_base_url(const std::string& base_url) {
    std::string url = base_url;
    while (!url.empty() && url.back() == '/')
        url.pop_back();
    std::string lower = lowercase(url);
    if (!lower.starts_with("http://") && !lower.starts_with("https://"))
        return make_error("openai base url '" + base_url +
                          "' is not an http:// or https:// url; use for example http://127.0.0.1:8080/v1");
    if (url.find_first_of(" \t\r\n") != std::string::npos)
        return make_error("openai base url '" + base_url + "' contains whitespace; remove it");
    return url;
}

// An empty `wanted` takes any model; otherwise the id or one of llama-server's aliases must match.
bool model_matches(const json& entry, const std::string& wanted) {
    if (wanted.empty() || entry["id"] == wanted)
        return true;
    if (!entry.contains("aliases") || !entry["aliases"].is_array())
        return false;
    for (const auto& alias : entry["aliases"]) {
        if (alias == wanted)
            return true;
    }
    return false;
}

}  // namespace

ErrorOr<std::unique_ptr<Backend>> open_openai_backend(const OpenAIOptions& options) {
    Connection connection;
    connection.base_url = OS1_TRY(normalized_base_url(options.base_url));
    if (options.api_key.find_first_of("\r\n") != std::string::npos)
        return make_error("openai api key contains a line break; set it without one");
    if (options.context_size <= 0)
        return make_error("openai context size must be positive (got " + std::to_string(options.context_size) + ")");
    if (options.timeout.count() <= 0)
        return make_error("openai timeout must be positive (got " + std::to_string(options.timeout.count()) + " s)");
    connection.api_key = options.api_key;
    connection.timeout = options.timeout;
    connection.context_size = options.context_size;
    init_curl_once();

    std::string models_url = connection.base_url + "/models";
    std::string body = OS1_TRY(http_get(connection, models_url));
    json listing = OS1_TRY(parse_json_answer(models_url, body));
    if (!listing.is_object() || !listing.contains("data") || !listing["data"].is_array())
        return make_error(models_url + ": the answer has no \"data\" list of models (starts with \"" + excerpt(body, 60) +
                          "\"); check that the base url points at an OpenAI-compatible API, usually ending in /v1");

    std::vector<std::string> ids;
    const json* chosen = nullptr;
    for (const auto& entry : listing["data"]) {
        if (!entry.is_object() || !entry.contains("id") || !entry["id"].is_string())
            continue;
        ids.push_back(entry["id"].get<std::string>());
        if (!chosen && model_matches(entry, options.model))
            chosen = &entry;
    }
    if (ids.empty())
        return make_error(models_url + ": the server lists no models; load one on the server first");
    if (!chosen) {
        std::string available;
        for (const auto& id : ids)
            available += (available.empty() ? "" : ", ") + id;
        return make_error(models_url + ": the server has no model '" + options.model + "' (it has: " + available +
                          "); pick one of those or leave the model empty for the first");
    }

    connection.model = (*chosen)["id"].get<std::string>();
    if (chosen->contains("owned_by") && (*chosen)["owned_by"] == "llamacpp")
        connection.flavor = ServerFlavor::LlamaCpp;
    // llama-server reports the context of one slot; never plan with more than the server has.
    if (chosen->contains("meta")) {
        int32_t server_context = json_int((*chosen)["meta"], "n_ctx");
        if (server_context > 0)
            connection.context_size = std::min(connection.context_size, server_context);
    }

    BackendInfo info;
    info.name = "openai";
    info.model = connection.model;
    info.chat_template = "remote";
    info.context_size = connection.context_size;
    info.parallel = 1;
    if (connection.flavor == ServerFlavor::LlamaCpp && connection.base_url.ends_with("/v1")) {
        // Best effort: how many conversations llama-server decodes at once. /props sits at the
        // server's root, not below /v1.
        std::string root = connection.base_url.substr(0, connection.base_url.size() - 3);
        if (auto props = http_get(connection, root + "/props")) {
            json parsed = json::parse(props.value(), nullptr, false);
            info.parallel = std::max(1, json_int(parsed, "total_slots", 1));
        }
    }
    return std::unique_ptr<Backend>(std::make_unique<OpenAIBackend>(std::move(connection), std::move(info)));
}

}  // namespace os1::llm
