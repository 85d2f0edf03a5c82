// `os1 bench serve` through the real binary on the tiny generated model: a short run with one
// and two users and a small crowd of waiting streams, checking the report's structure (never
// its figures, which depend on the machine).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "support/subprocess.h"

using namespace os1::test;
using nlohmann::json;

namespace {

const std::filesystem::path tiny_model = std::filesystem::path(OS1_TEST_MODELS_DIR) / "tiny-qwen2-q8_0.gguf";
const std::filesystem::path llama_server = std::filesystem::path(OS1_LLAMA_PREFIX) / "bin" / "llama-server";

void expect_spread(const json& spread, const std::string& where) {
    ASSERT_TRUE(spread.is_object()) << where;
    for (const char* key : {"median", "min", "max"})
        EXPECT_TRUE(spread[key].is_number()) << where << "." << key;
    EXPECT_LE(spread["min"].get<double>(), spread["max"].get<double>()) << where;
}

void expect_server_level(const json& server, const std::string& where) {
    ASSERT_TRUE(server.is_object()) << where;
    expect_spread(server["tokens_per_s"], where + ".tokens_per_s");
    expect_spread(server["ttft_p50_ms"], where + ".ttft_p50_ms");
    expect_spread(server["ttft_p95_ms"], where + ".ttft_p95_ms");
    EXPECT_EQ(server["failures"], 0) << where;
    EXPECT_GT(server["tokens_per_s"]["median"].get<double>(), 0) << where;
}

void expect_idle(const json& idle, const std::string& where) {
    ASSERT_TRUE(idle.is_object()) << where;
    EXPECT_EQ(idle["connections"], 8) << where;
    EXPECT_TRUE(idle["all_queued"].is_boolean()) << where;
    for (const char* phase : {"before", "open", "after"}) {
        EXPECT_GT(idle[phase]["rss_mib"].get<double>(), 0) << where << "." << phase;
        EXPECT_GT(idle[phase]["threads"].get<int>(), 0) << where << "." << phase;
    }
    EXPECT_EQ(idle["recovered"], true) << where << ": " << idle["recovery_error"];
}

bool reference_built() {
    return std::filesystem::exists(llama_server);
}

// Runs os1 bench serve with `args`, against llama-server when it is built and alone otherwise;
// the parsed report, or a null value (with a failure recorded) when the run failed.
json run_bench_serve(std::vector<std::string> args) {
    if (reference_built())
        args.insert(args.end(), {"--llama-server", llama_server.string()});
    else
        args.push_back("--no-reference");
    ProcessResult r = run_process(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    json report = json::parse(r.out, nullptr, false);
    EXPECT_TRUE(report.is_object()) << r.out;
    return r.exit_code == 0 && report.is_object() ? report : json();
}

// The value that follows `flag` on llama-server's command line, or a null value.
json reference_flag(const json& report, const std::string& flag) {
    const json& command = report["reference_command"];
    const auto found = std::find(command.begin(), command.end(), json(flag));
    EXPECT_NE(found, command.end()) << flag << " is not in " << command;
    if (found == command.end() || std::next(found) == command.end())
        return json();
    return *std::next(found);
}

}  // namespace

TEST(BenchServe, ReportsEachLevelAndTheWaitingCrowdAsJson) {
    const bool reference = reference_built();
    const json report = run_bench_serve({OS1_BINARY, "bench", "serve", "--model", tiny_model.string(), "--users",
                                         "1,2", "--requests-per-user", "2", "--max-tokens", "4", "--runs", "1",
                                         "--idle-connections", "8", "--idle-parallel", "2", "--ctx-size", "512",
                                         "--plain", "--json"});
    ASSERT_TRUE(report.is_object());

    EXPECT_EQ(report["runs"], 1);
    EXPECT_EQ(report["requests_per_user"], 2);
    EXPECT_EQ(report["max_tokens"], 4);
    EXPECT_GT(report["threads"].get<int>(), 0);
    ASSERT_EQ(report["levels"].size(), 2u);
    EXPECT_EQ(report["levels"][0]["users"], 1);
    EXPECT_EQ(report["levels"][1]["users"], 2);
    for (const json& level : report["levels"]) {
        const std::string where = "levels[" + level["users"].dump() + "]";
        expect_server_level(level["os1"], where + ".os1");
        expect_server_level(level["os1_plain"], where + ".os1_plain");
        if (!reference)
            continue;
        expect_server_level(level["llama_server"], where + ".llama_server");
        expect_spread(level["ratio"]["tokens_per_s"], where + ".ratio.tokens_per_s");
        expect_spread(level["ratio"]["tokens_per_s_failures_whole"], where + ".ratio.tokens_per_s_failures_whole");
        expect_spread(level["ratio"]["ttft_p95"], where + ".ratio.ttft_p95");
        // Neither server failed a request, so counting failures whole changes nothing.
        EXPECT_EQ(level["ratio"]["tokens_per_s_failures_whole"], level["ratio"]["tokens_per_s"]) << where;
    }
    ASSERT_EQ(report["per_run"].size(), 1u);
    const json& run = report["per_run"][0];
    EXPECT_TRUE(run["load_before"].is_number());
    ASSERT_EQ(run["levels"].size(), 2u);
    // Two requests per user, all answered.
    EXPECT_EQ(run["levels"][1]["os1"]["requests"], 4);
    EXPECT_GT(run["levels"][1]["os1"]["completion_tokens"].get<int>(), 0);

    expect_idle(report["idle"]["os1"], "idle.os1");
    if (reference) {
        expect_idle(report["idle"]["llama_server"], "idle.llama_server");
        // Like with like: os1's engine runs plain attention on the CPU, and llama-server is told to.
        EXPECT_EQ(reference_flag(report, "-fa"), "off");
    }
}

TEST(BenchServe, AColdStartTimesEachUsersFirstContact) {
    // One user, one request, os1 alone. Warm, an untimed request first leaves the persona in the
    // cache, so the timed one computes only what follows it; cold, the timed request is the
    // first contact and computes its whole prompt.
    const auto computed_and_prompt = [](bool cold) -> std::pair<double, double> {
        std::vector<std::string> args = {OS1_BINARY, "bench", "serve", "--model", tiny_model.string(), "--users", "1",
                                         "--requests-per-user", "1", "--max-tokens", "2", "--runs", "1",
                                         "--idle-connections", "0", "--ctx-size", "512", "--no-reference", "--json"};
        if (cold)
            args.push_back("--cold");
        ProcessResult r = run_process(args);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        const json report = json::parse(r.out, nullptr, false);
        if (!report.is_object() || report["levels"].empty())
            return {-1, -1};
        EXPECT_EQ(report["cold"], cold);
        const json& os1 = report["levels"][0]["os1"];
        return {os1["computed_prompt_tokens_mean"].get<double>(), os1["prompt_tokens_mean"].get<double>()};
    };
    const auto [cold_computed, cold_prompt] = computed_and_prompt(true);
    const auto [warm_computed, warm_prompt] = computed_and_prompt(false);
    EXPECT_GT(cold_prompt, 0);
    EXPECT_EQ(cold_computed, cold_prompt);
    EXPECT_GT(warm_prompt, 0);
    EXPECT_LT(warm_computed * 2, warm_prompt);
}

TEST(BenchServe, SlotsGiveBothServersFewerConversationsAtOnceThanUsers) {
    // Two users over one conversation at a time: llama-server is started with --parallel 1, and
    // os1 serves every request in full while its one sequence passes between them.
    const json report = run_bench_serve({OS1_BINARY, "bench", "serve", "--model", tiny_model.string(), "--users", "2",
                                         "--slots", "1", "--requests-per-user", "2", "--max-tokens", "2", "--runs",
                                         "1", "--idle-connections", "0", "--ctx-size", "512", "--json"});
    ASSERT_TRUE(report.is_object());
    EXPECT_EQ(report["slots"], 1);
    const json& os1 = report["per_run"][0]["levels"][0]["os1"];
    EXPECT_EQ(os1["requests"], 4);
    EXPECT_EQ(os1["failures"], 0);
    if (reference_built()) {
        EXPECT_EQ(reference_flag(report, "--parallel"), "1");
    }
}
