// The OpenAI-compatible backend against a real llama-server running the generated tiny model,
// and against small in-process fake servers for the error paths a real server rarely shows.
// Nothing here waits a fixed time or bounds how long something takes: a test that waits for
// an event blocks until it comes, and ctest's timeout catches a hang.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "llm/llm.h"
#include "support/closed-port.h"
#include "support/fake-openai-server.h"
#include "support/temp-dir.h"

using namespace os1::llm;
using namespace os1::test;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

const std::filesystem::path llama_server_binary = std::filesystem::path(OS1_LLAMA_PREFIX) / "bin" / "llama-server";
const std::filesystem::path tiny_model = std::filesystem::path(OS1_TEST_MODELS_DIR) / "tiny-qwen2-f16.gguf";

std::string text_of_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

// The port in the server's "listening on http://127.0.0.1:PORT" log line; 0 until it is there.
int listening_port(const std::string& log) {
    const std::string marker = "listening on http://127.0.0.1:";
    const size_t at = log.find(marker);
    if (at == std::string::npos)
        return 0;
    int port = 0;
    for (size_t i = at + marker.size(); i < log.size() && std::isdigit(static_cast<unsigned char>(log[i])); ++i)
        port = port * 10 + (log[i] - '0');
    return port;
}

std::string tail_of_file(const std::filesystem::path& file, size_t bytes = 3000) {
    std::string text = text_of_file(file);
    return text.size() > bytes ? text.substr(text.size() - bytes) : text;
}

// A llama-server child process on a loopback port that it bound itself (--port 0, so no other
// test can take the port in between), killed in the destructor.
class LlamaServer {
public:
    // Starts the server, reads its port from its log, and waits until GET /health answers 200;
    // on failure, `error` says why.
    static std::unique_ptr<LlamaServer> start(const std::vector<std::string>& extra_args, std::string& error) {
        if (!std::filesystem::exists(llama_server_binary)) {
            error = llama_server_binary.string() + " is missing; build it with scripts/build-llama.sh --tools";
            return nullptr;
        }
        if (!std::filesystem::exists(tiny_model)) {
            error = tiny_model.string() + " is missing; run the make_test_models ctest fixture first";
            return nullptr;
        }
        auto server = std::unique_ptr<LlamaServer>(new LlamaServer);
        server->m_log = unique_temp_dir("llama-server") / "server.log";

        std::vector<std::string> args = {llama_server_binary.string(), "-m", tiny_model.string(), "--host", "127.0.0.1",
                                         "--port", "0", "-c", "2048", "-np", "2", "-t", "2"};
        args.insert(args.end(), extra_args.begin(), extra_args.end());
        std::vector<char*> argv;
        for (auto& arg : args)
            argv.push_back(arg.data());
        argv.push_back(nullptr);
        std::string log_path = server->m_log.string();

        pid_t pid = ::fork();
        if (pid < 0) {
            error = "fork failed";
            return nullptr;
        }
        if (pid == 0) {
            // Only async-signal-safe calls between fork and exec.
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd >= 0) {
                ::dup2(fd, 1);
                ::dup2(fd, 2);
            }
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        server->m_pid = pid;

        // Polls the log, then /health, until the server is up or has exited.
        std::unique_ptr<httplib::Client> client;
        for (;;) {
            int status = 0;
            if (::waitpid(pid, &status, WNOHANG) == pid) {
                server->m_pid = -1;
                error = "llama-server exited during startup; its log ends with:\n" + tail_of_file(server->m_log);
                return nullptr;
            }
            if (!client && (server->m_port = listening_port(text_of_file(server->m_log))) > 0) {
                client = std::make_unique<httplib::Client>("127.0.0.1", server->m_port);
                client->set_connection_timeout(1);
                client->set_read_timeout(2);
            }
            if (client)
                if (auto result = client->Get("/health"); result && result->status == 200)
                    return server;
            std::this_thread::sleep_for(100ms);
        }
    }

    ~LlamaServer() {
        if (m_pid > 0) {
            ::kill(m_pid, SIGTERM);
            auto deadline = std::chrono::steady_clock::now() + 10s;
            int status = 0;
            while (::waitpid(m_pid, &status, WNOHANG) == 0) {
                if (std::chrono::steady_clock::now() > deadline) {
                    ::kill(m_pid, SIGKILL);
                    ::waitpid(m_pid, &status, 0);
                    break;
                }
                std::this_thread::sleep_for(20ms);
            }
        }
        std::error_code ignored;
        std::filesystem::remove(m_log, ignored);
    }

