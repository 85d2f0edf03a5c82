// `os1 serve` without a model: the HTTP edge, sign-in, isolation between users, the OpenAI
// stream format, limits on hostile input, and hanging up mid-stream. The backend is a seam
// that echoes the user's message in pieces (or holds a reply open until it is cancelled).
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "accounts/accounts.h"
#include "companion/host.h"
#include "server/json-body.h"
#include "server/server.h"
#include "server/worker-pool.h"
#include "support/gate.h"
#include "support/http-client.h"
#include "support/temp-dir.h"

using namespace os1;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string last_user_message(const llm::ChatRequest& request) {
    for (auto it = request.messages.rbegin(); it != request.messages.rend(); ++it) {
        if (it->role == "user")
            return it->content;
    }
    return {};
}

// Echoes the newest user message in three pieces; with `hold` set, sends one piece and keeps
// the reply open until it is cancelled.
class EchoBackend : public llm::Backend {
public:
    ~EchoBackend() override {
        for (std::thread& producer : m_producers)
            producer.join();
    }
    std::shared_ptr<llm::Reply> submit(llm::ChatRequest request) override {
        auto reply = std::make_shared<llm::Reply>();
        std::lock_guard lock(m_mutex);
        requests.push_back(request);
        if (!hold) {
            reply->push_text("echo");
            reply->push_text(": ");
            reply->push_text(last_user_message(request));
            llm::ReplyStats stats;
            stats.prompt_tokens = 7;
            stats.generated_tokens = 3;
            reply->finish(stats);
            return reply;
        }
        reply->push_text("Hello ");
        m_producers.emplace_back([this, reply] {
            while (!reply->cancelled())
                std::this_thread::sleep_for(std::chrono::milliseconds(1));  // a producer polling, as the engine does
            llm::ReplyStats stats;
            stats.stop_reason = llm::StopReason::Cancelled;
            reply->finish(stats);
            std::lock_guard counted(m_mutex);
            ++cancelled;
            m_changed.notify_all();
        });
        return reply;
    }
    llm::BackendInfo info() const override { return {"echo", "echo", "none", 4096, 4}; }

    bool wait_for_cancelled(int count) {
        std::unique_lock lock(m_mutex);
        return m_changed.wait_for(lock, std::chrono::seconds(30), [&] { return cancelled >= count; });
    }

    // The requests so far (a copy: the server's workers may add more).
    std::vector<llm::ChatRequest> seen() {
        std::lock_guard lock(m_mutex);
        return requests;
    }

    std::atomic<bool> hold{false};
    std::vector<llm::ChatRequest> requests;  // under m_mutex
    int cancelled = 0;

private:
    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::vector<std::thread> m_producers;
};

