#include "memory/vectors.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <queue>

namespace os1::memory::detail {

namespace {

const std::vector<Database::Migration> vector_migrations = {
    {1, R"sql(
        CREATE TABLE memory_vectors (
            seq       INTEGER PRIMARY KEY AUTOINCREMENT,  -- only grows, so readers load just what is new
            memory_id INTEGER NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
            model     TEXT NOT NULL,                      -- the embedder's fingerprint
            dim       INTEGER NOT NULL,
            vector    BLOB NOT NULL,                      -- dim float32 values, unit length, host byte order
            UNIQUE (memory_id, model)
        );
        CREATE INDEX memory_vectors_by_model ON memory_vectors(model, seq);
        -- A vector describes the text it was computed from: an edit makes it wrong.
        CREATE TRIGGER memory_vectors_stale AFTER UPDATE OF text ON memories BEGIN
            DELETE FROM memory_vectors WHERE memory_id = new.id;
        END;
    )sql"},
};

// Approximate similarity of `query` with every row of `codes` (int8, `dimension` per row):
// the integer dot product times both scales. Built twice on x86-64 (AVX2+FMA and baseline) and
// picked at load time, since the portable build targets SSE2 only and this loop is the whole
// cost of a dense search. ThreadSanitizer builds, whose runtime the load-time choice would crash,
// define OS1_NO_TARGET_CLONES and keep the baseline only.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(OS1_NO_TARGET_CLONES)
__attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
void approximate_dots(const int8_t* codes, const float* scales, size_t rows, size_t dimension, const int8_t* query,
                      float query_scale, float* out) {
    for (size_t r = 0; r < rows; ++r) {
        const int8_t* row = codes + r * dimension;
        // An integer reduction: exact in any order, so the compiler vectorises it as it likes
        // (sign-extend to 16 bits, multiply-add pairs into 32-bit lanes).
        int32_t sum = 0;
        for (size_t i = 0; i < dimension; ++i)
            sum += int16_t(row[i]) * int16_t(query[i]);
        out[r] = float(sum) * scales[r] * query_scale;
    }
}

float exact_dot(const float* a, const float* b, size_t dimension) {
    double sum = 0;
    for (size_t i = 0; i < dimension; ++i)
        sum += double(a[i]) * double(b[i]);
    return float(sum);
}

// Symmetric int8 quantisation of one vector; returns the scale that maps codes back.
float quantise(const float* values, size_t dimension, int8_t* codes) {
    float peak = 0;
    for (size_t i = 0; i < dimension; ++i)
        peak = std::max(peak, std::fabs(values[i]));
    if (peak == 0) {
        std::fill(codes, codes + dimension, int8_t(0));
        return 0;
    }
    const float to_code = 127.0f / peak;
    for (size_t i = 0; i < dimension; ++i)
        codes[i] = int8_t(std::lround(values[i] * to_code));
    return peak / 127.0f;
}

// Rows kept from the int8 pass per row returned, before the exact float32 rescoring. Int8
// cosines are off by about 0.01; four times the rows leaves room for that reordering.
constexpr size_t oversample = 4;

}  // namespace

ErrorOr<void> migrate_vectors(Database& db) {
    return db.migrate("memory_vectors", vector_migrations);
}

ErrorOr<void> write_vectors(Database& db, std::string_view fingerprint, const std::vector<int64_t>& ids,
                            const std::vector<std::vector<float>>& vectors) {
    if (ids.size() != vectors.size())
        return make_error("memory vectors: " + std::to_string(ids.size()) + " ids but " +
                          std::to_string(vectors.size()) + " vectors");
    return in_transaction(db, [&]() -> ErrorOr<void> {
        for (size_t i = 0; i < ids.size(); ++i) {
            auto insert =
                OS1_TRY(db.prepare("INSERT OR REPLACE INTO memory_vectors (memory_id, model, dim, vector) "
                                   "SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM memories WHERE id = ?1)"));
            const std::vector<float>& v = vectors[i];
            if (v.empty())
                return make_error("memory vectors: the vector of memory " + std::to_string(ids[i]) + " is empty");
            insert.bind(1, ids[i]).bind(2, fingerprint).bind(3, int64_t(v.size()));
            insert.bind_blob(4, v.data(), v.size() * sizeof(float));
            OS1_TRY(insert.run());
        }
        return {};
    });
}

ErrorOr<std::vector<MemoryText>> memories_without_vector(Database& db, std::string_view fingerprint,
                                                         const std::vector<int64_t>* only) {
    std::string sql =
        "SELECT m.id, m.text FROM memories m WHERE NOT EXISTS "
        "(SELECT 1 FROM memory_vectors v WHERE v.memory_id = m.id AND v.model = ?1)";
    if (only) {
        if (only->empty())
            return std::vector<MemoryText>();
        std::string ids;
        for (int64_t id : *only) {
            if (!ids.empty())
                ids += ',';
            ids += std::to_string(id);
        }
        sql += " AND m.id IN (" + ids + ")";
    }
    sql += " ORDER BY m.id";
    auto q = OS1_TRY(db.prepare(sql));
    q.bind(1, fingerprint);
    std::vector<MemoryText> out;
    while (OS1_TRY(q.step()))
        out.push_back({q.column_int(0), q.column_text(1)});
    return out;
}

void VectorIndex::clear() {
    m_matrix.clear();
    m_codes.clear();
    m_scales.clear();
    m_ids.clear();
    m_times.clear();
    m_row_of.clear();
    m_live = 0;
    m_loaded_seq = 0;
}

ErrorOr<void> VectorIndex::load(Database& db, int64_t after_seq) {
    auto q =
        OS1_TRY(db.prepare("SELECT v.seq, v.memory_id, v.dim, v.vector, m.time FROM memory_vectors v "
                           "JOIN memories m ON m.id = v.memory_id WHERE v.model = ?1 AND v.seq > ?2 ORDER BY v.seq"));
    q.bind(1, m_fingerprint).bind(2, after_seq);
    const size_t dim = size_t(m_dimension);
    while (OS1_TRY(q.step())) {
        const int64_t id = q.column_int(1);
        std::string_view blob = q.column_blob(3);
        if (q.column_int(2) != m_dimension || blob.size() != dim * sizeof(float))
            return make_error(db.path().string() + ": the vector of memory " + std::to_string(id) + " for model " +
                              m_fingerprint + " has " + std::to_string(q.column_int(2)) + " dimensions, not " +
                              std::to_string(m_dimension) + "; run os1 memory embed to compute it again");
        size_t row = 0;
        if (auto it = m_row_of.find(id); it != m_row_of.end()) {
            row = it->second;  // replaced (the memory was edited and embedded again)
        } else {
            row = m_ids.size();
            m_ids.push_back(id);
            m_times.push_back(0);
            m_matrix.resize(m_matrix.size() + dim);
            m_codes.resize(m_codes.size() + dim);
            m_scales.push_back(0);
            m_row_of.emplace(id, row);
            ++m_live;
        }
        std::memcpy(m_matrix.data() + row * dim, blob.data(), blob.size());
        m_scales[row] = quantise(m_matrix.data() + row * dim, dim, m_codes.data() + row * dim);
        m_times[row] = q.column_int(4);
        m_loaded_seq = std::max(m_loaded_seq, q.column_int(0));
    }
    return {};
}

ErrorOr<void> VectorIndex::refresh(Database& db) {
    auto version = OS1_TRY(db.prepare("PRAGMA data_version"));
    OS1_TRY(version.step());
    const int64_t data_version = version.column_int(0);
    if (m_data_version >= 0 && data_version != m_data_version && m_live > 0) {
        // Another connection committed: if it deleted vectors, start again.
        auto count = OS1_TRY(db.prepare("SELECT count(*) FROM memory_vectors WHERE model = ?1 AND seq <= ?2"));
        count.bind(1, m_fingerprint).bind(2, m_loaded_seq);
        OS1_TRY(count.step());
        if (size_t(count.column_int(0)) < m_live)
            clear();
    }
    m_data_version = data_version;
    auto newest = OS1_TRY(db.prepare("SELECT max(seq) FROM memory_vectors"));
    OS1_TRY(newest.step());
    if (newest.column_int(0) > m_loaded_seq)
        OS1_TRY(load(db, m_loaded_seq));
    return {};
}

std::vector<Nearest> VectorIndex::nearest(const std::vector<float>& query, size_t limit,
                                          std::optional<TimeRange> range) const {
    std::vector<Nearest> out;
    const size_t dim = size_t(m_dimension);
    if (query.size() != dim || m_ids.empty() || limit == 0)
        return out;
    // Scanning int8 codes reads a quarter of the bytes of the float32 matrix: at 100k x 384
    // that is 38 MB instead of 154 MB per query, and memory bandwidth is what the scan costs.
    std::vector<int8_t> query_codes(dim);
    const float query_scale = quantise(query.data(), dim, query_codes.data());
    std::vector<float> approximate(m_ids.size());
    approximate_dots(m_codes.data(), m_scales.data(), m_ids.size(), dim, query_codes.data(), query_scale,
                     approximate.data());

    // The best `keep` rows by approximate score: a min-heap whose top is the worst kept row.
    const size_t keep = limit * oversample;
    using Scored = std::pair<float, size_t>;  // score, row
    std::priority_queue<Scored, std::vector<Scored>, std::greater<Scored>> best;
    for (size_t row = 0; row < m_ids.size(); ++row) {
        if (best.size() == keep && approximate[row] <= best.top().first)
            continue;
        if (range && (m_times[row] < range->begin || m_times[row] >= range->end))
            continue;
        best.push({approximate[row], row});
        if (best.size() > keep)
            best.pop();
    }
    out.reserve(best.size());
    for (; !best.empty(); best.pop()) {
        const size_t row = best.top().second;
        out.push_back({m_ids[row], exact_dot(m_matrix.data() + row * dim, query.data(), dim)});
    }
    auto better = [](const Nearest& a, const Nearest& b) {
        return a.cosine != b.cosine ? a.cosine > b.cosine : a.id > b.id;  // ties: the newer memory
    };
    std::sort(out.begin(), out.end(), better);
    if (out.size() > limit)
        out.resize(limit);
    return out;
}

std::unordered_map<int64_t, double> fuse_relevance(const std::vector<std::pair<int64_t, double>>& lexical,
                                                   const std::vector<std::pair<int64_t, float>>& dense, double weight) {
    std::unordered_map<int64_t, double> fused;
    double best = 0;
    for (const auto& [id, bm25] : lexical)
        best = std::max(best, bm25);
    for (const auto& [id, bm25] : lexical)
        fused[id] += (1 - weight) * (best > 0 ? bm25 / best : 0);
    if (dense.empty())
        return fused;
    float low = dense.front().second, high = dense.front().second;
    for (const auto& [id, cosine] : dense) {
        low = std::min(low, cosine);
        high = std::max(high, cosine);
    }
    for (const auto& [id, cosine] : dense)
        fused[id] += weight * (high - low > 1e-6f ? double(cosine - low) / double(high - low) : 1.0);
    return fused;
}

}  // namespace os1::memory::detail