    int port() const { return m_port; }
    std::string base_url() const { return "http://127.0.0.1:" + std::to_string(m_port) + "/v1"; }

private:
    LlamaServer() = default;
    pid_t m_pid = -1;
    int m_port = 0;
    std::filesystem::path m_log;
};

struct Outcome {
    std::vector<std::string> pieces;  // the Text events
    std::string text;
    ReplyEvent last;                  // the terminal event
};

// Reads the reply to its end.
Outcome drain(Reply& reply) {
    Outcome outcome;
    for (;;) {
        ReplyEvent event = reply.next();
        if (event.kind != ReplyEvent::Kind::Text) {
            outcome.last = event;
            return outcome;
        }
        outcome.pieces.push_back(event.text);
        outcome.text += event.text;
    }
}

ChatRequest greedy_request(const std::string& prompt, int32_t max_tokens) {
    ChatRequest request;
    request.messages = {{"system", "You are a terse assistant."}, {"user", prompt}};
    request.sampling.temperature = 0;
    request.sampling.seed = 42;
    request.sampling.max_tokens = max_tokens;
    return request;
}

std::unique_ptr<Backend> open_or_fail(const OpenAIOptions& options) {
    auto backend = open_openai_backend(options);
    EXPECT_TRUE(backend) << (backend ? "" : backend.error().message);
    return backend ? backend.release_value() : nullptr;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// --- against a real llama-server -------------------------------------------------------

class LlamaServerTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { s_server = LlamaServer::start({}, s_error); }
    static void TearDownTestSuite() { s_server.reset(); }

    void SetUp() override {
        ASSERT_TRUE(s_server) << s_error;
        OpenAIOptions options;
        options.base_url = s_server->base_url();
        m_backend = open_or_fail(options);
        ASSERT_TRUE(m_backend);
    }

    static inline std::unique_ptr<LlamaServer> s_server;
    static inline std::string s_error;
    std::unique_ptr<Backend> m_backend;
};

TEST_F(LlamaServerTest, InfoDescribesTheRemoteServer) {
    BackendInfo info = m_backend->info();
    EXPECT_EQ(info.name, "openai");
    EXPECT_FALSE(info.model.empty());
    EXPECT_EQ(info.chat_template, "remote");
    EXPECT_GT(info.context_size, 0);
    EXPECT_LE(info.context_size, 2048);
    EXPECT_EQ(info.parallel, 2);
}

TEST_F(LlamaServerTest, StreamsTextEventsThenDone) {
    auto reply = m_backend->submit(greedy_request("Tell me a long story about a lighthouse.", 48));
    Outcome outcome = drain(*reply);
    ASSERT_EQ(outcome.last.kind, ReplyEvent::Kind::Done) << outcome.last.text;
    EXPECT_GT(outcome.pieces.size(), 0u);
    EXPECT_FALSE(outcome.text.empty());
    const ReplyStats& stats = outcome.last.stats;
    EXPECT_GT(stats.generated_tokens, 0);
    EXPECT_GT(stats.prompt_tokens, 0);
    EXPECT_GT(stats.ttft_ms, 0);
    EXPECT_EQ(stats.dropped_messages, 0);
    EXPECT_TRUE(stats.stop_reason == StopReason::EndOfGeneration || stats.stop_reason == StopReason::MaxTokens);
    // Terminal events repeat.
    EXPECT_EQ(reply->next().kind, ReplyEvent::Kind::Done);
}

TEST_F(LlamaServerTest, GreedyOutputIsReproducible) {
    auto first = m_backend->submit(greedy_request("Name three colours.", 24))->collect();
    auto second = m_backend->submit(greedy_request("Name three colours.", 24))->collect();
    ASSERT_TRUE(first) << first.error().message;
    ASSERT_TRUE(second) << second.error().message;
    EXPECT_FALSE(first.value().empty());
    EXPECT_EQ(first.value(), second.value());
}

TEST_F(LlamaServerTest, MaxTokensStopsWithMaxTokens) {
    ReplyStats stats;
    auto text = m_backend->submit(greedy_request("Count from one to one hundred.", 5))->collect(&stats);
    ASSERT_TRUE(text) << text.error().message;
    EXPECT_EQ(stats.stop_reason, StopReason::MaxTokens);
    EXPECT_EQ(stats.generated_tokens, 5);
}