class Server : public ::testing::Test {
protected:
    void SetUp() override {
        m_home = test::unique_temp_dir("server");
        ASSERT_FALSE(m_home.empty());
        m_env.zone = fixed_utc_offset(std::chrono::seconds(0));
        m_env.clock = fixed_clock(from_unix_seconds(1'780'000'000));
        auto accounts = accounts::AccountStore::open(m_home, m_env, {accounts::HashCost::Minimal});
        ASSERT_TRUE(accounts) << accounts.error().message;
        m_accounts = accounts.release_value();
        companion::HostOptions host_options;
        host_options.home = m_home;
        host_options.environment = m_env;
        host_options.companion.learn = false;
        m_host = std::make_unique<companion::CompanionHost>(m_backend, std::move(host_options));
    }

    void start(const std::string& host = "127.0.0.1") {
        server::ServerOptions options;
        options.http.host = host;
        options.http.port = 0;
        options.model_id = "tiny-model";
        options.limit_clock = m_env.clock;  // fixed: a limit spent in a test stays spent
        auto started = server::CompanionServer::start(*m_host, m_backend, *m_accounts, options, m_env);
        ASSERT_TRUE(started) << started.error().message;
        m_server = started.release_value();
        m_port = m_server->port();
    }

    void TearDown() override {
        if (m_server)
            m_server->shutdown(std::chrono::seconds(5));
    }

    // A user with a signed-in browser session: the cookie and the CSRF token.
    struct Session {
        std::string cookie;
        std::string csrf;
    };
    Session sign_in(const std::string& user, const std::string& password) {
        if (!m_accounts->find_user(user).value()) {
            EXPECT_TRUE(m_accounts->add_user(user, password));
        }
        auto reply = test::http_request(m_port, "POST", "/api/login", {{"Content-Type", "application/json"}},
                                        json{{"user", user}, {"password", password}}.dump());
        EXPECT_EQ(reply.status, 200) << reply.body;
        EXPECT_FALSE(reply.set_cookies.empty());
        Session session;
        if (!reply.set_cookies.empty())
            session.cookie = reply.set_cookies[0].substr(0, reply.set_cookies[0].find(';'));
        session.csrf = json::parse(reply.body).value("csrf", "");
        return session;
    }

    test::HttpReply as(const Session& session, const std::string& method, const std::string& path,
                       const std::string& body = {}) {
        std::map<std::string, std::string> headers{{"Cookie", session.cookie}, {"X-CSRF-Token", session.csrf}};
        if (!body.empty())
            headers["Content-Type"] = "application/json";
        return test::http_request(m_port, method, path, headers, body);
    }

    test::HttpReply with_token(const std::string& token, const std::string& method, const std::string& path,
                               const std::string& body = {}) {
        return test::http_request(m_port, method, path,
                                  {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}}, body);
    }

    fs::path m_home;
    Environment m_env;
    EchoBackend m_backend;
    std::unique_ptr<accounts::AccountStore> m_accounts;
    std::unique_ptr<companion::CompanionHost> m_host;
    std::unique_ptr<server::CompanionServer> m_server;
    int m_port = 0;
};

// The data lines of an SSE body, each parsed ("[DONE]" kept as a string).
std::vector<json> sse_data(const std::string& body) {
    std::vector<json> out;
    size_t start = 0;
    while ((start = body.find("data: ", start)) != std::string::npos) {
        const size_t end = body.find("\n\n", start);
        const std::string data = body.substr(start + 6, end - start - 6);
        out.push_back(data == "[DONE]" ? json("[DONE]") : json::parse(data));
        start = end;
    }
    return out;
}

}  // namespace

TEST_F(Server, WithoutAccountsOnlyThisMachineIsServedAsTheLocalUser) {
    start();
    auto me = test::http_request(m_port, "GET", "/api/me");
    ASSERT_EQ(me.status, 200) << me.body;
    EXPECT_EQ(json::parse(me.body)["user"], "default");
    // DNS rebinding: a page on another name that resolves here is refused.
    EXPECT_EQ(test::http_request(m_port, "GET", "/api/me", {{"Host", "evil.example:80"}}).status, 403);
    // Another site's page posting here is refused.
    EXPECT_EQ(test::http_request(m_port, "POST", "/api/memory",
                                 {{"Origin", "http://evil.example"}, {"Content-Type", "application/json"}},
                                 R"({"text":"x"})")
                  .status,
              403);
}

TEST_F(Server, ListeningBeyondLoopbackNeedsAccounts) {
    server::ServerOptions options;
    options.http.host = "0.0.0.0";
    options.http.port = 0;
    auto refused = server::CompanionServer::start(*m_host, m_backend, *m_accounts, options, m_env);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("os1 user add"), std::string::npos);
}

