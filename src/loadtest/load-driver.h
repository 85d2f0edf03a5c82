// The load driver: simulated users talking to an OpenAI-compatible server at once over
// loopback, each holding its own conversation for a few turns and sending the whole history
// each time, as chat front ends do. All users run as coroutines on one client thread, so the
// client adds one thread, whatever the number of users. Measures aggregate generated tokens per
// second and the time to first token of every request.
//
// run_load blocks until every user has finished; it is safe to call from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"

namespace os1::loadtest {

struct LoadOptions {
    std::string host = "127.0.0.1";
    uint16_t port = 0;
    std::string model;                 // "os1" for the companion, the model's id otherwise
    std::vector<std::string> bearers;  // one per simulated user (empty strings for no token)
    int32_t turns = 3;                 // requests per user, one after the other
    int32_t max_tokens = 32;
    uint32_t seed = 1;
    // When not empty, every request opens with this system message, as a chat front end sends
    // its own persona.
    std::string system_prompt;
    // Before timing, each user sends one short request (one token), so that what a server does
    // once per user and process (loading a user's companion) stays out of the figures.
    bool warm_up = true;
    std::chrono::milliseconds request_timeout = std::chrono::minutes(10);
};

struct LoadResult {
    int32_t users = 0;
    int32_t requests = 0;
    int32_t failures = 0;
    std::string first_failure;  // what went wrong with the first failed request
    int64_t completion_tokens = 0;
    int64_t prompt_tokens = 0;    // as the server counted them (usage), summed
    int64_t cached_tokens = 0;    // of those, what the server said it served from its cache
    double wall_s = 0;            // from the first request written to the last stream's end
    double tokens_per_s = 0;      // completion_tokens / wall_s
    std::vector<double> ttft_ms;  // one per successful request with content
    double ttft_p50_ms = 0;
    double ttft_p95_ms = 0;

    // The rate had every failed request generated `max_tokens`, the most it can have: a failed
    // request's tokens reach no count, though the server spent the work.
    double tokens_per_s_failures_whole(int32_t max_tokens) const {
        return wall_s > 0 ? double(completion_tokens + int64_t(failures) * max_tokens) / wall_s : 0;
    }
};

// The message user `user` sends at turn `turn` (both from 0): the same for every server, about
// fifty tokens, different for each user and turn.
std::string user_message(int32_t user, int32_t turn);

// Runs the users to the end. An error only when the address is not one; failed requests are
// counted in the result.
ErrorOr<LoadResult> run_load(const LoadOptions& options);

}  // namespace os1::loadtest