TEST_F(LlamaServerTest, AStopStringEndsTheReplyJustBeforeIt) {
    auto whole = m_backend->submit(greedy_request("Tell me a long story about a lighthouse.", 40))->collect();
    ASSERT_TRUE(whole) << whole.error().message;
    ASSERT_GE(whole.value().size(), 16u) << whole.value();
    // A few whole characters from the middle.
    const std::string& text = whole.value();
    auto continues = [&](size_t i) { return i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80; };
    size_t from = text.size() / 2;
    while (continues(from))
        ++from;
    size_t to = std::min(text.size(), from + 6);
    while (continues(to))
        ++to;
    const std::string stop = text.substr(from, to - from);

    ChatRequest request = greedy_request("Tell me a long story about a lighthouse.", 40);
    request.stop = {stop};
    ReplyStats stats;
    auto cut = m_backend->submit(request)->collect(&stats);
    ASSERT_TRUE(cut) << cut.error().message;
    EXPECT_EQ(cut.value(), text.substr(0, text.find(stop))) << "stop string: \"" << stop << "\"";
    EXPECT_EQ(stats.stop_reason, StopReason::EndOfGeneration);
}

TEST_F(LlamaServerTest, CancelMidStreamEndsWithCancelled) {
    auto reply = m_backend->submit(greedy_request("Write a very long essay about the sea.", 900));
    const ReplyEvent first = reply->next();
    ASSERT_EQ(first.kind, ReplyEvent::Kind::Text) << first.text;
    reply->cancel();
    Outcome outcome = drain(*reply);
    ASSERT_EQ(outcome.last.kind, ReplyEvent::Kind::Done) << outcome.last.text;
    EXPECT_EQ(outcome.last.stats.stop_reason, StopReason::Cancelled);
    EXPECT_LT(outcome.last.stats.generated_tokens, 900);

    // The server is still fine afterwards.
    ReplyStats stats;
    auto again = m_backend->submit(greedy_request("Hello", 4))->collect(&stats);
    EXPECT_TRUE(again) << again.error().message;
}

TEST_F(LlamaServerTest, CancelBeforeAnyOutputEndsWithCancelled) {
    auto reply = m_backend->submit(greedy_request("Hello there", 200));
    reply->cancel();
    Outcome outcome = drain(*reply);
    ASSERT_EQ(outcome.last.kind, ReplyEvent::Kind::Done) << outcome.last.text;
    EXPECT_EQ(outcome.last.stats.stop_reason, StopReason::Cancelled);
}

TEST_F(LlamaServerTest, TwoRequestsRunConcurrently) {
    auto a = m_backend->submit(greedy_request("First question?", 16));
    auto b = m_backend->submit(greedy_request("Second question?", 16));
    auto text_a = a->collect();
    auto text_b = b->collect();
    EXPECT_TRUE(text_a) << text_a.error().message;
    EXPECT_TRUE(text_b) << text_b.error().message;
}

TEST_F(LlamaServerTest, DestroyingTheBackendCancelsInFlightReplies) {
    auto reply = m_backend->submit(greedy_request("Write a very long essay about mountains.", 900));
    ASSERT_EQ(reply->next().kind, ReplyEvent::Kind::Text);
    m_backend.reset();
    Outcome outcome = drain(*reply);
    EXPECT_EQ(outcome.last.stats.stop_reason, StopReason::Cancelled);
}

TEST_F(LlamaServerTest, UnknownModelNameIsAClearError) {
    OpenAIOptions options;
    options.base_url = s_server->base_url();
    options.model = "no-such-model";
    auto backend = open_openai_backend(options);
    ASSERT_TRUE(backend.is_error());
    EXPECT_TRUE(contains(backend.error().message, "no model 'no-such-model'")) << backend.error().message;
}