TEST_F(Server, SignInSessionsNeedTheCsrfTokenAndTokensWork) {
    ASSERT_TRUE(m_accounts->add_user("alice", "correct horse"));
    start();
    EXPECT_EQ(test::http_request(m_port, "GET", "/api/me").status, 401);
    auto wrong = test::http_request(m_port, "POST", "/api/login", {{"Content-Type", "application/json"}},
                                    R"({"user":"alice","password":"wrong password"})");
    EXPECT_EQ(wrong.status, 401);

    Session alice = sign_in("alice", "correct horse");
    auto me = as(alice, "GET", "/api/me");
    ASSERT_EQ(me.status, 200);
    EXPECT_EQ(json::parse(me.body)["user"], "alice");
    auto login = test::http_request(m_port, "POST", "/api/login", {{"Content-Type", "application/json"}},
                                    R"({"user":"alice","password":"correct horse"})");
    EXPECT_NE(login.set_cookies[0].find("HttpOnly"), std::string::npos);
    EXPECT_NE(login.set_cookies[0].find("SameSite=Strict"), std::string::npos);
    EXPECT_EQ(login.set_cookies[0].find("Secure"), std::string::npos);
    // Behind a TLS proxy on this machine, the cookie is Secure.
    auto over_tls = test::http_request(m_port, "POST", "/api/login",
                                       {{"Content-Type", "application/json"}, {"X-Forwarded-Proto", "https"}},
                                       R"({"user":"alice","password":"correct horse"})");
    EXPECT_NE(over_tls.set_cookies[0].find("Secure"), std::string::npos);

    // A state change without the CSRF token is refused.
    auto no_csrf = test::http_request(m_port, "POST", "/api/memory",
                                      {{"Cookie", alice.cookie}, {"Content-Type", "application/json"}},
                                      R"({"text":"I love hiking"})");
    EXPECT_EQ(no_csrf.status, 403);
    EXPECT_EQ(as(alice, "POST", "/api/memory", R"({"text":"I love hiking"})").status, 201);

    auto token = as(alice, "POST", "/api/tokens", R"({"label":"script"})");
    ASSERT_EQ(token.status, 201) << token.body;
    const std::string secret = json::parse(token.body)["token"];
    auto by_token = with_token(secret, "GET", "/api/me");
    EXPECT_EQ(json::parse(by_token.body)["user"], "alice");
    EXPECT_EQ(with_token("os1_not-a-real-token", "GET", "/api/me").status, 401);

    EXPECT_EQ(as(alice, "POST", "/api/logout").status, 204);
    EXPECT_EQ(as(alice, "GET", "/api/me").status, 401);
}

TEST_F(Server, AnotherUsersDataAnswersExactlyLikeNothing) {
    ASSERT_TRUE(m_accounts->add_user("alice", "alice password"));
    ASSERT_TRUE(m_accounts->add_user("bob", "bob password1"));
    start();
    Session alice = sign_in("alice", "alice password");
    Session bob = sign_in("bob", "bob password1");
    auto remembered = as(alice, "POST", "/api/memory", R"({"text":"my secret is the blue door"})");
    ASSERT_EQ(remembered.status, 201);
    const int64_t id = json::parse(remembered.body)["id"];
    ASSERT_EQ(as(alice, "GET", "/api/memory/" + std::to_string(id)).status, 200);

    // Bob: Alice's id, the next ids, and ids that were never handed out all look the same.
    const auto missing = as(bob, "GET", "/api/memory/999999");
    EXPECT_EQ(missing.status, 404);
    for (const std::string& guess : {std::to_string(id), std::to_string(id + 1), std::string("0"), std::string("-1")}) {
        auto peek = as(bob, "GET", "/api/memory/" + guess);
        EXPECT_EQ(peek.status, 404) << guess;
        EXPECT_EQ(peek.body, missing.body) << guess;
        EXPECT_EQ(as(bob, "DELETE", "/api/memory/" + guess).status, 404) << guess;
        EXPECT_EQ(as(bob, "PATCH", "/api/memory/" + guess, R"({"text":"changed"})").status, 404) << guess;
    }
    for (const char* path : {"/api/memory/..%2F..%2Falice", "/api/memory/%2E%2E/alice", "/api/../users/alice"})
        EXPECT_EQ(as(bob, "GET", path).status, 404) << path;
    EXPECT_TRUE(json::parse(as(bob, "GET", "/api/memory/search?q=blue%20door").body)["hits"].empty());
    EXPECT_FALSE(json::parse(as(alice, "GET", "/api/memory/search?q=blue%20door").body)["hits"].empty());

    // Conversations too: Alice's conversation id does not open Bob's.
    auto chat = as(alice, "POST", "/api/chat", R"({"message":"hello from alice"})");
    ASSERT_EQ(chat.status, 200);
    auto conversations = json::parse(as(alice, "GET", "/api/conversations").body)["conversations"];
    ASSERT_EQ(conversations.size(), 1u);
    const int64_t conversation = conversations[0]["id"];
    EXPECT_EQ(as(bob, "GET", "/api/conversations/" + std::to_string(conversation)).status, 404);
    EXPECT_EQ(as(bob, "POST", "/api/chat", json{{"message", "hi"}, {"conversation", conversation}}.dump()).status,
              404);
    EXPECT_TRUE(json::parse(as(bob, "GET", "/api/conversations").body)["conversations"].empty());
    // The memory is Alice's alone, on disk as well.
    EXPECT_FALSE(fs::exists(m_home / "users" / "bob" / "os1.db") &&
                 json::parse(as(bob, "GET", "/api/memory").body)["memories"].size() > 0);
}

