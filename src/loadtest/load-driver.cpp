#include "loadtest/load-driver.h"

#include <array>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "loadtest/chat-stream.h"
#include "loadtest/latency-stats.h"

namespace os1::loadtest {

namespace net = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

struct UserRecord {
    std::vector<ChatOutcome> outcomes;
    Clock::time_point last_end{};
};

std::vector<llm::Message> opening(const LoadOptions& options) {
    if (options.system_prompt.empty())
        return {};
    return {{"system", options.system_prompt}};
}

net::awaitable<void> warm_up(net::ip::tcp::endpoint server, const LoadOptions& options, size_t user) {
    ChatCall call;
    call.bearer = options.bearers[user];
    call.model = options.model;
    call.messages = opening(options);
    call.messages.push_back({"user", "Hello!"});
    call.max_tokens = 1;
    call.seed = options.seed;
    co_await stream_chat(server, std::move(call), options.request_timeout);
}

net::awaitable<void> simulate_user(net::ip::tcp::endpoint server, const LoadOptions& options, size_t user,
                                   UserRecord& record) {
    std::vector<llm::Message> history = opening(options);
    for (int32_t turn = 0; turn < options.turns; ++turn) {
        history.push_back({"user", user_message(int32_t(user), turn)});
        ChatCall call;
        call.bearer = options.bearers[user];
        call.model = options.model;
        call.messages = history;
        call.max_tokens = options.max_tokens;
        call.seed = options.seed;
        ChatOutcome outcome = co_await stream_chat(server, std::move(call), options.request_timeout);
        record.last_end = Clock::now();
        const bool ok = outcome.ok();
        history.push_back({"assistant", outcome.text});
        record.outcomes.push_back(std::move(outcome));
        if (!ok)
            co_return;  // the conversation cannot go on from a broken turn
    }
}

}  // namespace

std::string user_message(int32_t user, int32_t turn) {
    static const std::array<const char*, 8> places = {"the river",   "the old mill", "the station", "the market",
                                                      "the harbour", "the library",  "the orchard", "the bridge"};
    static const std::array<const char*, 8> things = {"a letter", "a song",  "a photograph", "a recipe",
                                                      "a map",    "a story", "a garden",     "a painting"};
    static const std::array<const char*, 6> questions = {
        "What do you think makes a place feel like home?", "Do you think small habits change who we are?",
        "How would you spend a quiet Sunday morning?",     "What is a good way to remember the people we love?",
        "Is it better to plan a trip or to wander?",       "What makes a conversation worth having?"};
    const auto pick = [](const auto& list, int32_t index) { return list[size_t(index) % list.size()]; };
    return "This is message " + std::to_string(turn + 1) + " from reader " + std::to_string(user + 1) +
           ". Yesterday I walked past " + pick(places, user + turn) + " and found " + pick(things, user * 3 + turn) +
           " that reminded me of " + pick(places, user * 5 + turn * 3 + 1) + " and of " +
           pick(things, user + turn * 5 + 2) + " my grandmother kept. " + pick(questions, user + turn);
}

ErrorOr<LoadResult> run_load(const LoadOptions& options) {
    boost::system::error_code ec;
    const auto address = net::ip::make_address(options.host, ec);
    if (ec)
        return make_error(ErrorKind::InvalidInput, "'" + options.host + "' is not an IP address");
    const net::ip::tcp::endpoint server(address, options.port);
    const size_t users = options.bearers.size();

    if (options.warm_up) {
        net::io_context io;
        for (size_t user = 0; user < users; ++user)
            net::co_spawn(io, warm_up(server, options, user), net::detached);
        io.run();
    }

    std::vector<UserRecord> records(users);
    net::io_context io;
    for (size_t user = 0; user < users; ++user)
        net::co_spawn(io, simulate_user(server, options, user, records[user]), net::detached);
    const Clock::time_point start = Clock::now();
    io.run();

    LoadResult result;
    result.users = int32_t(users);
    Clock::time_point end = start;
    for (const UserRecord& record : records) {
        end = std::max(end, record.last_end);
        for (const ChatOutcome& outcome : record.outcomes) {
            ++result.requests;
            if (!outcome.ok()) {
                if (result.failures++ == 0)
                    result.first_failure = outcome.error;
                continue;
            }
            result.completion_tokens += outcome.completion_tokens;
            result.prompt_tokens += outcome.prompt_tokens;
            result.cached_tokens += outcome.cached_tokens;
            if (!outcome.text.empty())  // a reply that ended at once has no first token
                result.ttft_ms.push_back(outcome.ttft_ms);
        }
    }
    result.wall_s = std::chrono::duration<double>(end - start).count();
    result.tokens_per_s = result.wall_s > 0 ? double(result.completion_tokens) / result.wall_s : 0;
    result.ttft_p50_ms = percentile(result.ttft_ms, 0.50);
    result.ttft_p95_ms = percentile(result.ttft_ms, 0.95);
    return result;
}

}  // namespace os1::loadtest
