// `os1 bench memory`: recall@k on the synthetic evaluation set, search latency at 10k and
// 100k stored memories, and ingest rate, on a scratch database that is removed afterwards; or,
// with --dataset realtalk DIR, recall on REALTALK's real conversations beside plain BM25.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/model-setup.h"
#include "cli/scratch-folder.h"
#include "cli/terminal-environment.h"
#include "cli/terminal-text.h"
#include "core/paths.h"
#include "llm/embedder.h"
#include "llm/llm.h"
#include "memory/bench.h"
#include "memory/realtalk-bench.h"

namespace os1::cli {

namespace {

// Where the benchmark keeps its stores: --dir when given, else a scratch folder (held in
// `scratch`) that goes when the benchmark ends.
ErrorOr<std::filesystem::path> stores_folder(const std::string& dir, const std::string& prefix,
                                std::optional<ScratchFolder>& scratch) {
    if (!dir.empty())
        return std::filesystem::path(dir);
    scratch.emplace(OS1_TRY(ScratchFolder::create(prefix)));
    return scratch->path();
}

struct MemoryBenchArgs {
    bool json = false;
    uint64_t seed = 42;
    std::vector<size_t> sizes = {10000, 100000};
    int queries = 300;
    std::string dir;
    int vector_dim = 0;
    std::string embedding_model;
    std::string dataset = "generated";
    std::string dataset_dir;
    std::string chats;  // comma-separated
    bool rewrite = false;
    BackendOptions backend;
};

std::vector<std::string> split_commas(const std::string& text) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = std::min(text.find(',', start), text.size());
        if (end > start)
            out.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

double rounded(double x, double scale = 1000.0) {
    return double(int64_t(x * scale + 0.5)) / scale;
}

nlohmann::ordered_json recall_json(const memory::RecallAtK& r) {
    return {{"1", rounded(r.at_1)}, {"5", rounded(r.at_5)}, {"10", rounded(r.at_10)}};
}

nlohmann::ordered_json system_json(const memory::SystemRecall& s) {
    nlohmann::ordered_json by_category = nlohmann::ordered_json::object();
    for (const auto& [category, r] : s.by_category)
        by_category[std::to_string(category)] = {{"questions", r.questions}, {"recall_any_at", recall_json(r)}};
    return {{"recall_any_at", recall_json(s.overall)}, {"by_category", by_category}};
}

void print_recall(const char* name, const memory::SystemRecall& s) {
    std::printf("  %-5s recall_any@1 %.3f   @5 %.3f   @10 %.3f\n", name, s.overall.at_1, s.overall.at_5,
                s.overall.at_10);
    for (const auto& [category, r] : s.by_category)
        std::printf("        category %d (%3zu)   @1 %.3f   @5 %.3f   @10 %.3f\n", category, r.questions, r.at_1,
                    r.at_5, r.at_10);
}

int run_realtalk(const MemoryBenchArgs& args, const GlobalOptions& global) {
    namespace fs = std::filesystem;
    memory::RealtalkBenchOptions options;
    options.dataset_dir = args.dataset_dir;
    options.chats = split_commas(args.chats);
    std::unique_ptr<llm::Backend> rewriter;
    if (args.rewrite) {
        llm::set_llama_logging(llama_log_sink(global.verbose));
        auto backend = open_backend(args.backend, resolve_data_home(global.home), Interaction::Script);
        if (backend.is_error()) {
            std::fprintf(stderr, "os1 bench memory: %s\n", terminal_text(backend.error().message).c_str());
            return 1;
        }
        rewriter = backend.release_value();
        options.rewriter = rewriter.get();
    }
    std::optional<ScratchFolder> scratch;
    auto work_dir = stores_folder(args.dir, "os1-bench-realtalk", scratch);
    if (work_dir.is_error()) {
        std::fprintf(stderr, "os1 bench memory: %s\n", terminal_text(work_dir.error().message).c_str());
        return 1;
    }
    options.work_dir = work_dir.release_value();
    if (!args.json)
        std::fprintf(stderr, "importing the chats of %s into %s ...\n", args.dataset_dir.c_str(),
                     options.work_dir.c_str());
    auto result = memory::run_realtalk_bench(options);
    if (result.is_error()) {
        std::fprintf(stderr, "os1 bench memory: %s\n", terminal_text(result.error().message).c_str());
        return 1;
    }
    const memory::RealtalkBenchResult& r = result.value();
    if (args.json) {
        nlohmann::ordered_json splits = nlohmann::ordered_json::object();
        for (const memory::RealtalkSplit& s : r.splits)
            splits[s.name] = {{"chats", s.chats},
                              {"turns", s.turns},
                              {"questions", s.os1.overall.questions},
                              {"unanswerable", s.unanswerable},
                              {"os1", system_json(s.os1)},
                              {"bm25", system_json(s.bm25)}};
        nlohmann::ordered_json out = {
            {"dataset", "realtalk"},
            {"protocol",
             "each chat imported as its own user (speaker 1 the user); every question with evidence asked at the "
             "chat's last message, k = 10; recall_any@K: an evidence turn among the first K distinct source turns"},
            {"held_out", "chats 8, 9 and 10, chosen before tuning; tuning: the others"},
            {"baseline", "plain BM25 (k1 1.2, b 0.75, English stop words, no stemming) over the same turns"},
            {"query_rewrite", args.rewrite},
            {"splits", splits},
            {"search_p50_ms", rounded(r.search_p50_ms)},
            {"search_p95_ms", rounded(r.search_p95_ms)},
        };
        if (args.rewrite)
            out["rewrites_failed"] = r.rewrites_failed;
        std::printf("%s\n", out.dump().c_str());
        return 0;
    }
    for (const memory::RealtalkSplit& s : r.splits) {
        std::printf("%s: %zu chats, %zu turns, %zu questions (%zu without their evidence in the files)\n",
                    s.name.c_str(), s.chats.size(), s.turns, s.os1.overall.questions, s.unanswerable);
        print_recall("os1", s.os1);
        print_recall("bm25", s.bm25);
    }
    std::printf("os1 search p50 %.2f ms   p95 %.2f ms\n", r.search_p50_ms, r.search_p95_ms);
    if (args.rewrite)
        std::printf("queries rewritten by the model; %zu searched as asked (no usable rewrite)\n",
                    r.rewrites_failed);
    return 0;
}

int run(const MemoryBenchArgs& args, const GlobalOptions& global) {
    namespace fs = std::filesystem;
    if (args.dataset == "realtalk")
        return run_realtalk(args, global);
    memory::MemoryBenchOptions options;
    options.seed = args.seed;
    options.sizes = args.sizes;
    options.queries = args.queries;
    options.vector_dim = args.vector_dim;
    if (!args.embedding_model.empty()) {
        auto embedder = open_embedding_model(args.embedding_model, global.verbose);
        if (embedder.is_error()) {
            std::fprintf(stderr, "os1 bench memory: %s\n", terminal_text(embedder.error().message).c_str());
            return 1;
        }
        options.embedder = embedder.release_value();
    }
    std::optional<ScratchFolder> scratch;
    auto work_dir = stores_folder(args.dir, "os1-bench-memory", scratch);
    if (work_dir.is_error()) {
        std::fprintf(stderr, "os1 bench memory: %s\n", terminal_text(work_dir.error().message).c_str());
        return 1;
    }
    options.work_dir = work_dir.release_value();
    if (!args.json)
        std::fprintf(stderr, "building stores of %zu sizes in %s ...\n", options.sizes.size(),
                     options.work_dir.c_str());
    auto result = memory::run_memory_bench(options);
    if (result.is_error()) {
        std::fprintf(stderr, "os1 bench memory: %s\n", terminal_text(result.error().message).c_str());
        return 1;
    }
    const memory::MemoryBenchResult& r = result.value();
    nlohmann::ordered_json p50 = nlohmann::ordered_json::object(), p95 = nlohmann::ordered_json::object(),
                           recall10 = nlohmann::ordered_json::object(), ingest = nlohmann::ordered_json::object();
    for (const memory::ScaleResult& s : r.scales) {
        std::string key = std::to_string(s.memories);
        p50[key] = rounded(s.search_p50_ms);
        p95[key] = rounded(s.search_p95_ms);
        recall10[key] = rounded(s.recall_at_10);
        ingest[key] = rounded(s.ingest_per_s, 1);
    }
    nlohmann::ordered_json by_category = nlohmann::ordered_json::object();
    for (const auto& [category, value] : r.recall_at_5_by_category)
        by_category[category] = rounded(value);
    nlohmann::ordered_json out = {
        {"questions", r.questions},
        {"recall_at", {{"1", rounded(r.recall_at_1)}, {"5", rounded(r.recall_at_5)}, {"10", rounded(r.recall_at_10)}}},
        {"recall_at_5_by_category", by_category},
        {"recall_at_10_by_size", recall10},
        {"search_p50_ms", p50},
        {"search_p95_ms", p95},
        {"ingest_per_s", rounded(r.ingest_per_s, 1)},
        {"ingest_per_s_by_size", ingest},
    };
    if (r.vectors) {
        nlohmann::ordered_json p50v = nlohmann::ordered_json::object(), p95v = nlohmann::ordered_json::object(),
                               recall10v = nlohmann::ordered_json::object(),
                               embed = nlohmann::ordered_json::object(), load = nlohmann::ordered_json::object();
        for (const memory::ScaleResult& s : r.scales) {
            std::string key = std::to_string(s.memories);
            p50v[key] = rounded(s.search_p50_ms_vectors);
            p95v[key] = rounded(s.search_p95_ms_vectors);
            recall10v[key] = rounded(s.recall_at_10_vectors);
            embed[key] = rounded(s.embed_per_s, 1);
            load[key] = rounded(s.index_load_ms);
        }
        out["vector_model"] = r.vector_model;
        out["vector_dim"] = r.vector_dim;
        out["vectors_synthetic"] = args.embedding_model.empty();
        out["recall_at_vectors"] = {{"1", rounded(r.recall_at_1_vectors)},
                                    {"5", rounded(r.recall_at_5_vectors)},
                                    {"10", rounded(r.recall_at_10_vectors)}};
        out["recall_at_10_by_size_vectors"] = recall10v;
        out["search_p50_ms_vectors"] = p50v;
        out["search_p95_ms_vectors"] = p95v;
        out["embed_per_s_by_size"] = embed;
        out["vector_index_load_ms"] = load;
    }
    if (args.json) {
        std::printf("%s\n", out.dump().c_str());
        return 0;
    }
    std::printf("questions %zu   recall@1 %.3f   recall@5 %.3f   recall@10 %.3f\n", r.questions, r.recall_at_1,
                r.recall_at_5, r.recall_at_10);
    for (const auto& [category, value] : r.recall_at_5_by_category)
        std::printf("  recall@5 %-17s %.3f\n", category.c_str(), value);
    for (const memory::ScaleResult& s : r.scales)
        std::printf("%7zu memories   search p50 %.2f ms   p95 %.2f ms   recall@10 %.3f   ingest %.0f/s\n", s.memories,
                    s.search_p50_ms, s.search_p95_ms, s.recall_at_10, s.ingest_per_s);
    if (!r.vectors)
        return 0;
    std::printf("with %d-d vectors from %s%s\n", r.vector_dim, r.vector_model.c_str(),
                args.embedding_model.empty() ? " (synthetic: hashed bags of words, no model)" : "");
    std::printf("questions %zu   recall@1 %.3f   recall@5 %.3f   recall@10 %.3f\n", r.questions, r.recall_at_1_vectors,
                r.recall_at_5_vectors, r.recall_at_10_vectors);
    for (const memory::ScaleResult& s : r.scales)
        std::printf("%7zu memories   search p50 %.2f ms   p95 %.2f ms   recall@10 %.3f   embed %.0f/s   index load "
                    "%.0f ms\n",
                    s.memories, s.search_p50_ms_vectors, s.search_p95_ms_vectors, s.recall_at_10_vectors, s.embed_per_s,
                    s.index_load_ms);
    return 0;
}

}  // namespace

void register_memory_bench(CLI::App* bench, GlobalOptions& global, int& exit_code) {
    auto args = std::make_shared<MemoryBenchArgs>();
    CLI::App* memory = bench->add_subcommand(
        "memory",
        "Memory recall (recall@1/5/10 on a synthetic multi-session set), search latency p50/p95 at 10k and "
        "100k memories, and ingest rate; with --vector-dim or --embedding-model, all again with dense vectors. "
        "With --dataset realtalk DIR: turn-level recall_any@1/5/10 on REALTALK's real conversations, tuning and "
        "held-out chats apart, beside plain BM25");
    memory->add_flag("--json", args->json, "Print one JSON object");
    memory->add_option("--seed", args->seed, "Seed of the synthetic set (default 42)");
    memory->add_option("--sizes", args->sizes, "Store sizes to time (default 10000 100000)");
    memory->add_option("--queries", args->queries, "Timed searches per size (default 300)");
    memory->add_option("--dir", args->dir, "Keep the stores in DIR instead of a removed temporary folder");
    memory->add_option("--dataset", args->dataset,
                       "generated (the synthetic set, default) or realtalk (needs the dataset's folder)")
        ->check(CLI::IsMember({"generated", "realtalk"}));
    memory->add_option("dataset_dir", args->dataset_dir, "With --dataset realtalk: the folder of Chat_*.json files");
    memory->add_option("--chats", args->chats,
                       "With --dataset realtalk: only these chats (file names without .json, separated by commas), "
                       "for a quick run");
    memory->add_flag("--rewrite", args->rewrite,
                     "With --dataset realtalk: a chat model (the options below) rewrites each question before "
                     "search; off by default, the measured figures are model-free");
    add_backend_options(*memory, args->backend);
    memory->add_option("--vector-dim", args->vector_dim,
                       "Measure again with synthetic N-d unit vectors (hashed bags of words, no model) on the real "
                       "vector search path")
        ->check(CLI::Range(1, 8192));
    memory->add_option("--embedding-model", args->embedding_model,
                       "Measure again with vectors from this GGUF embedding model (embeds every stored memory: slow "
                       "at 100k with a real model)");
    memory->callback([args, &global, &exit_code] {
        if (args->dataset == "realtalk" && args->dataset_dir.empty())
            throw CLI::ValidationError("--dataset realtalk", "needs the dataset's folder: --dataset realtalk DIR");
        if (args->dataset != "realtalk" && (!args->dataset_dir.empty() || !args->chats.empty()))
            throw CLI::ValidationError("dataset_dir", "a dataset folder and --chats go with --dataset realtalk");
        if (args->dataset != "realtalk" && args->rewrite)
            throw CLI::ValidationError("--rewrite", "goes with --dataset realtalk");
        exit_code = run(*args, global);
    });
}

}  // namespace os1::cli
