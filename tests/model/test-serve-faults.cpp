// `os1 serve` as a process, on the tiny generated model: killed with SIGKILL under load from
// several users' streaming chats, then restarted on the same home, it has kept every turn whose
// reply was fully delivered, and every database passes SQLite's integrity check; stopped with
// SIGTERM, it lets a reply in flight finish and exits 0.
#include <gtest/gtest.h>

#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/handles.h"
#include "support/http-client.h"
#include "support/subprocess.h"
#include "support/temp-dir.h"

using namespace os1;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string model = std::string(OS1_TEST_MODELS_DIR) + "/tiny-qwen2-q8_0.gguf";
const test::EnvironmentVariables environment = {{"TZ", "UTC0"}};

// The port in the server's "listening on http://127.0.0.1:PORT" line; 0 until it is there.
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

// `os1 serve` on `home`, its port read from its log.
class Server {
public:
    Server(const fs::path& home, const std::vector<std::string>& extra_args) {
        std::vector<std::string> args = {OS1_BINARY, "serve",   "--home", home.string(),  "--port",
                                         "0",        "--model", model,    "--no-learning"};
        args.insert(args.end(), extra_args.begin(), extra_args.end());
        m_process = std::make_unique<test::Subprocess>(args, "", environment);
        const std::string log = m_process->wait_for_error([](const std::string& err) {
            return err.find('\n', err.find("listening on http://")) != std::string::npos;
        });
        m_port = listening_port(log);
    }

    int port() const { return m_port; }
    test::Subprocess& process() { return *m_process; }

private:
    std::unique_ptr<test::Subprocess> m_process;
    int m_port = 0;
};

// A turn whose `done` event arrived: the client saw the whole reply.
struct DeliveredTurn {
    std::string user;
    int64_t conversation = 0;
    int64_t user_turn = 0;
    int64_t reply_turn = 0;
    std::string message;
    std::string reply;  // the text events, joined
};

// The complete events of a server-sent event stream (the HTTP head skipped), as (name, data).
std::vector<std::pair<std::string, json>> sse_events(const std::string& response) {
    std::vector<std::pair<std::string, json>> events;
    size_t at = response.find("\r\n\r\n");
    if (at == std::string::npos)
        return events;
    at += 4;
    for (size_t end; (end = response.find("\n\n", at)) != std::string::npos; at = end + 2) {
        const std::string event = response.substr(at, end - at);
        if (!event.starts_with("event: "))
            continue;
        const size_t newline = event.find('\n');
        const size_t data = event.find("data: ", newline);
        if (newline == std::string::npos || data == std::string::npos)
            continue;
        events.emplace_back(event.substr(7, newline - 7), json::parse(event.substr(data + 6)));
    }
    return events;
}

// One chat turn streamed from POST /api/chat; calls `replying` once its first text arrives.
// The turn when its `done` event arrived; nullopt when the stream ended before (or failed).
std::optional<DeliveredTurn> chat(int port, const std::string& token, const std::string& message,
                                  std::optional<int64_t> conversation, const std::function<void()>& replying) {
    json body = {{"message", message}};
    if (conversation)
        body["conversation"] = *conversation;
    const std::string text = body.dump();
    std::string request = "POST /api/chat HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                          "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(text.size()) +
                          "\r\n";
    if (!token.empty())
        request += "Authorization: Bearer " + token + "\r\n";
    test::RawConnection connection(port, request + "\r\n" + text);
    if (!connection.connected())
        return std::nullopt;
    if (connection.read_until("event: text\n").find("event: text\n") != std::string::npos)
        replying();
    const size_t done = connection.read_until("event: done\n").find("event: done\n");
    if (done == std::string::npos)
        return std::nullopt;
    const std::string response = connection.read_until("\n\n", done);
    if (!response.starts_with("HTTP/1.1 200"))
        return std::nullopt;
    DeliveredTurn turn;
    turn.message = message;
    bool finished = false;
    for (const auto& [name, data] : sse_events(response)) {
        if (name == "text") {
            turn.reply += data["text"].get<std::string>();
        } else if (name == "done") {
            turn.conversation = data["conversation"];
            turn.user_turn = data["user_turn"];
            turn.reply_turn = data["reply_turn"];
            finished = true;
        }
    }
    if (!finished)
        return std::nullopt;
    return turn;
}

// "ok" when the database at `file` passes PRAGMA integrity_check, else what SQLite says.
std::string integrity_of(const fs::path& file) {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr);
    SqlitePtr db(raw);
    if (rc != SQLITE_OK)
        return "cannot open: " + std::string(sqlite3_errstr(rc));
    sqlite3_stmt* raw_statement = nullptr;
    if (sqlite3_prepare_v2(db.get(), "PRAGMA integrity_check", -1, &raw_statement, nullptr) != SQLITE_OK)
        return "cannot check: " + std::string(sqlite3_errmsg(db.get()));
    SqliteStmtPtr statement(raw_statement);
    std::string result;
    while (sqlite3_step(statement.get()) == SQLITE_ROW)
        result += (result.empty() ? "" : "; ") +
                  std::string(reinterpret_cast<const char*>(sqlite3_column_text(statement.get(), 0)));
    return result;
}

std::string token_for(const fs::path& home, const std::string& user) {
    auto added = test::run_process({OS1_BINARY, "user", "add", user, "--password-stdin", "--home", home.string()},
                                   "password for " + user + "\n", environment);
    EXPECT_EQ(added.exit_code, 0) << added.err;
    auto token =
        test::run_process({OS1_BINARY, "token", "create", "--user", user, "--home", home.string()}, "", environment);
    EXPECT_EQ(token.exit_code, 0) << token.err;
    std::string text = token.out;
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
        text.pop_back();
    return text;
}

}  // namespace