TEST(LlamaServerApiKey, WorksWithTheKeyAndFailsClearlyWithout) {
    std::string error;
    auto server = LlamaServer::start({"--api-key", "secret"}, error);
    ASSERT_TRUE(server) << error;

    OpenAIOptions options;
    options.base_url = server->base_url();
    auto without = open_openai_backend(options);
    ASSERT_TRUE(without.is_error());
    EXPECT_TRUE(contains(without.error().message, "HTTP 401")) << without.error().message;
    EXPECT_TRUE(contains(without.error().message, "api key")) << without.error().message;

    options.api_key = "wrong";
    auto wrong = open_openai_backend(options);
    ASSERT_TRUE(wrong.is_error());
    EXPECT_TRUE(contains(wrong.error().message, "rejected the api key")) << wrong.error().message;

    options.api_key = "secret";
    auto backend = open_or_fail(options);
    ASSERT_TRUE(backend);
    auto text = backend->submit(greedy_request("Hello", 8))->collect();
    EXPECT_TRUE(text) << text.error().message;
}

// --- connection errors ----------------------------------------------------------------

TEST(OpenAIBackendOpen, ClosedPortIsAClearError) {
    ClosedPort closed;
    ASSERT_GT(closed.port(), 0);
    OpenAIOptions options;
    options.base_url = "http://127.0.0.1:" + std::to_string(closed.port()) + "/v1";
    options.timeout = 5s;
    auto backend = open_openai_backend(options);
    ASSERT_TRUE(backend.is_error());
    EXPECT_TRUE(contains(backend.error().message, "cannot connect")) << backend.error().message;
    EXPECT_TRUE(contains(backend.error().message, options.base_url)) << backend.error().message;
}

TEST(OpenAIBackendOpen, MalformedBaseUrlIsAClearError) {
    for (std::string url : {"", "localhost:8080/v1", "ftp://127.0.0.1/v1", "http://127.0.0.1:8080/v 1"}) {
        OpenAIOptions options;
        options.base_url = url;
        auto backend = open_openai_backend(options);
        ASSERT_TRUE(backend.is_error()) << url;
        EXPECT_TRUE(contains(backend.error().message, "base url")) << backend.error().message;
    }
}

// --- against fake servers ---------------------------------------------------------------

// A chat endpoint that answers with a fixed event stream and remembers the last request body.
struct ScriptedChat {
    std::string stream;
    std::mutex mutex;
    std::string last_body;

    void install(httplib::Server& server) {
        server.Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
            {
                std::lock_guard lock(mutex);
                last_body = req.body;
            }
            res.set_content(stream, "text/event-stream");
        });
    }
    json body() {
        std::lock_guard lock(mutex);
        return json::parse(last_body);
    }
};

std::unique_ptr<Backend> open_fake(const FakeServer& server, int32_t context_size = 8192) {
    OpenAIOptions options;
    options.base_url = server.base_url();
    options.context_size = context_size;
    return open_or_fail(options);
}

TEST(OpenAIBackendFake, NonJsonModelsListingIsAClearError) {
    FakeServer server([](httplib::Server& s) {
        s.Get("/v1/models", [](const httplib::Request&, httplib::Response& res) {
            res.set_content("<html><body>hello</body></html>", "text/html");
        });
    });
    OpenAIOptions options;
    options.base_url = server.base_url();
    auto backend = open_openai_backend(options);
    ASSERT_TRUE(backend.is_error());
    EXPECT_TRUE(contains(backend.error().message, "not JSON")) << backend.error().message;
    EXPECT_TRUE(contains(backend.error().message, "<html>")) << backend.error().message;
}

TEST(OpenAIBackendFake, MissingEndpointSuggestsCheckingTheBaseUrl) {
    FakeServer server([](httplib::Server&) {});
    OpenAIOptions options;
    options.base_url = server.base_url();
    auto backend = open_openai_backend(options);
    ASSERT_TRUE(backend.is_error());
    EXPECT_TRUE(contains(backend.error().message, "HTTP 404")) << backend.error().message;
    EXPECT_TRUE(contains(backend.error().message, "/v1")) << backend.error().message;
}

TEST(OpenAIBackendFake, ListingWithoutModelsIsAClearError) {
    FakeServer empty([](httplib::Server& s) { serve_models(s, R"({"object":"list","data":[]})"); });
    OpenAIOptions options;
    options.base_url = empty.base_url();
    auto backend = open_openai_backend(options);
    ASSERT_TRUE(backend.is_error());
    EXPECT_TRUE(contains(backend.error().message, "lists no models")) << backend.error().message;

    FakeServer shapeless([](httplib::Server& s) { serve_models(s, R"({"models":"none"})"); });
    options.base_url = shapeless.base_url();
    backend = open_openai_backend(options);
    ASSERT_TRUE(backend.is_error());
    EXPECT_TRUE(contains(backend.error().message, "\"data\"")) << backend.error().message;
}

