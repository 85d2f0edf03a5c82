// `os1 bench serve`: os1's server (the companion path, in this process) against llama.cpp's
// llama-server (a child process built from the same source) on the same model and prompts, at
// several numbers of concurrent users and over several runs; then a crowd of waiting streams.
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/model-setup.h"
#include "cli/terminal-text.h"
#include "llm/llm.h"
#include "loadtest/loadtest.h"

namespace os1::cli {

namespace {

using nlohmann::ordered_json;

struct ServeBenchArgs {
    std::string model;
    std::string llama_server = OS1_LLAMA_SERVER;
    bool no_reference = false;
    bool plain = false;
    bool cold = false;
    int32_t slots = 0;
    std::string reference_attention = "same";
    std::vector<int32_t> users = {1, 4, 8, 16, 64};
    int32_t requests_per_user = 3;
    int32_t max_tokens = 32;
    int32_t runs = 3;
    int32_t context = 2048;
    int32_t threads = 0;
    int32_t idle_connections = 1000;
    int32_t idle_parallel = 8;
    uint32_t seed = 1;
    bool json = false;
};

double rounded(double x, double scale = 10.0) {
    return double(int64_t(x * scale + (x < 0 ? -0.5 : 0.5))) / scale;
}

ordered_json spread_json(const loadtest::Spread& spread, double scale = 10.0) {
    return {{"median", rounded(spread.median, scale)},
            {"min", rounded(spread.min, scale)},
            {"max", rounded(spread.max, scale)}};
}

// One server at one level, over the runs.
struct ServerSummary {
    loadtest::Spread tps, p50, p95;
    int64_t failures = 0;
    double prompt_mean = 0;  // prompt tokens per request, as the server counted them
    double computed_mean = 0;  // of those, the ones not served from the server's cache
};

struct LevelSummary {
    int32_t users = 0;
    ServerSummary os1;
    std::optional<ServerSummary> plain, reference;
    loadtest::Spread tps_ratio, p95_ratio;  // os1 / llama-server: each run's own ratio, then their spread
    // The same throughput ratio with each side's failed requests counted as whole replies (see
    // LoadResult::tokens_per_s_failures_whole): fair to a server that fails some.
    loadtest::Spread tps_ratio_failures_whole;
};

ServerSummary summarize_server(const loadtest::ServeBenchReport& report, size_t level,
                               const std::function<const loadtest::LoadResult*(const loadtest::LevelResult&)>& pick) {
    ServerSummary out;
    std::vector<double> tps, p50, p95;
    int64_t prompt = 0, cached = 0, answered = 0;
    for (const loadtest::RunResult& run : report.runs) {
        const loadtest::LoadResult* r = pick(run.levels[level]);
        if (!r)
            continue;
        tps.push_back(r->tokens_per_s);
        p50.push_back(r->ttft_p50_ms);
        p95.push_back(r->ttft_p95_ms);
        out.failures += r->failures;
        prompt += r->prompt_tokens;
        cached += r->cached_tokens;
        answered += r->requests - r->failures;
    }
    out.tps = loadtest::spread_of(tps);
    out.p50 = loadtest::spread_of(p50);
    out.p95 = loadtest::spread_of(p95);
    out.prompt_mean = answered > 0 ? double(prompt) / double(answered) : 0;
    out.computed_mean = answered > 0 ? double(prompt - cached) / double(answered) : 0;
    return out;
}

std::vector<LevelSummary> summarize(const loadtest::ServeBenchReport& report, int32_t max_tokens) {
    std::vector<LevelSummary> out;
    if (report.runs.empty())
        return out;
    using Level = loadtest::LevelResult;
    for (size_t i = 0; i < report.runs.front().levels.size(); ++i) {
        const Level& first = report.runs.front().levels[i];
        LevelSummary s;
        s.users = first.users;
        s.os1 = summarize_server(report, i, [](const Level& l) { return &l.os1; });
        if (first.plain)
            s.plain = summarize_server(report, i, [](const Level& l) { return l.plain ? &*l.plain : nullptr; });
        if (first.reference) {
            s.reference =
                summarize_server(report, i, [](const Level& l) { return l.reference ? &*l.reference : nullptr; });
            std::vector<double> tps, tps_whole, p95;
            for (const loadtest::RunResult& run : report.runs) {
                const Level& l = run.levels[i];
                if (l.reference && l.reference->tokens_per_s > 0)
                    tps.push_back(l.os1.tokens_per_s / l.reference->tokens_per_s);
                if (l.reference && l.reference->tokens_per_s_failures_whole(max_tokens) > 0)
                    tps_whole.push_back(l.os1.tokens_per_s_failures_whole(max_tokens) /
                                        l.reference->tokens_per_s_failures_whole(max_tokens));
                if (l.reference && l.reference->ttft_p95_ms > 0)
                    p95.push_back(l.os1.ttft_p95_ms / l.reference->ttft_p95_ms);
            }
            s.tps_ratio = loadtest::spread_of(tps);
            s.tps_ratio_failures_whole = loadtest::spread_of(tps_whole);
            s.p95_ratio = loadtest::spread_of(p95);
        }
        out.push_back(s);
    }
    return out;
}

ordered_json load_json(const loadtest::LoadResult& r) {
    return {{"tokens_per_s", rounded(r.tokens_per_s)},
            {"ttft_p50_ms", rounded(r.ttft_p50_ms)},
            {"ttft_p95_ms", rounded(r.ttft_p95_ms)},
            {"requests", r.requests},
            {"failures", r.failures},
            {"first_failure", r.first_failure},
            {"completion_tokens", r.completion_tokens},
            {"prompt_tokens", r.prompt_tokens},
            {"cached_tokens", r.cached_tokens},
            {"wall_s", rounded(r.wall_s, 1000)}};
}

ordered_json status_json(const loadtest::ProcessStatus& status) {
    return {{"rss_mib", rounded(double(status.rss_bytes) / (1 << 20))}, {"threads", status.threads}};
}

ordered_json idle_json(const loadtest::IdleResult& r) {
    return {{"connections", r.connections},
            {"parallel", r.parallel},
            {"all_queued", r.all_queued},
            {"held", r.held},
            {"open_s", rounded(r.open_seconds, 100)},
            {"client",
             {{"open", r.client.open},
              {"streaming", r.client.streaming},
              {"refused", r.client.refused},
              {"failed", r.client.failed},
              {"finished", r.client.finished},
              {"first_failure", r.client.first_failure}}},
            {"before", status_json(r.before)},
            {"open", status_json(r.open)},
            {"after", status_json(r.after)},
            {"recovered", r.recovered},
            {"recovery_ms", rounded(r.recovery_ms)},
            {"recovery_busy_answers", r.recovery_busy_answers},
            {"recovery_error", r.recovery_error}};
}

ordered_json report_json(const ServeBenchArgs& args, const loadtest::ServeBenchReport& report,
                         const std::vector<LevelSummary>& levels) {
    ordered_json out = {{"model", args.model},
                        {"threads", report.threads},
                        {"context_per_slot", args.context},
                        {"requests_per_user", args.requests_per_user},
                        {"cold", args.cold},
                        {"slots", args.slots},
                        {"max_tokens", args.max_tokens},
                        {"runs", args.runs},
                        {"reference_command", report.reference_command}};
    const auto server_json = [](const ServerSummary& server) {
        return ordered_json{{"tokens_per_s", spread_json(server.tps)},
                            {"ttft_p50_ms", spread_json(server.p50)},
                            {"ttft_p95_ms", spread_json(server.p95)},
                            {"prompt_tokens_mean", rounded(server.prompt_mean)},
                            {"computed_prompt_tokens_mean", rounded(server.computed_mean)},
                            {"failures", server.failures}};
    };
    ordered_json summary = ordered_json::array();
    for (const LevelSummary& s : levels) {
        ordered_json level = {{"users", s.users}, {"os1", server_json(s.os1)}};
        if (s.reference) {
            level["llama_server"] = server_json(*s.reference);
            level["ratio"] = {{"tokens_per_s", spread_json(s.tps_ratio, 1000)},
                              {"tokens_per_s_failures_whole", spread_json(s.tps_ratio_failures_whole, 1000)},
                              {"ttft_p95", spread_json(s.p95_ratio, 1000)}};
        }
        if (s.plain)
            level["os1_plain"] = server_json(*s.plain);
        summary.push_back(std::move(level));
    }
    out["levels"] = std::move(summary);
    ordered_json runs = ordered_json::array();
    for (const loadtest::RunResult& run : report.runs) {
        ordered_json levels_json = ordered_json::array();
        for (const loadtest::LevelResult& level : run.levels) {
            ordered_json l = {{"users", level.users}, {"os1", load_json(level.os1)}};
            if (level.reference)
                l["llama_server"] = load_json(*level.reference);
            if (level.plain)
                l["os1_plain"] = load_json(*level.plain);
            levels_json.push_back(std::move(l));
        }
        runs.push_back({{"load_before", rounded(run.load_before, 100)},
                        {"load_after", rounded(run.load_after, 100)},
                        {"levels", std::move(levels_json)}});
    }
    out["per_run"] = std::move(runs);
    ordered_json idle = ordered_json::object();
    if (report.idle_os1)
        idle["os1"] = idle_json(*report.idle_os1);
    if (report.idle_reference)
        idle["llama_server"] = idle_json(*report.idle_reference);
    out["idle"] = std::move(idle);
    return out;
}

std::string range_text(const loadtest::Spread& s, const char* format) {
    char median[32], low[32], high[32];
    std::snprintf(median, sizeof median, format, s.median);
    if (s.runs < 2)
        return median;
    std::snprintf(low, sizeof low, format, s.min);
    std::snprintf(high, sizeof high, format, s.max);
    return std::string(median) + " [" + low + "-" + high + "]";
}

void print_idle(const char* name, const loadtest::IdleResult& r) {
    const auto mib = [](const loadtest::ProcessStatus& s) { return double(s.rss_bytes) / (1 << 20); };
    std::printf(
        "  %-13s RSS %6.0f -> %6.0f MiB (+%.0f), threads %4d -> %4d; %lld of %d held after %.1f s%s; "
        "afterwards %s\n",
        name, mib(r.before), mib(r.open), mib(r.open) - mib(r.before), r.before.threads, r.open.threads,
        static_cast<long long>(r.held), r.connections, r.open_seconds, r.all_queued ? "" : " (NOT ALL)",
        r.recovered ? ("a request was answered in " + std::to_string(int64_t(r.recovery_ms)) + " ms" +
                       (r.recovery_busy_answers > 0
                            ? " (after " + std::to_string(r.recovery_busy_answers) + " busy answers)"
                            : std::string()))
                          .c_str()
                    : ("a request FAILED: " + r.recovery_error).c_str());
}

void print_table(const ServeBenchArgs& args, const loadtest::ServeBenchReport& report,
                 const std::vector<LevelSummary>& levels) {
    std::printf(
        "os1 bench serve: %s, %d threads, %d tokens of context per slot, %d requests per user, max_tokens "
        "%d%s%s; median [min-max] over %d runs\n",
        args.model.c_str(), report.threads, args.context, args.requests_per_user, args.max_tokens,
        args.cold ? ", from a cold start (first contact timed)" : "",
        args.slots > 0 ? (", " + std::to_string(args.slots) + " slots on each server").c_str() : "", args.runs);
    std::printf("%5s  %-13s %-24s %-24s %-24s %s\n", "users", "server", "tokens/s", "TTFT p50 ms", "TTFT p95 ms",
                "prompt tokens (computed)");
    const auto row = [](const char* users, const char* name, const ServerSummary& server) {
        std::printf("%5s  %-13s %-24s %-24s %-24s %.0f (%.0f)%s\n", users, name, range_text(server.tps, "%.1f").c_str(),
                    range_text(server.p50, "%.0f").c_str(), range_text(server.p95, "%.0f").c_str(), server.prompt_mean,
                    server.computed_mean,
                    server.failures > 0 ? ("   " + std::to_string(server.failures) + " FAILED").c_str() : "");
    };
    for (const LevelSummary& s : levels) {
        const std::string users = std::to_string(s.users);
        row(users.c_str(), "os1", s.os1);
        if (s.reference) {
            row("", "llama-server", *s.reference);
            std::printf("%5s  %-13s %-24s %-24s %-24s\n", "", "os1 / llama", range_text(s.tps_ratio, "%.2f").c_str(),
                        "", range_text(s.p95_ratio, "%.2f").c_str());
            if (s.os1.failures + s.reference->failures > 0)
                std::printf("%5s  %-13s %-24s (failed requests counted as %d tokens each)\n", "", "",
                            range_text(s.tps_ratio_failures_whole, "%.2f").c_str(), args.max_tokens);
        }
        if (s.plain)
            row("", "os1 plain", *s.plain);
    }
    std::printf("machine load (1-minute average) at the start of each run:");
    for (const loadtest::RunResult& run : report.runs)
        std::printf(" %.1f", run.load_before);
    std::printf("\n");
    if (report.idle_os1 || report.idle_reference)
        std::printf("%d streaming requests held open (%d generating, the rest queued):\n", args.idle_connections,
                    args.idle_parallel);
    if (report.idle_os1)
        print_idle("os1", *report.idle_os1);
    if (report.idle_reference)
        print_idle("llama-server", *report.idle_reference);
    if (report.idle_os1)
        std::printf(
            "  (os1's figures are this whole process: its client side adds %d thread and the crowd's buffers)\n",
            report.client_threads);
}

int run(const ServeBenchArgs& args) {
    llm::set_llama_logging({});
    loadtest::ServeBenchOptions options;
    options.model = args.model;
    if (!args.no_reference)
        options.llama_server = args.llama_server;
    options.plain = args.plain;
    options.cold = args.cold;
    options.slots = args.slots;
    options.reference_same_attention = args.reference_attention == "same";
    options.users = args.users;
    options.requests_per_user = args.requests_per_user;
    options.max_tokens = args.max_tokens;
    options.runs = args.runs;
    options.context_per_slot = args.context;
    options.threads = args.threads;
    options.seed = args.seed;
    options.idle_connections = args.idle_connections;
    options.idle_parallel = args.idle_parallel;
    options.progress = [json = args.json](LogLevel level, std::string_view message) {
        if (json && level == LogLevel::Info)
            return;
        std::fprintf(stderr, "%s%.*s\n", level == LogLevel::Info ? "" : "os1: warning: ", int(message.size()),
                     message.data());
        std::fflush(stderr);
    };
    auto report = loadtest::run_serve_bench(options);
    if (report.is_error()) {
        std::fprintf(stderr, "os1 bench serve: %s\n", terminal_text(report.error().message).c_str());
        return 1;
    }
    const std::vector<LevelSummary> levels = summarize(report.value(), args.max_tokens);
    if (args.json)
        std::printf("%s\n", report_json(args, report.value(), levels).dump().c_str());
    else
        print_table(args, report.value(), levels);
    return 0;
}

}  // namespace

void register_serve_bench(CLI::App* bench, GlobalOptions&, int& exit_code) {
    auto args = std::make_shared<ServeBenchArgs>();
    CLI::App* serve = bench->add_subcommand(
        "serve",
        "os1's server against llama.cpp's llama-server (same source, same run, same model, prompts, threads and "
        "context per slot): aggregate tokens/s and p50/p95 time to first token at each number of concurrent users, "
        "with the spread over runs; then RSS and threads with many streaming requests held open");
    serve->add_option("-m,--model", args->model, "GGUF model to serve")->required()->check(CLI::ExistingFile);
    serve->add_option("--users", args->users, "Concurrent users, one level after another (default 1,4,8,16,64)")
        ->delimiter(',')
        ->check(CLI::Range(1, 1024));
    serve
        ->add_option("--requests-per-user", args->requests_per_user,
                     "Turns each user sends, one after the other, with the conversation so far (default 3)")
        ->check(CLI::Range(1, 1000));
    serve->add_option("--max-tokens", args->max_tokens, "Tokens per reply at most (default 32)")
        ->check(CLI::Range(1, 1 << 16));
    serve->add_option("--runs", args->runs, "Times the whole measurement is repeated (default 3)")
        ->check(CLI::Range(1, 100));
    serve
        ->add_option("--idle-connections", args->idle_connections,
                     "Streaming requests held open at the end, waiting on queued replies; 0 skips (default 1000)")
        ->check(CLI::Range(0, 100000));
    serve
        ->add_option("--idle-parallel", args->idle_parallel,
                     "Replies generated at once while those requests wait (default 8)")
        ->check(CLI::Range(1, 256));
    serve->add_option("-c,--ctx-size", args->context, "Context per slot, for both servers (default 2048)")
        ->check(CLI::Range(256, 1 << 20));
    serve->add_option("-t,--threads", args->threads, "CPU threads, for both servers (default: all cores)")
        ->check(thread_count_range());
    serve->add_option("--seed", args->seed, "Seed sent with every request (default 1)");
    serve->add_option("--llama-server", args->llama_server, "Path to llama-server (default: the one built by setup)");
    serve->add_flag("--no-reference", args->no_reference, "Measure os1 alone, without llama-server");
    serve
        ->add_option("--reference-attention", args->reference_attention,
                     "llama-server's attention: 'same' as os1's engine (plain on the CPU, flash attention with GPU "
                     "layers; like with like), or 'default', llama-server's own choice (flash attention wherever "
                     "supported, the CPU included; faster in short contexts, slower deep in long ones) (default "
                     "same)")
        ->check(CLI::IsMember({"same", "default"}));
    serve->add_flag("--plain", args->plain,
                    "Also measure os1 serving the model's own id (no persona, memory or mood: llama-server's "
                    "prompts), to tell the engine apart from the companion");
    serve->add_flag("--cold", args->cold,
                    "Time each user's first contact too: no warm-up request, so both servers start with empty "
                    "caches (os1 computes the persona once for everyone, llama-server once per slot, and the "
                    "companion's loading of each user counts); by default each user sends one short untimed "
                    "request first");
    serve
        ->add_option("--slots", args->slots,
                     "Conversations each server generates at once (os1's engine sequences, llama-server's "
                     "--parallel); fewer than the users makes both evict and bring back conversations' caches "
                     "(default: one per user)")
        ->check(CLI::Range(1, 1024));
    serve->add_flag("--json", args->json,
                    "Print one JSON object: {\"levels\": [{\"users\", \"os1\", \"llama_server\", \"ratio\"}], "
                    "\"per_run\", \"idle\": {\"os1\", \"llama_server\"}, ...}");
    serve->callback([args, &exit_code] { exit_code = run(*args); });
}

}  // namespace os1::cli
