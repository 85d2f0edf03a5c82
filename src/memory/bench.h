// The memory benchmark behind `os1 bench memory`: recall on the synthetic evaluation set and
// search latency and ingest rate at scale, measured on a scratch database.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/error.h"

namespace os1::memory {

struct MemoryBenchOptions {
    uint64_t seed = 42;
    std::vector<size_t> sizes = {10000, 100000};  // memories stored (evaluation turns + filler)
    std::filesystem::path work_dir;               // scratch folder; emptied first
    int queries = 300;                            // timed searches per size
};

struct ScaleResult {
    size_t memories = 0;
    double search_p50_ms = 0;
    double search_p95_ms = 0;
    double recall_at_10 = 0;
    double ingest_per_s = 0;
};

struct MemoryBenchResult {
    size_t questions = 0;
    // Measured with the evaluation set inside the first (smallest) size.
    double recall_at_1 = 0, recall_at_5 = 0, recall_at_10 = 0;
    std::map<std::string, double> recall_at_5_by_category;
    std::vector<ScaleResult> scales;
    double ingest_per_s = 0;  // over the largest size
};

ErrorOr<MemoryBenchResult> run_memory_bench(const MemoryBenchOptions& options);

}  // namespace os1::memory