TEST_F(Server, CompanionChatStreamsPreparedTextAndDoneAndStoresTheTurns) {
    start();
    auto chat = test::http_request(m_port, "POST", "/api/chat", {{"Content-Type", "application/json"}},
                                   R"({"message":"I am so happy today, this is wonderful!"})");
    ASSERT_EQ(chat.status, 200) << chat.body;
    EXPECT_EQ(chat.headers["content-type"], "text/event-stream; charset=utf-8");
    EXPECT_NE(chat.body.find("event: prepared\n"), std::string::npos);
    EXPECT_NE(chat.body.find("event: text\ndata: {\"text\":\"echo\"}"), std::string::npos);
    const size_t done = chat.body.find("event: done\n");
    ASSERT_NE(done, std::string::npos);
    json finished = json::parse(chat.body.substr(chat.body.find("data: ", done) + 6));
    EXPECT_GT(double(finished["mood"]["pleasure"]), 0.0);
    EXPECT_FALSE(finished["interrupted"]);
    auto history = json::parse(
        test::http_request(m_port, "GET", "/api/conversations/" + std::to_string(int64_t(finished["conversation"])))
            .body);
    ASSERT_EQ(history["turns"].size(), 2u);
    EXPECT_EQ(history["turns"][1]["text"], "echo: I am so happy today, this is wonderful!");
}

TEST_F(Server, OpenAIStreamsFollowOpenAIsRules) {
    start();
    const std::string request = json{{"model", "os1"},
                                     {"stream", true},
                                     {"stream_options", {{"include_usage", true}}},
                                     {"messages", {{{"role", "system"}, {"content", "You are a pirate."}},
                                                   {{"role", "user"}, {"content", "ahoy"}}}}}
                                    .dump();
    auto reply = test::http_request(m_port, "POST", "/v1/chat/completions", {{"Content-Type", "application/json"}},
                                    request);
    ASSERT_EQ(reply.status, 200) << reply.body;
    std::vector<json> chunks = sse_data(reply.body);
    ASSERT_GE(chunks.size(), 4u);
    EXPECT_EQ(chunks.back(), "[DONE]");
    const json& usage = chunks[chunks.size() - 2];
    EXPECT_TRUE(usage["choices"].empty());
    EXPECT_EQ(usage["usage"]["completion_tokens"], 3);
    const std::string id = chunks[0]["id"];
    std::string text;
    for (size_t i = 0; i + 2 < chunks.size(); ++i) {
        EXPECT_EQ(chunks[i]["id"], id);
        EXPECT_EQ(chunks[i]["object"], "chat.completion.chunk");
        const json& delta = chunks[i]["choices"][0]["delta"];
        if (i == 0) {
            EXPECT_EQ(delta["role"], "assistant");
        }
        if (delta.contains("content"))
            text += delta["content"].get<std::string>();
    }
    EXPECT_EQ(text, "echo: ahoy");
    EXPECT_EQ(chunks[chunks.size() - 3]["choices"][0]["finish_reason"], "stop");
    // The companion keeps its own persona: the client's system prompt is not in the prompt.
    const llm::ChatRequest sent = m_backend.seen().back();
    for (const llm::Message& message : sent.messages)
        EXPECT_EQ(message.content.find("You are a pirate."), std::string::npos);

    // Not streamed: one chat.completion.
    auto whole = test::http_request(m_port, "POST", "/v1/chat/completions", {{"Content-Type", "application/json"}},
                                    R"({"model":"tiny-model","messages":[{"role":"user","content":"plain"}]})");
    ASSERT_EQ(whole.status, 200) << whole.body;
    json completion = json::parse(whole.body);
    EXPECT_EQ(completion["object"], "chat.completion");
    EXPECT_EQ(completion["choices"][0]["message"]["content"], "echo: plain");
    EXPECT_EQ(completion["usage"]["total_tokens"], 10);
    // The plain model shares no cache and no conversation.
    EXPECT_TRUE(m_backend.seen().back().conversation.empty());
}

