// `os1 bench engine`: the engine's speed, measured against llama.cpp's own llama-bench built
// from the same source and run in the same invocation.
//
// Each comparison measures the same work on both sides: prompt processing of the same number
// of tokens from an empty cache, and generation at the depth that prompt leaves. Each side
// counts its fastest repetition, since interference from the rest of the machine only ever
// slows a run down. Each round runs llama-bench before and after os1, so that a machine that
// speeds up or slows down shifts both sides; the verdict is the median ratio over the rounds,
// its spread says how far one round can be trusted, and llama-bench's after/before ratio
// (the noise floor) says how much of that spread is the machine's.
#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <set>
#include <sys/wait.h>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/model-setup.h"
#include "cli/scratch-folder.h"
#include "cli/terminal-text.h"
#include "companion/host.h"
#include "core/handles.h"
#include "core/shell-word.h"
#include "llm/llm.h"
#include "loadtest/latency-stats.h"

namespace os1::cli {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using nlohmann::ordered_json;

struct EngineBenchArgs {
    std::string model;
    std::string llama_bench = OS1_LLAMA_BENCH;
    int32_t threads = 0;
    int32_t gpu_layers = -1;
    int32_t prompt_tokens = 128;
    int32_t gen_tokens = 64;
    int32_t repetitions = 3;
    int32_t runs = 5;
    int32_t turns = 50;
    int32_t memories = 500;
    bool json = false;
};

int32_t thread_count(const EngineBenchArgs& args) {
    return args.threads > 0 ? args.threads : int32_t(std::max(1u, std::thread::hardware_concurrency()));
}

void note(const EngineBenchArgs& args, const char* format, auto... args_) {
    if (args.json)
        return;
    std::fprintf(stderr, format, args_...);
    std::fflush(stderr);
}

double median(std::vector<double> values) {
    return loadtest::percentile(std::move(values), 0.5);
}

// The median of a ratio measured once per round, with how far the rounds spread.
ordered_json ratio_summary(const std::vector<double>& os1, const std::vector<double>& reference) {
    std::vector<double> ratios;
    for (size_t i = 0; i < os1.size() && i < reference.size(); ++i)
        ratios.push_back(reference[i] > 0 ? os1[i] / reference[i] : 0);
    const auto [low, high] = std::minmax_element(ratios.begin(), ratios.end());
    return {{"os1_tps", median(os1)},
            {"llama_bench_tps", median(reference)},
            {"ratio", median(ratios)},
            {"ratio_min", ratios.empty() ? 0 : *low},
            {"ratio_max", ratios.empty() ? 0 : *high},
            {"spread", ratios.empty() ? 0 : *high - *low},
            {"ratios", ratios}};
}

// Words that the Qwen and Llama tokenizers each read as one token after a space.
std::string filler_text(int32_t words, int32_t offset = 0) {
    static const std::array<const char*, 8> vocabulary = {"river", "window", "quiet", "morning",
                                                          "letter", "garden", "music", "travel"};
    std::string text;
    for (int32_t i = 0; i < words; ++i) {
        text += vocabulary[size_t(i + offset) % vocabulary.size()];
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

llm::LocalEngineOptions engine_options(const EngineBenchArgs& args, int32_t parallel, int32_t context) {
    llm::LocalEngineOptions engine;
    engine.model_path = args.model;
    engine.parallel = parallel;
    engine.context_size = context;
    engine.threads = thread_count(args);
    engine.gpu_layers = args.gpu_layers;
    return engine;
}

ErrorOr<std::unique_ptr<llm::Backend>> open_engine(const EngineBenchArgs& args, int32_t parallel, int32_t context) {
    return llm::open_local_engine(engine_options(args, parallel, context));
}

// One llama-bench measurement: prompt processing of `prompt` tokens and generation of `gen`
// tokens, both after `depth` tokens already in the cache. Returns its JSON results.
ErrorOr<nlohmann::json> run_llama_bench(const EngineBenchArgs& args, int32_t prompt, int32_t gen, int32_t depth,
                                        int32_t repetitions) {
    std::error_code ec;
    if (!fs::exists(args.llama_bench, ec))
        return make_error(args.llama_bench + " is missing: build it with scripts/setup.sh --tests, or pass "
                                             "--llama-bench PATH");
    // The same attention and the same layers on the GPU as os1's engine.
    const bool flash_attention = llm::uses_flash_attention(engine_options(args, 1, 4096));
    const std::string command = shell_quoted(args.llama_bench) + " -m " + shell_quoted(args.model) + " -p " +
                                std::to_string(prompt) + " -n " + std::to_string(gen) + " -d " +
                                std::to_string(depth) + " -t " + std::to_string(thread_count(args)) + " -r " +
                                std::to_string(repetitions) + " -fa " + (flash_attention ? "1" : "0") + " -ngl " +
                                std::to_string(args.gpu_layers) + " -o json 2>/dev/null";
    std::FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe)
        return make_error("cannot run " + args.llama_bench);
    std::string output;
    char buffer[4096];
    while (size_t n = std::fread(buffer, 1, sizeof buffer, pipe))
        output.append(buffer, n);
    const int status = ::pclose(pipe);
    if (status != 0)
        return make_error(args.llama_bench + " failed (exit " + std::to_string(WEXITSTATUS(status)) + ")");
    auto results = nlohmann::json::parse(output, nullptr, false);
    if (results.is_discarded() || !results.is_array() || results.empty())
        return make_error(args.llama_bench + " printed no JSON results");
    return results;
}

// llama-bench's result for its test of this kind: its fastest repetition.
struct ReferenceResult {
    double tps = 0;
    double ms = 0;
};

ErrorOr<ReferenceResult> reference(const EngineBenchArgs& args, int32_t prompt, int32_t gen, int32_t depth,
                                   int32_t repetitions) {
    auto results = OS1_TRY(run_llama_bench(args, prompt, gen, depth, repetitions));
    for (const auto& result : results) {
        if ((prompt > 0 && result.value("n_prompt", 0) == prompt) || (gen > 0 && result.value("n_gen", 0) == gen)) {
            const auto tps = result.value("samples_ts", std::vector<double>{});
            const auto ns = result.value("samples_ns", std::vector<double>{});
            if (tps.empty() || ns.empty())
                break;
            return ReferenceResult{*std::max_element(tps.begin(), tps.end()),
                                   *std::min_element(ns.begin(), ns.end()) / 1e6};
        }
    }
    return make_error(args.llama_bench + " reported no result for the test it was asked to run");
}

// Where one generated token's time went, in microseconds: inside llama_decode, waiting for its
// result, os1's own sampling and text work, and the rest of the engine's loop (whole minus the
// parts); and how many decodes built a new graph.
struct TokenTime {
    double whole_us = 0;
    double decode_us = 0;
    double wait_us = 0;
    double sample_us = 0;
    double rest_us = 0;
    int32_t graph_builds = 0;
};

TokenTime token_time(const llm::ReplyStats& stats) {
    TokenTime time;
    const double decodes = std::max(stats.token_decodes, 1);
    time.whole_us = stats.gen_tps > 0 ? 1e6 / stats.gen_tps : 0;
    time.decode_us = 1000.0 * stats.token_decode_ms / decodes;
    time.wait_us = 1000.0 * stats.token_wait_ms / decodes;
    time.sample_us = 1000.0 * stats.sample_ms / std::max(stats.generated_tokens, 1);
    time.rest_us = time.whole_us - time.decode_us - time.wait_us - time.sample_us;
    time.graph_builds = stats.token_graph_builds;
    return time;
}

// A prompt-processing request's text: as many tokens for every `id`, and differing from the
// previous id's from the first character on, so that no cached prefix is reused and
// back-to-back prompts are all of one length. (Four digits are four tokens for Qwen, two for
// Llama 3.)
std::string numbered_prompt(int32_t id, int32_t words) {
    std::string digits = std::to_string(10000 + id % 10000).substr(1);
    std::reverse(digits.begin(), digits.end());  // the last digit first: it changes every time
    return digits + " " + filler_text(words);
}

struct ThroughputRound {
    double pp_tps = 0;
    double first_pp_tps = 0;      // the first prompt, which came after a reply
    int32_t pp_graph_builds = 0;  // over all the prompts
    double gen_tps = 0;
    TokenTime token;  // of the fastest generation
};

// os1's prompt processing and generation, the fastest of `repetitions` one-off requests each, as
// on llama-bench's side. The prompts are processed back to back, with no reply between, as
// llama-bench's repetitions are, so that llama.cpp reuses its graph after the first. The first
// follows the previous round's replies and builds its graph anew, as every turn of a
// conversation does; its speed is reported apart.
ErrorOr<ThroughputRound> measure_engine(llm::Backend& engine, const EngineBenchArgs& args, int32_t round,
                                        int32_t prompt_words) {
    ThroughputRound best;
    for (int32_t r = 0; r < args.repetitions; ++r) {
        const std::string prompt = numbered_prompt(1 + round * args.repetitions + r, prompt_words);
        llm::ReplyStats stats;
        OS1_TRY(engine.submit({"", {{"user", prompt}}, bench_sampling(1)})->collect(&stats));
        const double tps = stats.prefill_tokens / (stats.prefill_ms / 1000.0);
        best.pp_tps = std::max(best.pp_tps, tps);
        if (r == 0)
            best.first_pp_tps = tps;
        best.pp_graph_builds += stats.prefill_graph_builds;
    }
    for (int32_t r = 0; r < args.repetitions; ++r) {
        const std::string prompt = std::to_string(round * args.repetitions + r) + " " + filler_text(prompt_words, r);
        llm::ReplyStats stats;
        OS1_TRY(engine.submit({"", {{"user", prompt}}, bench_sampling(args.gen_tokens)})->collect(&stats));
        if (stats.gen_tps > best.gen_tps) {
            best.gen_tps = stats.gen_tps;
            best.token = token_time(stats);
        }
    }
    return best;
}

ErrorOr<ordered_json> measure_throughput(const EngineBenchArgs& args) {
    auto engine = OS1_TRY(open_engine(args, 1, 4096));
    // A warm-up request, which also finds how many tokens the templated prompt comes to, so that
    // llama-bench processes exactly as many.
    const int32_t prompt_words = std::max(args.prompt_tokens - 10, 1);
    llm::ReplyStats warm;
    OS1_TRY(engine->submit({"", {{"user", numbered_prompt(0, prompt_words)}}, bench_sampling(args.gen_tokens)})
                ->collect(&warm));
    const int32_t prompt = warm.prefill_tokens;

    // Each round runs llama-bench before and after os1 and holds os1 against the mean of the two;
    // how far the two disagree is the noise floor of the machine at that moment.
    std::vector<TokenTime> os1_token;
    std::vector<double> os1_pp, os1_first_pp, os1_pp_graph_builds, os1_gen;
    std::vector<double> ref_pp, ref_gen, before_pp, after_pp, before_gen, after_gen;
    for (int32_t round = 0; round < args.runs; ++round) {
        note(args, "  round %d of %d\n", round + 1, args.runs);
        const ReferenceResult pp_before = OS1_TRY(reference(args, prompt, 0, 0, args.repetitions));
        const ReferenceResult gen_before = OS1_TRY(reference(args, 0, args.gen_tokens, prompt, args.repetitions));
        const ThroughputRound ours = OS1_TRY(measure_engine(*engine, args, round, prompt_words));
        const ReferenceResult pp_after = OS1_TRY(reference(args, prompt, 0, 0, args.repetitions));
        const ReferenceResult gen_after = OS1_TRY(reference(args, 0, args.gen_tokens, prompt, args.repetitions));
        os1_pp.push_back(ours.pp_tps);
        os1_first_pp.push_back(ours.first_pp_tps);
        os1_pp_graph_builds.push_back(ours.pp_graph_builds);
        os1_gen.push_back(ours.gen_tps);
        os1_token.push_back(ours.token);
        ref_pp.push_back((pp_before.tps + pp_after.tps) / 2);
        ref_gen.push_back((gen_before.tps + gen_after.tps) / 2);
        before_pp.push_back(pp_before.tps);
        after_pp.push_back(pp_after.tps);
        before_gen.push_back(gen_before.tps);
        after_gen.push_back(gen_after.tps);
    }
    ordered_json pp = ratio_summary(os1_pp, ref_pp);
    ordered_json gen = ratio_summary(os1_gen, ref_gen);
    pp["noise_floor"] = ratio_summary(after_pp, before_pp);
    pp["os1_first_prompt_tps"] = median(os1_first_pp);
    pp["os1_graph_builds"] = median(os1_pp_graph_builds);
    gen["noise_floor"] = ratio_summary(after_gen, before_gen);
    // Where os1's generated token goes, against llama-bench's whole token: a GPU's fast decode
    // leaves any work between two decodes, and any extra in them, exposed.
    const auto median_of = [&](auto field) {
        std::vector<double> values;
        for (const TokenTime& time : os1_token)
            values.push_back(double(time.*field));
        return median(values);
    };
    gen["os1_token_us"] = {{"whole", median_of(&TokenTime::whole_us)},
                           {"decode", median_of(&TokenTime::decode_us)},
                           {"wait", median_of(&TokenTime::wait_us)},
                           {"sample", median_of(&TokenTime::sample_us)},
                           {"rest", median_of(&TokenTime::rest_us)},
                           {"graph_builds", median_of(&TokenTime::graph_builds)}};
    gen["llama_bench_us_per_token"] = 1e6 / gen["llama_bench_tps"].get<double>();
    return ordered_json{{"prompt_tokens", prompt},
                        {"gen_tokens", args.gen_tokens},
                        {"prompt_processing", pp},
                        {"generation", gen}};
}

// The stages of one reply's time to first token, from its statistics.
ordered_json engine_stages(const llm::ReplyStats& stats) {
    return {{"render_ms", stats.render_ms},   {"tokenize_ms", stats.tokenize_ms},
            {"queue_ms", stats.queue_ms},     {"match_ms", stats.match_ms},
            {"prefill_ms", stats.prefill_ms}, {"first_sample_ms", stats.first_sample_ms},
            {"ttft_ms", stats.ttft_ms},       {"prompt_tokens", stats.prompt_tokens},
            {"prefill_tokens", stats.prefill_tokens}};
}

// The stage-by-stage median over several turns' breakdowns.
ordered_json median_stages(const std::vector<ordered_json>& turns) {
    ordered_json out = ordered_json::object();
    if (turns.empty())
        return out;
    for (const auto& [key, ignored] : turns.front().items()) {
        std::vector<double> values;
        for (const ordered_json& turn : turns)
            values.push_back(turn[key].get<double>());
        out[key] = median(values);
    }
    return out;
}

// A turn of the bare-engine conversation: about 30 words from the user.
std::string user_turn(int turn) {
    return "Turn " + std::to_string(turn) + ": " + filler_text(30, turn);
}

// Time to first token as a conversation grows: its turns 1, 20 and `turns`, each the median of
// that turn and the two before it (turn 1: of `runs` fresh conversations); and llama-bench's
// own time to prefill the same tokens at the same depths, which is what the engine's ratios
// can be held against.
ErrorOr<ordered_json> measure_conversation(const EngineBenchArgs& args) {
    auto engine = OS1_TRY(open_engine(args, 1, 4096));
    std::vector<ordered_json> first;
    for (int32_t run = 0; run < args.runs; ++run) {
        std::vector<llm::Message> history{{"system", "You are a friendly companion."},
                                          {"user", std::to_string(run) + " " + user_turn(1)}};
        llm::ReplyStats stats;
        OS1_TRY(engine->submit({"first-" + std::to_string(run), history, bench_sampling(24)})->collect(&stats));
        first.push_back(engine_stages(stats));
    }
    std::vector<ordered_json> turns;
    std::vector<llm::Message> history{{"system", "You are a friendly companion."}};
    for (int turn = 1; turn <= args.turns; ++turn) {
        history.push_back({"user", user_turn(turn)});
        llm::ReplyStats stats;
        auto text = OS1_TRY(engine->submit({"ttft", history, bench_sampling(24)})->collect(&stats));
        history.push_back({"assistant", text});
        turns.push_back(engine_stages(stats));
    }
    const auto around = [&](int turn) {
        return median_stages(std::vector<ordered_json>(turns.begin() + std::max(turn - 3, 0), turns.begin() + turn));
    };
    ordered_json out = {{"turn_1", median_stages(first)}};
    const double first_ttft = out["turn_1"]["ttft_ms"].get<double>();
    for (int turn : std::set<int>{20, args.turns}) {
        const std::string name = std::to_string(turn);
        const ordered_json at = around(turn);
        out["turn_" + name] = at;
        out["ratio_" + name] = at["ttft_ms"].get<double>() / first_ttft;
        // llama.cpp's own cost of the same prefill, at the turn's depth and from an empty cache.
        // Once each: llama-bench refills the whole depth before every repetition.
        const auto tokens = int32_t(at["prefill_tokens"].get<double>());
        const auto depth = int32_t(at["prompt_tokens"].get<double>()) - tokens;
        const ReferenceResult deep = OS1_TRY(reference(args, tokens, 0, depth, 1));
        const ReferenceResult shallow = OS1_TRY(reference(args, tokens, 0, 0, 1));
        out["llama_bench_prefill_" + name] = {{"tokens", tokens},         {"depth", depth},
                                              {"at_depth_ms", deep.ms},   {"at_zero_ms", shallow.ms},
                                              {"ratio", deep.ms / shallow.ms}};
    }
    return out;
}

// The companion's time to first token over a conversation, with memory: what the user waits
// for, from sending the message to the first piece of the reply, stage by stage.
ErrorOr<ordered_json> measure_companion(const EngineBenchArgs& args) {
    const ScratchFolder scratch = OS1_TRY(ScratchFolder::create("os1-bench-engine"));

    auto engine = OS1_TRY(open_engine(args, 1, 4096));
    companion::HostOptions options;
    options.home = scratch.path();
    options.companion.learn = false;  // learning runs beside the conversation, not in its path
    options.sampling = bench_sampling(24);
    std::vector<ordered_json> turns;
    {
        companion::CompanionHost host(*engine, std::move(options));
        auto conversation = OS1_TRY(host.open("bench"));
        static const std::array<const char*, 6> topics = {"my sister", "the garden", "work", "music",
                                                          "the trip to Lisbon", "my cat"};
        for (int32_t i = 0; i < args.memories; ++i)
            OS1_TRY(conversation.remember("I told you about " + std::string(topics[size_t(i) % topics.size()]) +
                                          " on day " + std::to_string(i) + ": " + filler_text(12, i)));
        for (int turn = 1; turn <= 20; ++turn) {
            const Clock::time_point sent = Clock::now();
            auto reply = OS1_TRY(conversation.say("Tell me about " + std::string(topics[size_t(turn) % topics.size()]) +
                                                  " again. " + filler_text(20, turn)));
            ordered_json stages;
            double first_text_ms = 0;
            for (;;) {
                companion::TurnEvent event = reply.next();
                if (event.kind == companion::TurnEvent::Kind::Prepared) {
                    stages = {{"appraise_ms", event.prepared.appraise_ms},
                              {"recall_ms", event.prepared.recall_ms},
                              {"compose_ms", event.prepared.compose_ms}};
                } else if (event.kind == companion::TurnEvent::Kind::Text && first_text_ms == 0) {
                    first_text_ms = std::chrono::duration<double, std::milli>(Clock::now() - sent).count();
                } else if (event.kind == companion::TurnEvent::Kind::Failed) {
                    return make_error(event.error, event.text);
                } else if (event.kind == companion::TurnEvent::Kind::Done) {
                    stages.update(engine_stages(event.stats));
                    stages["first_text_ms"] = first_text_ms;
                    break;
                }
            }
            turns.push_back(std::move(stages));
        }
    }
    ordered_json out = {
        {"memories", args.memories},
        {"turn_1", turns.front()},
        {"turn_20", median_stages(std::vector<ordered_json>(turns.end() - 3, turns.end()))},
    };
    out["ratio_20"] = out["turn_20"]["first_text_ms"].get<double>() / out["turn_1"]["first_text_ms"].get<double>();
    return out;
}

ErrorOr<ordered_json> measure_aggregate(const EngineBenchArgs& args) {
    auto batched = OS1_TRY(open_engine(args, 8, 1024));
    ordered_json out = ordered_json::object();
    for (int concurrency : {1, 2, 4, 8}) {
        const Clock::time_point start = Clock::now();
        std::vector<std::shared_ptr<llm::Reply>> replies;
        for (int i = 0; i < concurrency; ++i)
            replies.push_back(batched->submit(
                {"", {{"user", std::to_string(i) + " " + filler_text(16)}}, bench_sampling(args.gen_tokens)}));
        int64_t tokens = 0;
        for (auto& reply : replies) {
            llm::ReplyStats stats;
            OS1_TRY(reply->collect(&stats));
            tokens += stats.generated_tokens;
        }
        const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
        out[std::to_string(concurrency)] = double(tokens) / seconds;
    }
    return out;
}

void print_ratio(const char* name, const ordered_json& summary) {
    const ordered_json& noise = summary["noise_floor"];
    std::printf("%-18s os1 %8.1f t/s   llama-bench %8.1f t/s   ratio %.3f (rounds %.3f to %.3f; llama-bench "
                "against itself %.3f to %.3f)\n",
                name, summary["os1_tps"].get<double>(), summary["llama_bench_tps"].get<double>(),
                summary["ratio"].get<double>(), summary["ratio_min"].get<double>(), summary["ratio_max"].get<double>(),
                noise["ratio_min"].get<double>(), noise["ratio_max"].get<double>());
}

void print_stages(const char* name, const ordered_json& stages) {
    std::printf("  %-8s", name);
    for (const auto& [key, value] : stages.items()) {
        if (key.ends_with("_ms"))
            std::printf(" %s %.1f", key.substr(0, key.size() - 3).c_str(), value.get<double>());
    }
    std::printf(" ms (%d of %d tokens prefilled)\n", int(stages["prefill_tokens"].get<double>()),
                int(stages["prompt_tokens"].get<double>()));
}

void print_report(const ordered_json& out, int32_t turns) {
    const ordered_json& throughput = out["throughput"];
    std::printf("%d-token prompt, %d generated tokens, median of %zu rounds\n",
                throughput["prompt_tokens"].get<int>(), throughput["gen_tokens"].get<int>(),
                throughput["generation"]["ratios"].size());
    print_ratio("prompt processing", throughput["prompt_processing"]);
    std::printf("  the first prompt of a round, after replies, building llama.cpp's graph anew: os1 %.1f t/s\n",
                throughput["prompt_processing"]["os1_first_prompt_tps"].get<double>());
    print_ratio("generation", throughput["generation"]);
    const ordered_json& token = throughput["generation"]["os1_token_us"];
    std::printf("  a generated token: os1 %.1f us (in llama_decode %.1f, waiting for it %.1f, sampling and text %.1f, "
                "the rest %.1f; %d new graphs), llama-bench %.1f us\n",
                token["whole"].get<double>(), token["decode"].get<double>(), token["wait"].get<double>(),
                token["sample"].get<double>(), token["rest"].get<double>(), int(token["graph_builds"].get<double>()),
                throughput["generation"]["llama_bench_us_per_token"].get<double>());

    const ordered_json& conversation = out["conversation"];
    const std::string last = std::to_string(turns);
    std::printf("time to first token, bare engine: turn 20 / turn 1 %.2f, turn %s / turn 1 %.2f\n",
                conversation["ratio_20"].get<double>(), last.c_str(), conversation["ratio_" + last].get<double>());
    const std::set<std::string> later = {"20", last};
    print_stages("turn 1", conversation["turn_1"]);
    for (const std::string& key : later)
        print_stages(("turn " + key).c_str(), conversation["turn_" + key]);
    for (const std::string& key : later) {
        const ordered_json& ref = conversation["llama_bench_prefill_" + key];
        std::printf("  llama-bench, the turn-%s prefill (%d tokens): %.1f ms at depth %d, %.1f ms at depth 0 (%.2fx)\n",
                    key.c_str(), ref["tokens"].get<int>(), ref["at_depth_ms"].get<double>(), ref["depth"].get<int>(),
                    ref["at_zero_ms"].get<double>(), ref["ratio"].get<double>());
    }

    const ordered_json& companion = out["companion"];
    std::printf("time to first text, companion with %d memories: turn 20 / turn 1 %.2f\n",
                companion["memories"].get<int>(), companion["ratio_20"].get<double>());
    print_stages("turn 1", companion["turn_1"]);
    print_stages("turn 20", companion["turn_20"]);

    for (const auto& [concurrency, tps] : out["aggregate_tps"].items())
        std::printf("aggregate generation, %s conversations: %.1f t/s\n", concurrency.c_str(), tps.get<double>());
}

int run_engine_bench(const EngineBenchArgs& args) {
    llm::set_llama_logging({});
    const auto fail = [](const Error& error) {
        std::fprintf(stderr, "os1 bench: %s\n", terminal_text(error.message).c_str());
        return 1;
    };
    ordered_json out = {{"model", args.model},
                        {"threads", thread_count(args)},
                        {"gpu", llm::runs_on_gpu(engine_options(args, 1, 4096))}};

    note(args, "prompt processing and generation, os1 and llama-bench in turn ...\n");
    auto throughput = measure_throughput(args);
    if (throughput.is_error())
        return fail(throughput.error());
    out["throughput"] = std::move(throughput.value());

    note(args, "time to first token over a %d-turn conversation ...\n", args.turns);
    auto conversation = measure_conversation(args);
    if (conversation.is_error())
        return fail(conversation.error());
    out["conversation"] = std::move(conversation.value());

    note(args, "the companion's time to first text, with %d memories ...\n", args.memories);
    auto companion = measure_companion(args);
    if (companion.is_error())
        return fail(companion.error());
    out["companion"] = std::move(companion.value());

    note(args, "aggregate generation with concurrent conversations ...\n");
    auto aggregate = measure_aggregate(args);
    if (aggregate.is_error())
        return fail(aggregate.error());
    out["aggregate_tps"] = std::move(aggregate.value());

    if (args.json)
        std::printf("%s\n", out.dump().c_str());
    else
        print_report(out, args.turns);
    return 0;
}

}  // namespace

void register_engine_bench(CLI::App* bench, int& exit_code) {
    auto args = std::make_shared<EngineBenchArgs>();
    CLI::App* engine = bench->add_subcommand(
        "engine", "Inference speed against llama.cpp's llama-bench (same source, same run): prompt processing and "
                  "generation, time to first token as a conversation grows, the companion's, and aggregate "
                  "tokens/s at 1/2/4/8 conversations");
    engine->footer(
        "Prompt processing and generation run --runs rounds of llama-bench, os1, llama-bench, each side counting\n"
        "its fastest of --repetitions; each ratio is the median over the rounds, with its spread and llama-bench's\n"
        "spread against itself. os1's prompts are processed back to back, as llama-bench's are, so that llama.cpp\n"
        "reuses its graph; the first of a round, which builds it anew, is reported apart. Generation is compared at\n"
        "the depth the prompt leaves (llama-bench -d).\n"
        "Time to first token: turn 1 (median of --runs fresh conversations) against turns 20 and --turns (each the\n"
        "median of it and the two turns before), with llama-bench's own prefill time for the same tokens at the\n"
        "same depth. The companion's: a scratch user with --memories memories, 20 turns, stage by stage.\n"
        "Run it on an otherwise idle machine. Example: os1 bench engine --model M --json");
    engine->add_option("-m,--model", args->model, "GGUF model to measure")->required()->check(CLI::ExistingFile);
    engine->add_option("--llama-bench", args->llama_bench, "Path to llama-bench (default: the one built by setup)");
    engine->add_option("-t,--threads", args->threads, "CPU threads (default: all cores)")->check(thread_count_range());
    engine->add_option("--gpu-layers", args->gpu_layers,
                       "Layers on the GPU in a CUDA build, on both sides (default: all; without a GPU, none)");
    engine->add_option("-p,--prompt-tokens", args->prompt_tokens, "Prompt length for prompt processing")
        ->default_val(128)
        ->check(CLI::Range(16, 2048));
    engine->add_option("-n,--gen-tokens", args->gen_tokens, "Tokens to generate per measurement")
        ->default_val(64)
        ->check(CLI::Range(2, 1024));
    engine->add_option("-r,--repetitions", args->repetitions, "Measurements per side in each round")
        ->default_val(3)
        ->check(CLI::Range(1, 100));
    engine->add_option("--runs", args->runs, "Rounds of the comparison")->default_val(5)->check(CLI::Range(1, 100));
    engine->add_option("--turns", args->turns, "Turns of the bare-engine conversation (about 70 tokens each)")
        ->default_val(50)
        ->check(CLI::Range(20, 55));
    engine->add_option("--memories", args->memories, "Memories the companion's user holds")
        ->default_val(500)
        ->check(CLI::Range(0, 100000));
    engine->add_flag("--json", args->json,
                     "Print {\"throughput\": {\"prompt_processing\", \"generation\"}, \"conversation\", \"companion\", "
                     "\"aggregate_tps\"}; each ratio with its median, min, max and spread");
    engine->callback([args, &exit_code] { exit_code = run_engine_bench(*args); });
}

}  // namespace os1::cli