TEST(ServeFaults, KillNineUnderLoadKeepsEveryDeliveredTurnAndSoundDatabases) {
    const fs::path home = test::unique_temp_dir("serve-kill");
    ASSERT_FALSE(home.empty());
    const std::vector<std::string> users = {"alice", "bob", "carol"};
    std::map<std::string, std::string> tokens;
    for (const std::string& user : users) {
        tokens[user] = token_for(home, user);
        ASSERT_TRUE(tokens[user].starts_with("os1_")) << tokens[user];
    }

    // Six conversations over the engine's three conversation sequences keep being parked in a
    // small host cache and brought back while the server dies.
    auto server = std::make_unique<Server>(home, std::vector<std::string>{"--max-tokens", "24", "--parked-cache", "8"});
    ASSERT_NE(server->port(), 0) << server->process().finish().err;
    const int port = server->port();

    // Two chatting clients per user, each in its own conversation, until the server dies.
    constexpr int k_turns_per_client = 40;
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<DeliveredTurn> delivered;
    int replying = 0;  // streams whose text has begun and whose done has not arrived
    int clients_left = 0;
    std::vector<std::thread> clients;
    for (const std::string& user : users) {
        for (int client = 0; client < 2; ++client) {
            ++clients_left;
            clients.emplace_back([&, user, client] {
                std::optional<int64_t> conversation;
                auto created = test::http_request(port, "POST", "/api/conversations",
                                                  {{"Authorization", "Bearer " + tokens.at(user)}}, "{}");
                EXPECT_EQ(created.status, 201) << created.body;
                if (created.status == 201)
                    conversation = json::parse(created.body)["id"].get<int64_t>();
                for (int i = 0; i < k_turns_per_client; ++i) {
                    const std::string message =
                        user + " says hello, message " + std::to_string(client) + "." + std::to_string(i);
                    bool began = false;
                    auto turn = chat(port, tokens.at(user), message, conversation, [&] {
                        std::lock_guard lock(mutex);
                        began = true;
                        ++replying;
                        changed.notify_all();
                    });
                    std::lock_guard lock(mutex);
                    if (began)
                        --replying;
                    if (!turn)
                        break;  // the server is gone
                    turn->user = user;
                    conversation = turn->conversation;
                    delivered.push_back(std::move(*turn));
                    changed.notify_all();
                }
                std::lock_guard lock(mutex);
                --clients_left;
                changed.notify_all();
            });
        }
    }
    bool killed_under_load = false;
    {
        // Killed once a few turns are through and a reply is being streamed.
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return (delivered.size() >= 6 && replying > 0) || clients_left == 0; });
        killed_under_load = clients_left > 0;
        server->process().signal(SIGKILL);
    }
    for (std::thread& client : clients)
        client.join();
    ASSERT_TRUE(killed_under_load) << "every client stopped before the kill";
    EXPECT_EQ(server->process().finish().exit_code, 128 + SIGKILL);
    server.reset();
    ASSERT_GE(delivered.size(), 6u);

    // Every database is sound after the crash.
    EXPECT_EQ(integrity_of(home / "accounts.sqlite"), "ok");
    for (const std::string& user : users) {
        const fs::path database = home / "users" / user / "os1.db";
        ASSERT_TRUE(fs::exists(database)) << database;
        EXPECT_EQ(integrity_of(database), "ok") << database;
    }

    // Restarted on the same home: every delivered turn is there, word for word.
    Server restarted(home, {});
    ASSERT_NE(restarted.port(), 0) << restarted.process().finish().err;
    std::map<std::pair<std::string, int64_t>, json> histories;
    for (const DeliveredTurn& turn : delivered) {
        json& history = histories[{turn.user, turn.conversation}];
        if (history.is_null()) {
            auto reply =
                test::http_request(restarted.port(), "GET", "/api/conversations/" + std::to_string(turn.conversation),
                                   {{"Authorization", "Bearer " + tokens[turn.user]}});
            ASSERT_EQ(reply.status, 200) << reply.body;
            history = json::parse(reply.body)["turns"];
        }
        std::optional<std::string> message, reply;
        for (const json& stored : history) {
            if (stored["id"] == turn.user_turn)
                message = stored["text"];
            if (stored["id"] == turn.reply_turn)
                reply = stored["text"];
        }
        EXPECT_EQ(message, turn.message) << turn.user << " turn " << turn.user_turn;
        EXPECT_EQ(reply, turn.reply) << turn.user << " turn " << turn.reply_turn;
    }
    restarted.process().signal(SIGTERM);
    EXPECT_EQ(restarted.process().finish().exit_code, 0);
}

TEST(ServeFaults, SigtermLetsAReplyInFlightFinishAndExitsZero) {
    const fs::path home = test::unique_temp_dir("serve-term");
    ASSERT_FALSE(home.empty());
    Server server(home, {"--max-tokens", "64"});
    ASSERT_NE(server.port(), 0) << server.process().finish().err;

    bool began = false;
    const auto turn = chat(server.port(), "", "tell me about the sea", std::nullopt, [&] {
        // The reply is streaming: stop the server now.
        began = true;
        server.process().signal(SIGTERM);
    });
    if (!began)
        server.process().signal(SIGTERM);
    const test::ProcessResult result = server.process().finish();
    EXPECT_TRUE(began) << "no text arrived";
    ASSERT_TRUE(turn.has_value()) << "the reply in flight did not finish: " << result.err;
    EXPECT_GT(turn->reply_turn, turn->user_turn);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.err.find("stopping"), std::string::npos) << result.err;
}