TEST_F(Server, AClientHistoryContinuesItsConversationAndAForeignOneStartsANewOne) {
    start();
    const auto ask = [&](const json& messages) {
        auto reply = test::http_request(m_port, "POST", "/v1/chat/completions", {{"Content-Type", "application/json"}},
                                        json{{"model", "os1"}, {"messages", messages}}.dump());
        EXPECT_EQ(reply.status, 200) << reply.body;
        return json::parse(reply.body)["choices"][0]["message"]["content"].get<std::string>();
    };
    const std::string first = ask({{{"role", "user"}, {"content", "one"}}});
    ask({{{"role", "user"}, {"content", "one"}},
         {{"role", "assistant"}, {"content", first}},
         {{"role", "user"}, {"content", "two"}}});
    auto conversations = json::parse(test::http_request(m_port, "GET", "/api/conversations").body)["conversations"];
    ASSERT_EQ(conversations.size(), 1u);
    EXPECT_EQ(conversations[0]["turns"], 4);
    // An edited history is a new conversation, and none of its invented words are stored.
    ask({{{"role", "user"}, {"content", "one"}},
         {{"role", "assistant"}, {"content", "words the companion never said"}},
         {{"role", "user"}, {"content", "three"}}});
    conversations = json::parse(test::http_request(m_port, "GET", "/api/conversations").body)["conversations"];
    ASSERT_EQ(conversations.size(), 2u);
    EXPECT_EQ(conversations[0]["turns"], 2);
}

TEST_F(Server, BadRequestsGetAClearFourHundred) {
    start();
    const auto post = [&](const std::string& path, const std::string& body) {
        return test::http_request(m_port, "POST", path, {{"Content-Type", "application/json"}}, body);
    };
    const auto message_of = [](const test::HttpReply& reply) {
        return json::parse(reply.body)["error"]["message"].get<std::string>();
    };
    auto malformed = post("/v1/chat/completions", "{\"model\": ");
    EXPECT_EQ(malformed.status, 400);
    EXPECT_NE(message_of(malformed).find("not valid JSON"), std::string::npos);
    auto nested = post("/v1/chat/completions", std::string(100000, '[') + std::string(100000, ']'));
    EXPECT_EQ(nested.status, 400);
    EXPECT_NE(message_of(nested).find("nests deeper"), std::string::npos);
    auto bad_utf8 = post("/api/memory", "{\"text\":\"\xff\xfe\"}");
    EXPECT_EQ(bad_utf8.status, 400);
    auto wrong_type = post("/v1/chat/completions", R"({"model":"os1","messages":[{"role":"user","content":"x"}],"temperature":"hot"})");
    EXPECT_EQ(wrong_type.status, 400);
    EXPECT_NE(message_of(wrong_type).find("'temperature'"), std::string::npos);
    auto n = post("/v1/chat/completions", R"({"model":"os1","n":2,"messages":[{"role":"user","content":"x"}]})");
    EXPECT_EQ(n.status, 400);
    EXPECT_NE(message_of(n).find("'n'"), std::string::npos);
    EXPECT_EQ(json::parse(n.body)["error"]["type"], "invalid_request_error");
    auto model = post("/v1/chat/completions", R"({"model":"gpt-9","messages":[{"role":"user","content":"x"}]})");
    EXPECT_EQ(model.status, 404);
    EXPECT_EQ(json::parse(model.body)["error"]["code"], "model_not_found");
    auto huge = post("/api/memory", std::string(9 << 20, 'x'));
    EXPECT_EQ(huge.status, 413);
    EXPECT_EQ(test::http_request(m_port, "GET", "/api/nothing-here").status, 404);
    EXPECT_EQ(test::http_request(m_port, "DELETE", "/api/mood").status, 405);
    // Nothing above reached the model.
    EXPECT_TRUE(m_backend.seen().empty());
}