TEST(OpenAIBackendFake, PicksTheNamedModelOrTheFirst) {
    FakeServer server([](httplib::Server& s) {
        serve_models(s, R"({"data":[{"id":"alpha"},{"id":"beta","aliases":["b"]}]})");
    });
    OpenAIOptions options;
    options.base_url = server.base_url() + "/";  // a trailing slash is fine
    EXPECT_EQ(open_or_fail(options)->info().model, "alpha");
    options.model = "beta";
    EXPECT_EQ(open_or_fail(options)->info().model, "beta");
    options.model = "b";
    EXPECT_EQ(open_or_fail(options)->info().model, "beta");
}

TEST(OpenAIBackendFake, UsageAndFinishReasonFillTheStats) {
    ScriptedChat chat;
    chat.stream = "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null}}]}\n\n" +
                  delta_event("Hel") + delta_event("lo") + delta_event("!") + delta_event("", "length") +
                  "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":3,"
                  "\"prompt_tokens_details\":{\"cached_tokens\":4}}}\n\n" +
                  "data: [DONE]\n\n";
    FakeServer server([&](httplib::Server& s) {
        serve_models(s);
        chat.install(s);
    });
    auto backend = open_fake(server);
    ASSERT_TRUE(backend);

    ReplyStats stats;
    auto text = backend->submit(greedy_request("hi", 3))->collect(&stats);
    ASSERT_TRUE(text) << text.error().message;
    EXPECT_EQ(text.value(), "Hello!");
    EXPECT_EQ(stats.generated_tokens, 3);
    EXPECT_EQ(stats.prompt_tokens, 11);
    EXPECT_EQ(stats.reused_tokens, 4);
    EXPECT_EQ(stats.prefill_tokens, 7);
    EXPECT_EQ(stats.stop_reason, StopReason::MaxTokens);

    // "length" well below max_tokens means the server ran out of context.
    EXPECT_TRUE(backend->submit(greedy_request("hi", 100))->collect(&stats));
    EXPECT_EQ(stats.stop_reason, StopReason::ContextFull);
}

TEST(OpenAIBackendFake, WithoutUsageChunksAreCounted) {
    ScriptedChat chat;
    chat.stream = delta_event("a") + delta_event("b") + delta_event("", "stop") + "data: [DONE]\n\n";
    FakeServer server([&](httplib::Server& s) {
        serve_models(s);
        chat.install(s);
    });
    auto backend = open_fake(server);
    ASSERT_TRUE(backend);
    ReplyStats stats;
    auto text = backend->submit(greedy_request("hi", 10))->collect(&stats);
    ASSERT_TRUE(text) << text.error().message;
    EXPECT_EQ(text.value(), "ab");
    EXPECT_EQ(stats.generated_tokens, 2);
    EXPECT_EQ(stats.stop_reason, StopReason::EndOfGeneration);
}

TEST(OpenAIBackendFake, RequestCarriesTheSamplingParameters) {
    ScriptedChat chat;
    chat.stream = delta_event("x", "stop") + "data: [DONE]\n\n";
    FakeServer server([&](httplib::Server& s) {
        serve_models(s);
        chat.install(s);
    });
    auto backend = open_fake(server);
    ASSERT_TRUE(backend);
    ChatRequest request = greedy_request("hi", 7);
    request.sampling.seed = 1234;
    ASSERT_TRUE(backend->submit(request)->collect());

    json body = chat.body();
    EXPECT_EQ(body["model"], "fake-model");
    EXPECT_EQ(body["stream"], true);
    EXPECT_EQ(body["stream_options"]["include_usage"], true);
    EXPECT_EQ(body["temperature"], 0.0);
    EXPECT_EQ(body["seed"], 1234);
    EXPECT_EQ(body["max_tokens"], 7);
    ASSERT_EQ(body["messages"].size(), 2u);
    EXPECT_EQ(body["messages"][1]["content"], "hi");
    // A server that is not llama.cpp gets only the standard fields.
    EXPECT_FALSE(body.contains("min_p"));
    EXPECT_FALSE(body.contains("repeat_penalty"));

    request.sampling.seed = 0xFFFFFFFF;
    ASSERT_TRUE(backend->submit(request)->collect());
    EXPECT_FALSE(chat.body().contains("seed"));
}

