// `os1 bench engine`: the engine's speed, measured against llama.cpp's own llama-bench built
// from the same source and run in the same invocation.
#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <sys/wait.h>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/model-setup.h"
#include "cli/terminal-text.h"
#include "core/handles.h"
#include "llm/llm.h"

namespace os1::cli {

namespace {

using Clock = std::chrono::steady_clock;

struct BenchOptions {
    std::string model;
    std::string llama_bench = OS1_LLAMA_BENCH;
    int32_t threads = 0;
    int32_t prompt_tokens = 128;
    int32_t gen_tokens = 64;
    int32_t repetitions = 3;
    bool json = false;
};

struct ReferenceSpeed {
    double pp_tps = 0;
    double gen_tps = 0;
};

int32_t thread_count(const BenchOptions& options) {
    return options.threads > 0 ? options.threads : int32_t(std::max(1u, std::thread::hardware_concurrency()));
}

void note(const BenchOptions& options, const char* format, auto... args) {
    if (options.json)
        return;
    std::fprintf(stderr, format, args...);
    std::fflush(stderr);
}

// A user message of roughly `tokens` tokens (about one token per short word).
std::string filler_text(int32_t tokens) {
    static const std::array<const char*, 8> words = {"river", "window", "quiet", "morning",
                                                     "letter", "garden", "music", "travel"};
    std::string text;
    for (int32_t i = 0; i < tokens; ++i) {
        text += words[size_t(i) % words.size()];
        text += ' ';
    }
    return text;
}

llm::SamplingParams bench_sampling(int32_t max_tokens) {
    llm::SamplingParams params;
    params.temperature = 0;  // deterministic; the sampler chain is still the one chat uses
    params.max_tokens = max_tokens;
    return params;
}

ErrorOr<std::unique_ptr<llm::Backend>> open_engine(const BenchOptions& options, int32_t parallel, int32_t context) {
    llm::LocalEngineOptions engine;
    engine.model_path = options.model;
    engine.parallel = parallel;
    engine.context_size = context;
    engine.threads = thread_count(options);
    return llm::open_local_engine(engine);
}

ErrorOr<ReferenceSpeed> run_llama_bench(const BenchOptions& options) {
    std::error_code ec;
    if (!std::filesystem::exists(options.llama_bench, ec))
        return make_error(options.llama_bench + " is missing: build it with scripts/setup.sh --tests, or pass "
                                                "--llama-bench PATH");
    std::string command = "'" + options.llama_bench + "' -m '" + options.model + "' -p " +
                          std::to_string(options.prompt_tokens) + " -n " + std::to_string(options.gen_tokens) +
                          " -t " + std::to_string(thread_count(options)) + " -r " +
                          std::to_string(options.repetitions) + " -o json 2>/dev/null";
    std::FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe)
        return make_error("cannot run " + options.llama_bench);
    std::string output;
    char buffer[4096];
    while (size_t n = std::fread(buffer, 1, sizeof buffer, pipe))
        output.append(buffer, n);
    int status = ::pclose(pipe);
    if (status != 0)
        return make_error(options.llama_bench + " failed (exit " + std::to_string(WEXITSTATUS(status)) + ")");
    auto results = nlohmann::json::parse(output, nullptr, false);
    if (results.is_discarded() || !results.is_array())
        return make_error(options.llama_bench + " printed no JSON results");
    ReferenceSpeed speed;
    for (const auto& result : results) {
        if (result.value("n_prompt", 0) > 0)
            speed.pp_tps = result.value("avg_ts", 0.0);
        else if (result.value("n_gen", 0) > 0)
            speed.gen_tps = result.value("avg_ts", 0.0);
    }
    return speed;
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values.empty() ? 0 : values[values.size() / 2];
}

int run_engine_bench(const BenchOptions& options) {
    llm::set_llama_logging({});
    auto fail = [](const Error& error) {
        std::fprintf(stderr, "os1 bench: %s\n", terminal_text(error.message).c_str());
        return 1;
    };
    nlohmann::json out;

    note(options, "reference: llama-bench -p %d -n %d -t %d ...\n", options.prompt_tokens, options.gen_tokens,
         thread_count(options));
    auto reference = run_llama_bench(options);
    if (reference.is_error())
        return fail(reference.error());
    out["ref_pp_tps"] = reference->pp_tps;
    out["ref_gen_tps"] = reference->gen_tps;

    note(options, "os1 engine: prompt processing and generation ...\n");
    auto engine = open_engine(options, 1, 4096);
    if (engine.is_error())
        return fail(engine.error());
    std::vector<double> pp, gen;
    for (int32_t r = 0; r <= options.repetitions; ++r) {
        // Distinct one-off prompts, so no cache is reused; the first run warms up.
        std::string prompt = std::to_string(r) + " " + filler_text(options.prompt_tokens - 12);
        llm::ReplyStats stats;
        auto text = engine.value()->submit({"", {{"user", prompt}}, bench_sampling(options.gen_tokens)})->collect(&stats);
        if (text.is_error())
            return fail(text.error());
        if (r == 0)
            continue;
        pp.push_back(stats.prefill_tokens / (stats.prefill_ms / 1000.0));
        gen.push_back(stats.gen_tps);
    }
    out["pp_tps"] = median(pp);
    out["gen_tps"] = median(gen);

    note(options, "os1 engine: time to first token over a 20-turn conversation ...\n");
    std::vector<llm::Message> history{{"system", "You are a friendly companion."}};
    for (int turn = 1; turn <= 20; ++turn) {
        history.push_back({"user", "Turn " + std::to_string(turn) + ": " + filler_text(30)});
        llm::ReplyStats stats;
        auto text = engine.value()->submit({"ttft", history, bench_sampling(24)})->collect(&stats);
        if (text.is_error())
            return fail(text.error());
        history.push_back({"assistant", text.value()});
        if (turn == 1)
            out["ttft_turn1_ms"] = stats.ttft_ms;
        if (turn == 20) {
            out["ttft_turn20_ms"] = stats.ttft_ms;
            out["turn20_prompt_tokens"] = stats.prompt_tokens;
            out["turn20_prefill_tokens"] = stats.prefill_tokens;
        }
    }
    engine.value().reset();

    note(options, "os1 engine: aggregate generation with concurrent conversations ...\n");
    auto batched = open_engine(options, 8, 1024);
    if (batched.is_error())
        return fail(batched.error());
    for (int concurrency : {1, 2, 4, 8}) {
        auto start = Clock::now();
        std::vector<std::shared_ptr<llm::Reply>> replies;
        for (int i = 0; i < concurrency; ++i)
            replies.push_back(batched.value()->submit(
                {"", {{"user", std::to_string(i) + " " + filler_text(16)}}, bench_sampling(options.gen_tokens)}));
        int64_t tokens = 0;
        for (auto& reply : replies) {
            llm::ReplyStats stats;
            if (auto text = reply->collect(&stats); text.is_error())
                return fail(text.error());
            tokens += stats.generated_tokens;
        }
        double seconds = std::chrono::duration<double>(Clock::now() - start).count();
        out["aggregate_tps"][std::to_string(concurrency)] = double(tokens) / seconds;
    }

    out["pp_ratio"] = out["ref_pp_tps"].get<double>() > 0 ? out["pp_tps"].get<double>() / out["ref_pp_tps"].get<double>() : 0;
    out["gen_ratio"] =
        out["ref_gen_tps"].get<double>() > 0 ? out["gen_tps"].get<double>() / out["ref_gen_tps"].get<double>() : 0;
    out["model"] = options.model;
    out["threads"] = thread_count(options);
    if (options.json) {
        std::printf("%s\n", out.dump().c_str());
        return 0;
    }
    std::printf("prompt processing  os1 %8.1f t/s   llama-bench %8.1f t/s   ratio %.3f\n", out["pp_tps"].get<double>(),
                out["ref_pp_tps"].get<double>(), out["pp_ratio"].get<double>());
    std::printf("generation         os1 %8.1f t/s   llama-bench %8.1f t/s   ratio %.3f\n", out["gen_tps"].get<double>(),
                out["ref_gen_tps"].get<double>(), out["gen_ratio"].get<double>());
    std::printf("time to first token: turn 1 %.1f ms, turn 20 %.1f ms (%d of %d prompt tokens prefilled)\n",
                out["ttft_turn1_ms"].get<double>(), out["ttft_turn20_ms"].get<double>(),
                out["turn20_prefill_tokens"].get<int>(), out["turn20_prompt_tokens"].get<int>());
    for (auto& [concurrency, tps] : out["aggregate_tps"].items())
        std::printf("aggregate generation, %s conversations: %.1f t/s\n", concurrency.c_str(), tps.get<double>());
    return 0;
}

}  // namespace

