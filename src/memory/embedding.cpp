// MemoryStore's dense vectors: attaching an embedder, embedding new memories after they are
// committed, the backfill for memories stored before a model was configured, and the nearest
// vectors of a query for search.
#include <algorithm>

#include "llm/embedder.h"
#include "memory/memory.h"
#include "memory/vectors.h"

namespace os1::memory {

namespace {

// Texts embedded per call to the embedder and vectors written per transaction: small enough
// that an interrupted backfill loses little and the progress bar moves.
constexpr size_t embed_chunk = 64;

}  // namespace

ErrorOr<void> MemoryStore::set_embedder(std::shared_ptr<llm::Embedder> embedder) {
    m_embedder = std::move(embedder);
    m_vectors.reset();
    auto newest = OS1_TRY(m_db.prepare("SELECT coalesce(max(id), 0) FROM memories"));
    OS1_TRY(newest.step());
    m_embedded_through = newest.column_int(0);
    return {};
}

ErrorOr<size_t> MemoryStore::count_missing_vectors() {
    if (!m_embedder)
        return size_t(0);
    auto q =
        OS1_TRY(m_db.prepare("SELECT count(*) FROM memories m WHERE NOT EXISTS "
                             "(SELECT 1 FROM memory_vectors v WHERE v.memory_id = m.id AND v.model = ?1)"));
    q.bind(1, m_embedder->fingerprint());
    OS1_TRY(q.step());
    return size_t(q.column_int(0));
}

ErrorOr<size_t> MemoryStore::embed_missing(const std::function<void(size_t done, size_t total)>& progress) {
    if (!m_embedder)
        return make_error("memory embed: no embedding model is attached; pass --embedding-model FILE");
    const std::vector<detail::MemoryText> pending =
        OS1_TRY(detail::memories_without_vector(m_db, m_embedder->fingerprint()));
    if (progress)
        progress(0, pending.size());
    for (size_t at = 0; at < pending.size(); at += embed_chunk) {
        const size_t end = std::min(pending.size(), at + embed_chunk);
        std::vector<int64_t> ids;
        std::vector<std::string> texts;
        for (size_t i = at; i < end; ++i) {
            ids.push_back(pending[i].id);
            texts.push_back(pending[i].text);
        }
        auto vectors = OS1_TRY(m_embedder->embed(texts));
        OS1_TRY(detail::write_vectors(m_db, m_embedder->fingerprint(), ids, vectors));
        if (progress)
            progress(end, pending.size());
    }
    return pending.size();
}

// The memory is committed before its vector is computed, so a failing model never loses a
// turn; a memory left without a vector is found by BM25 and filled in by embed_missing().
ErrorOr<void> MemoryStore::embed_new(const std::vector<int64_t>& ids) {
    if (!m_embedder || ids.empty())
        return {};
    for (size_t at = 0; at < ids.size(); at += embed_chunk) {
        std::vector<int64_t> chunk(ids.begin() + long(at), ids.begin() + long(std::min(ids.size(), at + embed_chunk)));
        const std::vector<detail::MemoryText> pending =
            OS1_TRY(detail::memories_without_vector(m_db, m_embedder->fingerprint(), &chunk));
        if (pending.empty())
            continue;
        std::vector<int64_t> pending_ids;
        std::vector<std::string> texts;
        for (const detail::MemoryText& m : pending) {
            pending_ids.push_back(m.id);
            texts.push_back(m.text);
        }
        auto vectors = m_embedder->embed(texts);
        if (vectors.is_error())
            return make_error("memory " + std::to_string(pending_ids.front()) + " is stored, but its vector is not: " +
                              vectors.error().message + "; run os1 memory embed to compute the missing vectors");
        OS1_TRY(detail::write_vectors(m_db, m_embedder->fingerprint(), pending_ids, vectors.value()));
    }
    return {};
}

ErrorOr<void> MemoryStore::embed_recent() {
    if (!m_embedder)
        return {};
    auto newest = OS1_TRY(m_db.prepare("SELECT coalesce(max(id), 0) FROM memories"));
    OS1_TRY(newest.step());
    const int64_t through = newest.column_int(0);
    if (through <= m_embedded_through)
        return {};
    auto q = OS1_TRY(
        m_db.prepare("SELECT m.id FROM memories m WHERE m.id > ?1 AND m.id <= ?2 AND NOT EXISTS "
                     "(SELECT 1 FROM memory_vectors v WHERE v.memory_id = m.id AND v.model = ?3) ORDER BY m.id"));
    q.bind(1, m_embedded_through).bind(2, through).bind(3, m_embedder->fingerprint());
    std::vector<int64_t> ids;
    while (OS1_TRY(q.step()))
        ids.push_back(q.column_int(0));
    OS1_TRY(embed_new(ids));
    m_embedded_through = through;
    return {};
}

ErrorOr<std::vector<std::pair<int64_t, float>>> MemoryStore::nearest_by_vector(std::string_view query, size_t limit,
                                                                               std::optional<TimeRange> range) {
    std::vector<std::pair<int64_t, float>> out;
    if (!m_embedder)
        return out;
    OS1_TRY(embed_recent());
    if (!m_vectors)
        m_vectors = std::make_shared<detail::VectorIndex>(m_embedder->fingerprint(), m_embedder->dimension());
    OS1_TRY(m_vectors->refresh(m_db));
    if (m_vectors->size() == 0)
        return out;
    auto embedded = OS1_TRY(m_embedder->embed({std::string(query)}));
    for (const detail::Nearest& n : m_vectors->nearest(embedded.front(), limit, range))
        out.push_back({n.id, n.cosine});
    return out;
}

}  // namespace os1::memory