TEST(OpenAIBackendFake, StopStringsGoUpstreamAndCutTheReplyWhereTheServerIgnoresThem) {
    ScriptedChat chat;
    chat.stream = delta_event("Hel") + delta_event("lo wo") + delta_event("rld, and") + delta_event(" more", "length") +
                  "data: [DONE]\n\n";
    FakeServer server([&](httplib::Server& s) {
        serve_models(s);
        chat.install(s);
    });
    auto backend = open_fake(server);
    ASSERT_TRUE(backend);
    ChatRequest request = greedy_request("hi", 4);
    request.stop = {"o w", "zzz"};
    ReplyStats stats;
    auto text = backend->submit(request)->collect(&stats);
    ASSERT_TRUE(text) << text.error().message;
    EXPECT_EQ(text.value(), "Hell");
    EXPECT_EQ(stats.stop_reason, StopReason::EndOfGeneration);
    EXPECT_EQ(chat.body()["stop"], json::array({"o w", "zzz"}));

    // Without stop strings the field is left out.
    ASSERT_TRUE(backend->submit(greedy_request("hi", 4))->collect());
    EXPECT_FALSE(chat.body().contains("stop"));
}

// The stream would never end by itself: the stop string must end the transfer too.
TEST(OpenAIBackendFake, AStopStringEndsAStreamThatWouldGoOn) {
    EndlessChat endless;
    FakeServer server(
        [&](httplib::Server& s) {
            serve_models(s);
            endless.install(s);
        },
        [&] { endless.stop(); });
    auto backend = open_fake(server);
    ASSERT_TRUE(backend);
    ChatRequest request = greedy_request("hi", 8);
    request.stop = {"ck ti"};
    ReplyStats stats;
    auto text = backend->submit(request)->collect(&stats);
    ASSERT_TRUE(text) << text.error().message;
    EXPECT_EQ(text.value(), "ti");
    EXPECT_EQ(stats.stop_reason, StopReason::EndOfGeneration);
}

TEST(OpenAIBackendFake, AServerThatHonoursTheStopGetsItsWholeReplyThrough) {
    ScriptedChat chat;
    // The server stopped before "xyz"; the "x" held back as a possible start of it comes out at the end.
    chat.stream = delta_event("ab") + delta_event("cx") + delta_event("", "stop") + "data: [DONE]\n\n";
    FakeServer server([&](httplib::Server& s) {
        serve_models(s);
        chat.install(s);
    });
    auto backend = open_fake(server);
    ASSERT_TRUE(backend);
    ChatRequest request = greedy_request("hi", 10);
    request.stop = {"xyz"};
    ReplyStats stats;
    auto text = backend->submit(request)->collect(&stats);
    ASSERT_TRUE(text) << text.error().message;
    EXPECT_EQ(text.value(), "abcx");
    EXPECT_EQ(stats.stop_reason, StopReason::EndOfGeneration);
}

TEST(OpenAIBackendFake, AStopStringCutsANonStreamedAnswerToo) {
    FakeServer server([](httplib::Server& s) {
        serve_models(s);
        s.Post("/v1/chat/completions", [](const httplib::Request&, httplib::Response& res) {
            res.set_content(R"({"choices":[{"index":0,"message":{"role":"assistant","content":"whole answer"},)"
                            R"("finish_reason":"stop"}]})",
                            "application/json");
        });
    });
    auto backend = open_fake(server);
    ASSERT_TRUE(backend);
    ChatRequest request = greedy_request("hi", 8);
    request.stop = {"ans"};
    auto text = backend->submit(request)->collect();
    ASSERT_TRUE(text) << text.error().message;
    EXPECT_EQ(text.value(), "whole ");
}

TEST(OpenAIBackendFake, InvalidStopStringsFailBeforeAnyRequest) {
    ScriptedChat chat;
    FakeServer server([&](httplib::Server& s) {
        serve_models(s);
        chat.install(s);
    });
    auto backend = open_fake(server);
    ASSERT_TRUE(backend);
    ChatRequest request = greedy_request("hi", 8);
    request.stop = {"a", "b", "c", "d", "e"};
    auto text = backend->submit(request)->collect();
    ASSERT_TRUE(text.is_error());
    EXPECT_EQ(text.error().kind, os1::ErrorKind::InvalidInput);
    EXPECT_TRUE(contains(text.error().message, "use at most 4")) << text.error().message;
    std::lock_guard lock(chat.mutex);
    EXPECT_TRUE(chat.last_body.empty()) << "the request reached the server";
}