// A number beyond a double's range (1e999) is malformed input for the client to fix, a 400 that
// says so, in every JSON body; never a failure of the server.
TEST_F(Server, NumbersBeyondRangeGetAClearFourHundred) {
    start();
    const auto post = [&](const std::string& path, const std::string& body) {
        return test::http_request(m_port, "POST", path, {{"Content-Type", "application/json"}}, body);
    };
    const std::string too_large = "the body holds a number too large to represent";
    const std::vector<std::pair<std::string, std::string>> bodies = {
        {"/v1/chat/completions", R"({"model":"os1","temperature":1e999,"messages":[{"role":"user","content":"x"}]})"},
        {"/api/chat", R"({"message":"hi","conversation":-1e999})"},
        {"/api/memory", R"({"text":"I like tea","weight":1e999})"},
    };
    for (const auto& [path, body] : bodies) {
        auto reply = post(path, body);
        ASSERT_EQ(reply.status, 400) << path << ": " << reply.body;
        EXPECT_EQ(json::parse(reply.body)["error"]["message"], too_large) << path;
    }
    auto card = post("/api/persona", R"({"name":"A","description":"","personality":"","scenario":"","first_mes":"",
                                         "mes_example":"","age":1e999})");
    ASSERT_EQ(card.status, 400) << card.body;
    EXPECT_EQ(json::parse(card.body)["error"]["message"],
              "the uploaded card: invalid JSON: number overflow parsing '1e999'");
    auto parsed = server::parse_json_object(R"({"n":1e999})");
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().kind, ErrorKind::InvalidInput);
    EXPECT_TRUE(m_backend.requests.empty());
}

TEST_F(Server, HangingUpMidStreamCancelsTheReplyAndKeepsWhatWasSent) {
    start();
    m_backend.hold = true;
    const std::string body = R"({"message":"tell me a long story"})";
    test::RawConnection client(m_port, "POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                                       "application/json\r\nContent-Length: " +
                                           std::to_string(body.size()) + "\r\n\r\n" + body);
    ASSERT_TRUE(client.connected());
    const std::string seen = client.read_until("Hello ");
    ASSERT_NE(seen.find("Hello "), std::string::npos);
    client.close();
    ASSERT_TRUE(m_backend.wait_for_cancelled(1));
    m_host->drain();
    // The exchange is stored with what was delivered, marked interrupted.
    auto conversations = json::parse(test::http_request(m_port, "GET", "/api/conversations").body)["conversations"];
    ASSERT_EQ(conversations.size(), 1u);
    json turns;
    for (int attempt = 0; attempt < 1000; ++attempt) {  // the cancel stores on a worker thread
        turns = json::parse(test::http_request(m_port, "GET", "/api/conversations/" +
                                                              std::to_string(int64_t(conversations[0]["id"])))
                                .body)["turns"];
        if (turns.size() == 2)
            break;
        std::this_thread::yield();
    }
    ASSERT_EQ(turns.size(), 2u);
    EXPECT_EQ(turns[1]["text"], "Hello ");
    EXPECT_TRUE(turns[1]["interrupted"]);
}

TEST_F(Server, ShutdownLetsARequestInFlightFinish) {
    start();
    m_backend.hold = true;
    const std::string body = R"({"model":"os1","stream":true,"messages":[{"role":"user","content":"hi"}]})";
    test::RawConnection client(m_port, "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                                       "application/json\r\nContent-Length: " +
                                           std::to_string(body.size()) + "\r\n\r\n" + body);
    ASSERT_NE(client.read_until("Hello ").find("Hello "), std::string::npos);
    // The grace runs out (the held reply never ends by itself): the stream is cancelled and
    // the connection closed, and the server stops.
    m_server->shutdown(std::chrono::milliseconds(200));
    EXPECT_TRUE(m_backend.wait_for_cancelled(1));
    EXPECT_EQ(test::http_request(m_port, "GET", "/api/health").status, 0);
    m_server.reset();
}

TEST_F(Server, AnAdminManagesAccountsButReadsNoOnesData) {
    ASSERT_TRUE(m_accounts->add_user("root", "root password", accounts::Role::Admin));
    ASSERT_TRUE(m_accounts->add_user("alice", "alice password"));
    start();
    Session root = sign_in("root", "root password");
    Session alice = sign_in("alice", "alice password");
    ASSERT_EQ(as(alice, "POST", "/api/memory", R"({"text":"my diary is private"})").status, 201);

    EXPECT_EQ(as(alice, "GET", "/api/admin/users").status, 403);
    auto users = json::parse(as(root, "GET", "/api/admin/users").body)["users"];
    EXPECT_EQ(users.size(), 2u);
    EXPECT_EQ(as(root, "POST", "/api/admin/users", R"({"user":"carol","password":"carol password"})").status, 201);
    EXPECT_EQ(as(root, "POST", "/api/admin/users", R"({"user":"../x","password":"carol password"})").status, 400);
    // The admin's own companion is the admin's: Alice's memory is not in it.
    EXPECT_TRUE(json::parse(as(root, "GET", "/api/memory/search?q=diary").body)["hits"].empty());
    EXPECT_EQ(as(root, "DELETE", "/api/admin/users/alice").status, 204);
    EXPECT_EQ(as(alice, "GET", "/api/me").status, 401);
    // Removing the account keeps the data folder for the command line to deal with.
    EXPECT_TRUE(fs::exists(m_home / "users" / "alice" / "os1.db"));
}

