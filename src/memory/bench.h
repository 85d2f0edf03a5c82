// The memory benchmark behind `os1 bench memory`: recall on the synthetic evaluation set and
// search latency and ingest rate at scale, measured on a scratch database.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"

namespace os1::llm {
class Embedder;
}

namespace os1::memory {

struct MemoryBenchOptions {
    uint64_t seed = 42;
    std::vector<size_t> sizes = {10000, 100000};  // memories stored (evaluation turns + filler)
    std::filesystem::path work_dir;               // scratch folder; emptied first
    int queries = 300;                            // timed searches per size
    // Each size is measured a second time with dense vectors when either is given: an embedding
    // model (it embeds every stored memory and each query), or else a dimension for synthetic
    // vectors (hashed bags of words, unit length; no model) that time the real vector path.
    std::shared_ptr<llm::Embedder> embedder;
    int vector_dim = 0;
};

struct ScaleResult {
    size_t memories = 0;
    double search_p50_ms = 0;
    double search_p95_ms = 0;
    double recall_at_10 = 0;
    double ingest_per_s = 0;
    // With vectors (when asked for).
    double search_p50_ms_vectors = 0;
    double search_p95_ms_vectors = 0;
    double recall_at_10_vectors = 0;
    double embed_per_s = 0;    // memories embedded per second by the backfill
    double index_load_ms = 0;  // the first search: loading every vector into memory
};

struct MemoryBenchResult {
    size_t questions = 0;
    // Measured with the evaluation set inside the first (smallest) size.
    double recall_at_1 = 0, recall_at_5 = 0, recall_at_10 = 0;
    std::map<std::string, double> recall_at_5_by_category;
    std::vector<ScaleResult> scales;
    double ingest_per_s = 0;  // over the largest size
    // With vectors, measured as recall_at_* above (0 without vectors).
    bool vectors = false;
    std::string vector_model;  // the embedder's fingerprint
    int vector_dim = 0;
    double recall_at_1_vectors = 0, recall_at_5_vectors = 0, recall_at_10_vectors = 0;
};

ErrorOr<MemoryBenchResult> run_memory_bench(const MemoryBenchOptions& options);

}  // namespace os1::memory
