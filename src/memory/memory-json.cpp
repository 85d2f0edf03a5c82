#include "memory/memory-json.h"

#include <cmath>

namespace os1::memory {

using nlohmann::ordered_json;

namespace {

double rounded(double x) {
    return std::round(x * 10000.0) / 10000.0;
}

}  // namespace

ordered_json memory_json(const Memory& m) {
    ordered_json j = {{"id", m.id},
                      {"kind", to_string(m.kind)},
                      {"text", m.text},
                      {"time", format_iso8601(m.time)},
                      {"importance", rounded(m.importance)}};
    if (m.kind == Kind::Episode) {
        j["source_id"] = m.source_id;
        j["conversation"] = m.conversation;
        j["speaker"] = m.speaker;
        j["role"] = m.role;
    }
    if (m.kind == Kind::Fact) {
        j["subject"] = m.subject;
        j["predicate"] = m.predicate;
        j["valid_from"] = format_iso8601(m.time);
        j["valid_to"] = m.valid_to ? ordered_json(format_iso8601(*m.valid_to)) : ordered_json(nullptr);
        j["superseded_by"] = m.superseded_by ? ordered_json(*m.superseded_by) : ordered_json(nullptr);
    }
    if (!m.sources.empty())
        j["sources"] = m.sources;
    j["source_turns"] = m.source_turns;
    return j;
}

ErrorOr<ordered_json> export_json(MemoryStore& store, std::string_view user) {
    const size_t count = OS1_TRY(store.count());
    std::vector<Memory> all = OS1_TRY(store.list(std::nullopt, count));
    ordered_json memories = ordered_json::array();
    for (auto it = all.rbegin(); it != all.rend(); ++it) {
        auto full = OS1_TRY(store.get(it->id));  // with the reflection sources
        memories.push_back(memory_json(full ? *full : *it));
    }
    ordered_json core = ordered_json::object();
    for (const char* name : {"persona", "human"})
        core[name] = OS1_TRY(store.core_block(name));
    return ordered_json{{"user", std::string(user)}, {"memories", std::move(memories)}, {"core", std::move(core)}};
}

}  // namespace os1::memory