TEST_F(Server, UsersSendingTheSameMessageAtOnceEachGetTheirOwnTurns) {
    constexpr int users = 8;
    std::vector<std::string> tokens;
    for (int u = 0; u < users; ++u) {
        const std::string name = "user" + std::to_string(u);
        ASSERT_TRUE(m_accounts->add_user(name, "password " + name));
        tokens.push_back(m_accounts->create_token(name, "test")->second);
    }
    start();
    std::vector<std::thread> clients;
    std::atomic<int> failures{0};
    for (int u = 0; u < users; ++u) {
        clients.emplace_back([&, u] {
            for (int k = 0; k < 3; ++k) {
                auto reply = with_token(tokens[u], "POST", "/api/chat", R"({"message":"the very same words"})");
                if (reply.status != 200 || reply.body.find("event: done") == std::string::npos)
                    ++failures;
            }
        });
    }
    for (std::thread& client : clients)
        client.join();
    EXPECT_EQ(failures, 0);
    for (int u = 0; u < users; ++u) {
        auto conversations = json::parse(with_token(tokens[u], "GET", "/api/conversations").body)["conversations"];
        ASSERT_EQ(conversations.size(), 1u);
        EXPECT_EQ(conversations[0]["turns"], 6);
    }
    // Every request went to the engine under its own user's conversation key.
    std::set<std::string> keys;
    for (const llm::ChatRequest& request : m_backend.seen())
        keys.insert(request.conversation.substr(0, request.conversation.find('/')));
    EXPECT_EQ(keys.size(), size_t(users));
}

TEST_F(Server, SignInAttemptsAreLimitedWithRetryAfter) {
    ASSERT_TRUE(m_accounts->add_user("alice", "correct horse"));
    start();
    int refused = 0;
    test::HttpReply last;
    for (int attempt = 0; attempt < 6; ++attempt) {
        last = test::http_request(m_port, "POST", "/api/login", {{"Content-Type", "application/json"}},
                                  R"({"user":"alice","password":"wrong guess"})");
        refused += last.status == 429;
    }
    // Five tries, then the clock (fixed here) must move before the next.
    EXPECT_EQ(refused, 1);
    EXPECT_EQ(last.status, 429);
    EXPECT_GE(std::stoi(last.headers["retry-after"]), 1);
    // Even the right password waits: guessing gains nothing by ending on it.
    EXPECT_EQ(test::http_request(m_port, "POST", "/api/login", {{"Content-Type", "application/json"}},
                                 R"({"user":"alice","password":"correct horse"})")
                  .status,
              429);
}

// Work for requests already admitted (a crowd's hang-ups to store) never counts against new ones.
TEST(WorkerPool, OnlyWaitingNewRequestsCountAgainstAdmission) {
    server::WorkerPool pool(1, 2, discard_log);
    test::Gate gate;
    pool.post([&] { gate.hold(); });
    gate.wait_until_held();
    std::atomic<int> ran{0};
    for (int i = 0; i < 100; ++i)
        pool.post([&] { ++ran; });
    EXPECT_TRUE(pool.try_post([&] { ++ran; }));
    EXPECT_TRUE(pool.try_post([&] { ++ran; }));
    EXPECT_FALSE(pool.try_post([&] { ++ran; })) << "two new requests wait already";
    gate.open();
    std::atomic<bool> last{false};
    while (!pool.try_post([&] { last = true; }))
        std::this_thread::yield();
    while (!last)
        std::this_thread::yield();
    EXPECT_EQ(ran.load(), 102);
}

