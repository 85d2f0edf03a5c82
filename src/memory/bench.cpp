#include "memory/bench.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "llm/embedder.h"
#include "memory/eval-set.h"
#include "memory/memory.h"
#include "memory/synthetic-embedder.h"

namespace os1::memory {

namespace {

using Clock = std::chrono::steady_clock;

double percentile(std::vector<double> values, double p) {
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    size_t index = size_t(p * double(values.size() - 1) + 0.5);
    return values[std::min(index, values.size() - 1)];
}

SearchOptions search_options(const EvalQuestion& q) {
    SearchOptions options;
    options.now = q.asked_at;
    options.zone = eval_set_zone();
    return options;
}

// Fraction of the evidence turns found among the sources of the first k hits.
double recall(const std::vector<Hit>& hits, const EvalQuestion& q, size_t k) {
    std::set<std::string> found;
    for (size_t i = 0; i < hits.size() && i < k; ++i)
        found.insert(hits[i].source_turns.begin(), hits[i].source_turns.end());
    size_t got = 0;
    for (const std::string& e : q.evidence)
        got += found.count(e);
    return q.evidence.empty() ? 0 : double(got) / double(q.evidence.size());
}

struct Measured {
    double r1 = 0, r5 = 0, r10 = 0;
    std::map<std::string, double> r5_by_category;
    double p50_ms = 0, p95_ms = 0;
};

// Recall over every question, then `queries` timed searches cycling through them.
ErrorOr<Measured> measure(MemoryStore& store, const EvalSet& set, int queries) {
    Measured m;
    std::map<std::string, std::pair<double, int>> by_category;
    for (const EvalQuestion& q : set.questions) {
        auto hits = OS1_TRY(store.search(q.question, search_options(q)));
        m.r1 += recall(hits, q, 1);
        m.r5 += recall(hits, q, 5);
        m.r10 += recall(hits, q, 10);
        auto& c = by_category[q.category];
        c.first += recall(hits, q, 5);
        c.second += 1;
    }
    const double n = double(std::max<size_t>(1, set.questions.size()));
    m.r1 /= n;
    m.r5 /= n;
    m.r10 /= n;
    for (auto& [category, sum] : by_category)
        m.r5_by_category[category] = sum.first / sum.second;

    std::vector<double> latencies;
    for (int i = 0; i < queries; ++i) {
        const EvalQuestion& q = set.questions[size_t(i) % set.questions.size()];
        const SearchOptions search = search_options(q);
        auto t0 = Clock::now();
        auto hits = OS1_TRY(store.search(q.question, search));
        latencies.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    m.p50_ms = percentile(latencies, 0.50);
    m.p95_ms = percentile(latencies, 0.95);
    return m;
}

}  // namespace

ErrorOr<MemoryBenchResult> run_memory_bench(const MemoryBenchOptions& options) {
    namespace fs = std::filesystem;
    if (options.work_dir.empty())
        return make_error("memory bench: no scratch folder given");
    EvalSet set = generate_eval_set(options.seed);
    MemoryBenchResult result;
    std::shared_ptr<llm::Embedder> embedder = options.embedder;
    if (!embedder && options.vector_dim > 0)
        embedder = make_synthetic_embedder(options.vector_dim);
    if (embedder) {
        result.vectors = true;
        result.vector_model = embedder->fingerprint();
        result.vector_dim = embedder->dimension();
    }
    result.questions = set.questions.size();
    const int64_t begin = set.turns.front().time;
    const int64_t end = set.turns.back().time;

    for (size_t index = 0; index < options.sizes.size(); ++index) {
        const size_t size = std::max(options.sizes[index], set.turns.size());
        fs::path dir = options.work_dir / ("size-" + std::to_string(size));
        std::error_code ec;
        fs::remove_all(dir, ec);
        auto store = OS1_TRY(MemoryStore::open(dir));

        std::vector<EpisodeInput> filler =
            generate_filler_turns(options.seed, size - set.turns.size(), begin, end, "f");
        auto start = Clock::now();
        OS1_TRY(store.import_episodes(set.turns));
        const size_t batch = 5000;
        for (size_t at = 0; at < filler.size(); at += batch) {
            std::vector<EpisodeInput> part(filler.begin() + long(at),
                                           filler.begin() + long(std::min(filler.size(), at + batch)));
            OS1_TRY(store.import_episodes(part));
        }
        double ingest_s = std::chrono::duration<double>(Clock::now() - start).count();

        ScaleResult scale;
        scale.memories = OS1_TRY(store.count());
        scale.ingest_per_s = double(scale.memories) / std::max(ingest_s, 1e-9);

        Measured lexical = OS1_TRY(measure(store, set, options.queries));
        scale.recall_at_10 = lexical.r10;
        scale.search_p50_ms = lexical.p50_ms;
        scale.search_p95_ms = lexical.p95_ms;
        if (index == 0) {
            result.recall_at_1 = lexical.r1;
            result.recall_at_5 = lexical.r5;
            result.recall_at_10 = lexical.r10;
            result.recall_at_5_by_category = lexical.r5_by_category;
        }

        if (embedder) {
            // The same store again, with every memory embedded and the vectors fused into search.
            OS1_TRY(store.set_embedder(embedder));
            auto t0 = Clock::now();
            size_t embedded = OS1_TRY(store.embed_missing());
            scale.embed_per_s =
                double(embedded) / std::max(std::chrono::duration<double>(Clock::now() - t0).count(), 1e-9);
            t0 = Clock::now();
            OS1_TRY(store.search(set.questions.front().question, search_options(set.questions.front())));
            scale.index_load_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
            Measured dense = OS1_TRY(measure(store, set, options.queries));
            scale.recall_at_10_vectors = dense.r10;
            scale.search_p50_ms_vectors = dense.p50_ms;
            scale.search_p95_ms_vectors = dense.p95_ms;
            if (index == 0) {
                result.recall_at_1_vectors = dense.r1;
                result.recall_at_5_vectors = dense.r5;
                result.recall_at_10_vectors = dense.r10;
            }
        }
        result.scales.push_back(scale);
        result.ingest_per_s = scale.ingest_per_s;
    }
    return result;
}

}  // namespace os1::memory
