// Internal to the memory module: dense vectors for recall. The table memory_vectors holds one
// float32 vector per (memory, model fingerprint); VectorIndex keeps one model's vectors as a
// contiguous matrix in memory for brute-force cosine search; fuse_relevance merges the BM25
// and the vector scores. Not part of the public API (memory.h), except for tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/database.h"
#include "core/error.h"
#include "memory/memory.h"

namespace os1::memory::detail {

// Creates or upgrades the memory_vectors table (component "memory_vectors", versioned apart
// from the memory tables so that the two evolve independently). Needs the memory tables.
ErrorOr<void> migrate_vectors(Database& db);

// Writes unit vectors of `fingerprint` for `ids` in one transaction, replacing older vectors of
// that model for the same memories.
ErrorOr<void> write_vectors(Database& db, std::string_view fingerprint, const std::vector<int64_t>& ids,
                            const std::vector<std::vector<float>>& vectors);

// Ids and texts of memories that have no vector of `fingerprint`, oldest first; restricted to
// `only` when it is given.
struct MemoryText {
    int64_t id = 0;
    std::string text;
};
ErrorOr<std::vector<MemoryText>> memories_without_vector(Database& db, std::string_view fingerprint,
                                                         const std::vector<int64_t>* only = nullptr);

struct Nearest {
    int64_t id = 0;
    float cosine = 0;
};

// One model's vectors in memory: a row-major matrix of unit vectors (and an int8 copy that a
// query scans first; the best candidates are then rescored exactly), the memory id and time of
// each row. refresh() loads only the rows written since the last call (the table's sequence
// numbers only grow), and reloads everything when another connection deleted vectors. Rows of
// memories deleted meanwhile may linger until then; callers re-read memories from the database,
// so they never surface.
class VectorIndex {
public:
    VectorIndex(std::string fingerprint, int32_t dimension)
        : m_fingerprint(std::move(fingerprint)), m_dimension(dimension) {}

    ErrorOr<void> refresh(Database& db);
    // The `limit` rows most similar to `query` (a unit vector), best first, within `range`.
    std::vector<Nearest> nearest(const std::vector<float>& query, size_t limit, std::optional<TimeRange> range) const;
    size_t size() const { return m_live; }
    const std::string& fingerprint() const { return m_fingerprint; }
    int32_t dimension() const { return m_dimension; }

private:
    ErrorOr<void> load(Database& db, int64_t after_seq);
    void clear();

    std::string m_fingerprint;
    int32_t m_dimension;
    std::vector<float> m_matrix;  // rows x m_dimension, exact: rescores the best candidates
    std::vector<int8_t> m_codes;  // the same rows quantised to int8, scanned for every query
    std::vector<float> m_scales;  // per row: code * scale = value
    std::vector<int64_t> m_ids;
    std::vector<int64_t> m_times;
    std::unordered_map<int64_t, size_t> m_row_of;
    size_t m_live = 0;
    int64_t m_loaded_seq = 0;
    int64_t m_data_version = -1;
};

// Fuses the two rankings into one relevance in [0, 1]: a convex combination of min-max
// normalised scores (Bruch, Gai and Ingber, "An Analysis of Fusion Functions for Hybrid
// Retrieval", 2023). BM25 is scaled by the best BM25 (as recall without vectors does), cosine
// from the lowest to the highest cosine in `dense` (a single cosine, or all equal, scale to 1);
// an item missing from a list gets 0 from it. Unlike reciprocal-rank fusion, whose scores for
// the first ranks differ by a few percent, this keeps how much better the best match is, so
// recency and importance only break near-ties, as they do without vectors.
inline constexpr double vector_weight = 0.5;
std::unordered_map<int64_t, double> fuse_relevance(const std::vector<std::pair<int64_t, double>>& lexical,
                                                   const std::vector<std::pair<int64_t, float>>& dense,
                                                   double weight = vector_weight);

}  // namespace os1::memory::detail