void register_bench(CLI::App& app, GlobalOptions& global, int& exit_code) {
    CLI::App* bench = app.add_subcommand("bench", "Measure os1's speed");
    bench->require_subcommand(1);
    auto options = std::make_shared<BenchOptions>();
    CLI::App* engine = bench->add_subcommand(
        "engine", "Inference speed against llama.cpp's llama-bench (same source, same run): prompt and generation "
                  "tokens/s, time to first token at turns 1 and 20, aggregate tokens/s at 1/2/4/8 conversations");
    engine->add_option("-m,--model", options->model, "GGUF model to measure")->required()->check(CLI::ExistingFile);
    engine->add_option("--llama-bench", options->llama_bench, "Path to llama-bench (default: the one built by setup)");
    engine->add_option("-t,--threads", options->threads, "CPU threads (default: all cores)")
        ->check(thread_count_range());
    engine->add_option("-p,--prompt-tokens", options->prompt_tokens, "Prompt length for prompt processing")
        ->default_val(128);
    engine->add_option("-n,--gen-tokens", options->gen_tokens, "Tokens to generate per measurement")->default_val(64);
    engine->add_option("-r,--repetitions", options->repetitions, "Repetitions per measurement")->default_val(3);
    engine->add_flag("--json", options->json,
                     "Print {\"pp_tps\", \"gen_tps\", \"ref_pp_tps\", \"ref_gen_tps\", \"ttft_turn1_ms\", "
                     "\"ttft_turn20_ms\", \"aggregate_tps\": {\"1\", \"2\", \"4\", \"8\"}}");
    engine->callback([options, &exit_code] { exit_code = run_engine_bench(*options); });
    register_memory_bench(bench, global, exit_code);
    register_serve_bench(bench, global, exit_code);
    register_voice_bench(bench, global, exit_code);
    register_voice_stt_bench(bench, global, exit_code);
}

}  // namespace os1::cli
