// `os1 bench engine` through the real binary on the tiny generated model, against the
// llama-bench that setup builds: one short round of everything, checking the report's
// structure and the facts that do not depend on the machine (never its speeds).
#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "support/subprocess.h"

using namespace os1::test;
using nlohmann::json;

namespace {

const std::filesystem::path tiny_model = std::filesystem::path(OS1_TEST_MODELS_DIR) / "tiny-qwen2-q8_0.gguf";
const std::filesystem::path llama_bench = std::filesystem::path(OS1_LLAMA_PREFIX) / "bin" / "llama-bench";

void expect_ratio(const json& summary, const std::string& where) {
    ASSERT_TRUE(summary.is_object()) << where;
    for (const char* key : {"os1_tps", "llama_bench_tps", "ratio"})
        EXPECT_GT(summary[key].get<double>(), 0) << where << "." << key;
    EXPECT_LE(summary["ratio_min"].get<double>(), summary["ratio"].get<double>()) << where;
    EXPECT_GE(summary["ratio_max"].get<double>(), summary["ratio"].get<double>()) << where;
    EXPECT_EQ(summary["ratios"].size(), 2u) << where;
    EXPECT_EQ(summary["noise_floor"]["ratios"].size(), 2u) << where;
}

// Every stage of a turn's time to the first token is there, and together they fit within it.
void expect_stages(const json& turn, const std::string& where) {
    ASSERT_TRUE(turn.is_object()) << where;
    double sum = 0;
    for (const char* stage : {"render_ms", "tokenize_ms", "queue_ms", "match_ms", "prefill_ms", "first_sample_ms"}) {
        ASSERT_TRUE(turn[stage].is_number()) << where << "." << stage;
        EXPECT_GE(turn[stage].get<double>(), 0) << where << "." << stage;
        sum += turn[stage].get<double>();
    }
    EXPECT_GT(turn["prefill_ms"].get<double>(), 0) << where;
    // Medians of stages need not add up exactly; each turn's do, so allow a little.
    EXPECT_LE(sum, turn["ttft_ms"].get<double>() * 1.05 + 1) << where;
    EXPECT_GT(turn["prefill_tokens"].get<double>(), 0) << where;
    EXPECT_LE(turn["prefill_tokens"].get<double>(), turn["prompt_tokens"].get<double>()) << where;
}

}  // namespace

TEST(BenchEngine, ComparesWithLlamaBenchAndBreaksTheFirstTokenDown) {
    if (!std::filesystem::exists(llama_bench))
        GTEST_SKIP() << llama_bench << " is not built (scripts/setup.sh --tests builds it)";
    ProcessResult r = run_process({OS1_BINARY, "bench", "engine", "--model", tiny_model.string(), "--llama-bench",
                                   llama_bench.string(), "--threads", "1", "--runs", "2", "--repetitions", "2",
                                   "--prompt-tokens", "32", "--gen-tokens", "8", "--turns", "20", "--memories", "20",
                                   "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json report = json::parse(r.out, nullptr, false);
    ASSERT_TRUE(report.is_object()) << r.out;

    const json& throughput = report["throughput"];
    // llama-bench was given exactly as many prompt tokens as os1's templated prompt holds.
    EXPECT_GE(throughput["prompt_tokens"].get<int>(), 24);
    EXPECT_EQ(throughput["gen_tokens"], 8);
    expect_ratio(throughput["prompt_processing"], "prompt_processing");
    // os1's prompts in a round are of one length and processed back to back, so only the first
    // builds llama.cpp's graph, as across llama-bench's repetitions.
    EXPECT_EQ(throughput["prompt_processing"]["os1_graph_builds"].get<double>(), 1);
    EXPECT_GT(throughput["prompt_processing"]["os1_first_prompt_tps"].get<double>(), 0);
    expect_ratio(throughput["generation"], "generation");
    // Where os1's generated token goes: the decode, waiting for it, the engine's own work (a
    // part of llama-bench's whole token) and the rest. The prefill's graph has another shape, so
    // the first decode after it builds one; the other six reuse it.
    const json& token = throughput["generation"]["os1_token_us"];
    EXPECT_GT(token["whole"].get<double>(), 0);
    EXPECT_GT(token["decode"].get<double>(), 0);
    EXPECT_GE(token["wait"].get<double>(), 0);
    EXPECT_GT(token["sample"].get<double>(), 0);
    EXPECT_LT(token["sample"].get<double>(), throughput["generation"]["llama_bench_us_per_token"].get<double>());
    EXPECT_EQ(token["graph_builds"].get<double>(), 1);

    const json& conversation = report["conversation"];
    expect_stages(conversation["turn_1"], "conversation.turn_1");
    expect_stages(conversation["turn_20"], "conversation.turn_20");
    // The cache carries the conversation: turn 1 prefills all of it, turn 20 only what is new.
    EXPECT_EQ(conversation["turn_1"]["prefill_tokens"], conversation["turn_1"]["prompt_tokens"]);
    EXPECT_LT(conversation["turn_20"]["prefill_tokens"].get<double>() * 5,
              conversation["turn_20"]["prompt_tokens"].get<double>());
    EXPECT_GT(conversation["ratio_20"].get<double>(), 0);
    const json& reference = conversation["llama_bench_prefill_20"];
    EXPECT_EQ(reference["tokens"].get<double>(), conversation["turn_20"]["prefill_tokens"].get<double>());
    EXPECT_GT(reference["at_depth_ms"].get<double>(), 0);
    EXPECT_GT(reference["at_zero_ms"].get<double>(), 0);

    const json& companion = report["companion"];
    EXPECT_EQ(companion["memories"], 20);
    for (const char* turn : {"turn_1", "turn_20"}) {
        expect_stages(companion[turn], std::string("companion.") + turn);
        for (const char* stage : {"appraise_ms", "recall_ms", "compose_ms", "first_text_ms"})
            EXPECT_GT(companion[turn][stage].get<double>(), 0) << turn << "." << stage;
    }

    for (const char* concurrency : {"1", "2", "4", "8"})
        EXPECT_GT(report["aggregate_tps"][concurrency].get<double>(), 0) << concurrency;
}