TEST(OpenAIBackendFake, LlamaCppServerGetsItsOwnSamplingFields) {
    ScriptedChat chat;
    chat.stream = delta_event("x", "stop") + "data: [DONE]\n\n";
    FakeServer server([&](httplib::Server& s) {
        serve_models(s, R"({"data":[{"id":"m","owned_by":"llamacpp","meta":{"n_ctx":1024}}]})");
        chat.install(s);
    });
    auto backend = open_fake(server);
    ASSERT_TRUE(backend);
    EXPECT_EQ(backend->info().context_size, 1024);
    ASSERT_TRUE(backend->submit(greedy_request("hi", 7))->collect());
    json body = chat.body();
    EXPECT_TRUE(body.contains("min_p"));
    EXPECT_TRUE(body.contains("repeat_penalty"));
    EXPECT_TRUE(body.contains("repeat_last_n"));
}

TEST(OpenAIBackendFake, LongConversationDropsOldestMessages) {
    ScriptedChat chat;
    chat.stream = delta_event("ok", "stop") + "data: [DONE]\n\n";
    FakeServer server([&](httplib::Server& s) {
        serve_models(s);
        chat.install(s);
    });
    auto backend = open_fake(server, 200);
    ASSERT_TRUE(backend);

    ChatRequest request;
    request.sampling.max_tokens = 32;
    request.messages.push_back({"system", "Be brief."});
    for (int i = 0; i < 3; ++i) {
        request.messages.push_back({"user", std::string(400, 'u')});
        request.messages.push_back({"assistant", std::string(400, 'a')});
    }
    request.messages.push_back({"user", "last question"});

    ReplyStats stats;
    auto text = backend->submit(request)->collect(&stats);
    ASSERT_TRUE(text) << text.error().message;
    json sent = chat.body()["messages"];
    // Dropping stops once it fits, then the leading assistant turn goes too.
    EXPECT_EQ(stats.dropped_messages, 6);
    ASSERT_EQ(sent.size(), 2u);
    EXPECT_EQ(sent[0]["role"], "system");
    EXPECT_EQ(sent[1]["content"], "last question");

    // A short conversation is left alone.
    EXPECT_TRUE(backend->submit(greedy_request("hi", 32))->collect(&stats));
    EXPECT_EQ(stats.dropped_messages, 0);
    EXPECT_EQ(chat.body()["messages"].size(), 2u);
}

TEST(OpenAIBackendFake, HttpErrorCarriesTheServersMessage) {
    FakeServer server([](httplib::Server& s) {
        serve_models(s);
        s.Post("/v1/chat/completions", [](const httplib::Request&, httplib::Response& res) {
            res.status = 400;
            res.set_content(R"({"error":{"code":400,"message":"the request exceeds the available context size",)"
                            R"("type":"exceed_context_size_error"}})",
                            "application/json");
        });
    });
    auto backend = open_fake(server);
    ASSERT_TRUE(backend);
    ReplyStats stats;
    auto text = backend->submit(greedy_request("hi", 8))->collect(&stats);
    ASSERT_TRUE(text.is_error());
    EXPECT_TRUE(contains(text.error().message, "HTTP 400")) << text.error().message;
    EXPECT_TRUE(contains(text.error().message, "exceeds the available context size")) << text.error().message;
    EXPECT_EQ(stats.stop_reason, StopReason::Error);
}

TEST(OpenAIBackendFake, ErrorEventMidStreamFailsTheReply) {
    ScriptedChat chat;
    chat.stream = delta_event("partial") + "data: {\"error\":{\"code\":500,\"message\":\"kv cache exploded\"}}\n\n";
    FakeServer server([&](httplib::Server& s) {
        serve_models(s);
        chat.install(s);
    });
    auto backend = open_fake(server);
    ASSERT_TRUE(backend);
    auto reply = backend->submit(greedy_request("hi", 8));
    Outcome outcome = drain(*reply);
    ASSERT_EQ(outcome.last.kind, ReplyEvent::Kind::Failed);
    EXPECT_EQ(outcome.text, "partial");
    EXPECT_TRUE(contains(outcome.last.text, "kv cache exploded")) << outcome.last.text;
}

TEST(OpenAIBackendFake, StreamCutShortFailsTheReply) {
    ScriptedChat chat;
    chat.stream = delta_event("half");
    FakeServer server([&](httplib::Server& s) {
        serve_models(s);
        chat.install(s);
    });
    auto backend = open_fake(server);
    ASSERT_TRUE(backend);
    auto text = backend->submit(greedy_request("hi", 8))->collect();
    ASSERT_TRUE(text.is_error());
    EXPECT_TRUE(contains(text.error().message, "closed the stream")) << text.error().message;
}

TEST(OpenAIBackendFake, GarbageInTheStreamFailsTheReply) {
    ScriptedChat chat;
    chat.stream = "data: {not json\n\n";
    FakeServer server([&](httplib::Server& s) {
        serve_models(s);
        chat.install(s);
    });
    auto backend = open_fake(server);
    ASSERT_TRUE(backend);
    auto text = backend->submit(greedy_request("hi", 8))->collect();
    ASSERT_TRUE(text.is_error());
    EXPECT_TRUE(contains(text.error().message, "not JSON")) << text.error().message;
}

TEST(OpenAIBackendFake, NonStreamedAnswerIsAccepted) {
    FakeServer server([](httplib::Server& s) {
        serve_models(s);
        s.Post("/v1/chat/completions", [](const httplib::Request&, httplib::Response& res) {
            res.set_content(R"({"choices":[{"index":0,"message":{"role":"assistant","content":"whole answer"},)"
                            R"("finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2}})",
                            "application/json");
        });
    });
    auto backend = open_fake(server);
    ASSERT_TRUE(backend);
    ReplyStats stats;
    auto text = backend->submit(greedy_request("hi", 8))->collect(&stats);
    ASSERT_TRUE(text) << text.error().message;
    EXPECT_EQ(text.value(), "whole answer");
    EXPECT_EQ(stats.generated_tokens, 2);
}

// The request is in and the server withholds even the headers: the reply can end only by the
// cancel.
TEST(OpenAIBackendFake, CancelWhileWaitingForHeadersEndsWithCancelled) {
    EndlessChat endless(EndlessChat::Headers::Withheld);
    FakeServer server(
        [&](httplib::Server& s) {
            serve_models(s);
            endless.install(s);
        },
        [&] { endless.stop(); });
    auto backend = open_fake(server);
    ASSERT_TRUE(backend);
    auto reply = backend->submit(greedy_request("hi", 8));
    endless.wait_for_requests(1);
    reply->cancel();
    Outcome outcome = drain(*reply);
    EXPECT_EQ(outcome.last.kind, ReplyEvent::Kind::Done);
    EXPECT_EQ(outcome.last.stats.stop_reason, StopReason::Cancelled);
}

TEST(OpenAIBackendFake, DestructorCancelsEndlessStreams) {
    EndlessChat endless;
    FakeServer server(
        [&](httplib::Server& s) {
            serve_models(s);
            endless.install(s);
        },
        [&] { endless.stop(); });
    auto backend = open_fake(server);
    ASSERT_TRUE(backend);
    std::vector<std::shared_ptr<Reply>> replies;
    for (int i = 0; i < 3; ++i)
        replies.push_back(backend->submit(greedy_request("hi", 8)));
    for (auto& reply : replies) {
        const ReplyEvent first = reply->next();
        EXPECT_EQ(first.text, "tick ");
    }
    backend.reset();
    for (auto& reply : replies) {
        Outcome outcome = drain(*reply);
        EXPECT_EQ(outcome.last.stats.stop_reason, StopReason::Cancelled);
    }
}

TEST(OpenAIBackendFake, EmptyConversationFailsTheReply) {
    ScriptedChat chat;
    FakeServer server([&](httplib::Server& s) {
        serve_models(s);
        chat.install(s);
    });
    auto backend = open_fake(server);
    ASSERT_TRUE(backend);
    auto text = backend->submit(ChatRequest{})->collect();
    ASSERT_TRUE(text.is_error());
    EXPECT_TRUE(contains(text.error().message, "no messages")) << text.error().message;
}

}  // namespace
