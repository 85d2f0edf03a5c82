// The memory tables: one `memories` table for episodes, facts and reflections (one id space,
// so list/show/edit/forget take any id), provenance links, core blocks, and an external-content
// FTS5 index kept in step by triggers.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <ctime>
#include <set>
#include <unordered_set>

#include "core/backup.h"
#include "core/secure-delete.h"
#include "memory/conversation-store.h"
#include "memory/memory.h"
#include "memory/text-util.h"
#include "memory/vectors.h"

namespace os1::memory {

namespace {

const std::vector<Database::Migration> migrations = {
    {1, R"sql(
        CREATE TABLE memories (
            id            INTEGER PRIMARY KEY,
            kind          TEXT NOT NULL CHECK (kind IN ('episode', 'fact', 'reflection')),
            text          TEXT NOT NULL,
            time          INTEGER NOT NULL,
            importance    INTEGER NOT NULL DEFAULT 500,  -- thousandths, [0, 1000]
            source_id     TEXT UNIQUE,                   -- episodes: the id as imported
            conversation  TEXT,
            speaker       TEXT,
            role          TEXT,
            subject       TEXT,                          -- facts: the slot is (subject, predicate)
            predicate     TEXT,
            valid_to      INTEGER,
            superseded_by INTEGER REFERENCES memories(id) ON DELETE SET NULL
        );
        CREATE INDEX memories_by_kind_time ON memories(kind, time);
        CREATE INDEX memories_by_time ON memories(time);
        CREATE INDEX memories_by_conversation ON memories(conversation, time, id) WHERE kind = 'episode';
        CREATE INDEX memories_by_slot ON memories(subject, predicate) WHERE kind = 'fact';
        CREATE TABLE memory_sources (
            memory_id INTEGER NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
            source    INTEGER NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
            PRIMARY KEY (memory_id, source)
        ) WITHOUT ROWID;
        CREATE INDEX memory_sources_by_source ON memory_sources(source);
        CREATE TABLE core_blocks (
            name TEXT PRIMARY KEY CHECK (name IN ('persona', 'human')),
            text TEXT NOT NULL
        );
        CREATE VIRTUAL TABLE memories_fts USING fts5(
            text, content = 'memories', content_rowid = 'id', tokenize = 'porter unicode61');
        CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
            INSERT INTO memories_fts(rowid, text) VALUES (new.id, new.text);
        END;
        CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
            INSERT INTO memories_fts(memories_fts, rowid, text) VALUES ('delete', old.id, old.text);
        END;
        CREATE TRIGGER memories_fts_update AFTER UPDATE OF text ON memories BEGIN
            INSERT INTO memories_fts(memories_fts, rowid, text) VALUES ('delete', old.id, old.text);
            INSERT INTO memories_fts(rowid, text) VALUES (new.id, new.text);
        END;
    )sql"},
    {2, R"sql(
        -- Reflection: memories with ids up to last_memory_id have been reflected on. An existing
        -- store starts past its history, so an upgrade does not reflect on everything at once.
        CREATE TABLE reflection_marker (
            id             INTEGER PRIMARY KEY CHECK (id = 1),
            last_memory_id INTEGER NOT NULL
        );
        INSERT INTO reflection_marker (id, last_memory_id) SELECT 1, coalesce(max(id), 0) FROM memories;
    )sql"},
    {3, R"sql(
        -- Search lists the distinct speakers of the episodes, to see whom a question names.
        CREATE INDEX memories_by_kind_speaker ON memories(kind, speaker);
    )sql"},
    {4, R"sql(
        -- Imported turns move to their own namespace ("import:" and the id in the file), where no
        -- conversation turn's "turn:<id>" can meet them. Episodes that os1 copied from its own
        -- turns stay; one that only looks like them is sorted out by sync_conversation_turns.
        -- Moved out first (into predicate, which episodes leave empty), then renamed, so that no
        -- intermediate name can clash with another row's.
        UPDATE memories SET predicate = source_id, source_id = NULL
            WHERE kind = 'episode' AND source_id IS NOT NULL
              AND NOT (source_id GLOB 'turn:[0-9]*' AND conversation GLOB 'conversation:[0-9]*');
        UPDATE memories SET source_id = 'import:' || predicate, predicate = NULL
            WHERE kind = 'episode' AND source_id IS NULL AND predicate IS NOT NULL;
    )sql"},
    {5, R"sql(
        -- A large import commits in batches; its turns carry its run until the run's row goes
        -- (the import is then whole), and the turns of a run whose process died are removed.
        CREATE TABLE import_runs (
            id         INTEGER PRIMARY KEY AUTOINCREMENT,
            pid        INTEGER NOT NULL,
            started_at INTEGER NOT NULL
        );
        ALTER TABLE memories ADD COLUMN import_run INTEGER;
        CREATE INDEX memories_by_import_run ON memories(import_run) WHERE import_run IS NOT NULL;
    )sql"},
    {6, R"sql(
        -- A reflection leaves the marker where it is until its insights are stored, so a try that
        -- fails (or whose process stops) loses no importance and is tried again. attempts: the
        -- tries on the memories past the marker that did not succeed, the one running included;
        -- claim: the number of the latest try, so that a try whose time ran out changes nothing
        -- when it ends; claimed_through: the newest memory of the try running (NULL: none);
        -- next_attempt_at: no try starts before this (unix seconds; NULL: at once).
        ALTER TABLE reflection_marker ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE reflection_marker ADD COLUMN claim INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE reflection_marker ADD COLUMN claimed_through INTEGER;
        ALTER TABLE reflection_marker ADD COLUMN next_attempt_at INTEGER;
    )sql"},
    {7, R"sql(
        -- Deleting a memory sets superseded_by to NULL wherever it names it (the foreign key's
        -- ON DELETE SET NULL). Without an index that is a scan of every memory per deleted one:
        -- undoing a killed import of 2,000 turns in a store of 20,000 took 10 s, holding the
        -- write lock all along; with it, 30 ms.
        CREATE INDEX memories_by_superseded ON memories(superseded_by) WHERE superseded_by IS NOT NULL;
    )sql"},
};

constexpr const char* memory_columns =
    "id, kind, text, time, importance, source_id, conversation, speaker, role, subject, predicate, valid_to, "
    "superseded_by";

Memory read_memory(const Statement& q) {
    Memory m;
    m.id = q.column_int(0);
    m.kind = kind_from_string(q.column_text(1));
    m.text = q.column_text(2);
    m.time = q.column_int(3);
    m.importance = double(q.column_int(4)) / 1000.0;
    m.source_id = q.column_text(5);
    m.conversation = q.column_text(6);
    m.speaker = q.column_text(7);
    m.role = q.column_text(8);
    m.subject = q.column_text(9);
    m.predicate = q.column_text(10);
    if (!q.column_is_null(11))
        m.valid_to = q.column_int(11);
    if (!q.column_is_null(12))
        m.superseded_by = q.column_int(12);
    return m;
}

ErrorOr<void> check_core_name(std::string_view name) {
    if (name != "persona" && name != "human")
        return make_error("unknown core block \"" + std::string(name) + "\" (persona or human)");
    return {};
}

}  // namespace

ErrorOr<void> check_text(std::string_view what, std::string_view text) {
    if (!is_valid_utf8(text))
        return make_error(std::string(what) + ": text is not valid UTF-8");
    if (text.size() > max_text_bytes)
        return make_error(std::string(what) + ": text of " + std::to_string(text.size()) +
                          " bytes is over the limit of " + std::to_string(max_text_bytes) + " bytes");
    if (trim(text).empty())
        return make_error(std::string(what) + ": text is empty");
    return {};
}

Kind kind_from_string(std::string_view text) {
    if (text == "fact")
        return Kind::Fact;
    if (text == "reflection")
        return Kind::Reflection;
    return Kind::Episode;
}

const char* to_string(Kind kind) {
    switch (kind) {
        case Kind::Episode:
            return "episode";
        case Kind::Fact:
            return "fact";
        case Kind::Reflection:
            return "reflection";
    }
    return "episode";
}

ErrorOr<MemoryStore> MemoryStore::open(const std::filesystem::path& user_dir, const Environment& env) {
    std::error_code ec;
    std::filesystem::create_directories(user_dir, ec);
    if (ec)
        return make_error(user_dir.string() + ": cannot create the folder: " + ec.message());
    return attach(OS1_TRY(Database::open(user_dir / "os1.db", env)));
}

std::string imported_source_id(std::string_view id_in_file) {
    return std::string(imported_id_prefix).append(id_in_file);
}

ErrorOr<MemoryStore> MemoryStore::attach(Database db) {
    OS1_TRY(db.migrate("memory", migrations));
    OS1_TRY(detail::migrate_vectors(db));
    OS1_TRY(detail::undo_abandoned_imports(db));
    return MemoryStore(std::move(db));
}

ErrorOr<size_t> MemoryStore::sync_conversation_turns() {
    if (!OS1_TRY(has_conversation_tables(m_db)))
        return size_t(0);
    size_t added = 0;
    OS1_TRY(in_transaction(m_db, [&]() -> ErrorOr<void> {
        // An episode that claims a turn's id without being that turn (another conversation, role
        // or time; the text may have been edited) was imported before imported_id_prefix existed:
        // it moves aside (with its memory id added if its import name is taken), and the turn is
        // copied below. No import can make a new one, so this runs once per open store.
        if (!m_impostors_sorted) {
            auto impostors = OS1_TRY(m_db.prepare(
                "UPDATE memories SET source_id = CASE WHEN EXISTS "
                "(SELECT 1 FROM memories x WHERE x.source_id = 'import:' || memories.source_id) "
                "THEN 'import:' || memories.source_id || '#' || memories.id ELSE 'import:' || memories.source_id END "
                "WHERE kind = 'episode' AND source_id GLOB 'turn:[0-9]*' AND EXISTS (SELECT 1 FROM turns t "
                // Found by the turn's primary key: matching on 'turn:' || t.id alone would read
                // every turn for every episode.
                "WHERE t.id = CAST(substr(memories.source_id, 6) AS INTEGER) AND memories.source_id = 'turn:' || t.id "
                "AND (memories.conversation IS NOT 'conversation:' || t.conversation_id OR memories.role IS NOT t.role "
                "OR memories.time IS NOT t.created_at))"));
            OS1_TRY(impostors.run());
        }
        auto copy = OS1_TRY(
            m_db.prepare("INSERT INTO memories (kind, text, time, importance, source_id, conversation, speaker, role) "
                         "SELECT 'episode', t.content, t.created_at, CASE t.role WHEN 'user' THEN 500 ELSE 300 END, "
                         "'turn:' || t.id, 'conversation:' || t.conversation_id, t.role, t.role FROM turns t "
                         "WHERE t.role != 'system' AND length(t.content) <= ? "
                         "AND NOT EXISTS (SELECT 1 FROM memories m WHERE m.source_id = 'turn:' || t.id)"));
        OS1_TRY(copy.bind(1, int64_t(max_text_bytes)).run());
        added = size_t(sqlite3_changes(m_db.handle()));
        return {};
    }));
    m_impostors_sorted = true;  // only once the transaction that sorted them has committed
    OS1_TRY(embed_recent());
    return added;
}

namespace {

ErrorOr<std::vector<int64_t>> resolve_turns(Database& db, const std::vector<std::string>& source_turns) {
    std::vector<int64_t> ids;
    for (const std::string& turn : source_turns) {
        auto find = OS1_TRY(db.prepare("SELECT id FROM memories WHERE source_id = ? AND kind = 'episode'"));
        find.bind(1, turn);
        if (!OS1_TRY(find.step()))
            return make_error("unknown source turn \"" + turn + "\"");
        ids.push_back(find.column_int(0));
    }
    return ids;
}

ErrorOr<void> link_sources(Database& db, int64_t memory_id, const std::vector<int64_t>& sources) {
    for (int64_t source : sources) {
        auto link = OS1_TRY(db.prepare("INSERT OR IGNORE INTO memory_sources (memory_id, source) VALUES (?, ?)"));
        OS1_TRY(link.bind(1, memory_id).bind(2, source).run());
    }
    return {};
}

}  // namespace

// Stores a fact inside the caller's transaction.
ErrorOr<int64_t> detail::add_fact_in(Database& db, const FactInput& fact,
                                     const std::vector<std::string>& source_turns) {
    OS1_TRY(check_text("fact", fact.text));
    if (trim(fact.subject).empty() || trim(fact.predicate).empty())
        return make_error("fact: subject and predicate must not be empty");
    if (!is_valid_utf8(fact.subject) || !is_valid_utf8(fact.predicate))
        return make_error("fact: subject or predicate is not valid UTF-8");
    if (!(fact.importance >= 0.0 && fact.importance <= 1.0))
        return make_error("fact: importance " + std::to_string(fact.importance) + " is outside [0, 1]");
    std::vector<int64_t> sources = OS1_TRY(resolve_turns(db, source_turns));
    const std::string subject = normalize(fact.subject);
    const std::string predicate = normalize(fact.predicate);
    const std::string text_key = normalize(fact.text);

    // A duplicate of a current fact: keep the old one and merge provenance.
    auto current = OS1_TRY(
        db.prepare("SELECT id, text, subject, predicate, time FROM memories WHERE kind = 'fact' AND valid_to IS NULL "
                   "AND ((subject = ? AND predicate = ?) OR text = ?)"));
    current.bind(1, subject).bind(2, predicate).bind(3, fact.text);
    std::vector<std::pair<int64_t, int64_t>> same_slot;  // id, time
    while (OS1_TRY(current.step())) {
        if (normalize(current.column_text(1)) == text_key) {
            int64_t id = current.column_int(0);
            OS1_TRY(link_sources(db, id, sources));
            return id;
        }
        if (current.column_text(2) == subject && current.column_text(3) == predicate)
            same_slot.push_back({current.column_int(0), current.column_int(4)});
    }
    auto insert =
        OS1_TRY(db.prepare("INSERT INTO memories (kind, text, time, importance, subject, predicate) "
                           "VALUES ('fact', ?, ?, ?, ?, ?)"));
    OS1_TRY(insert.bind(1, trim(fact.text))
                .bind(2, fact.valid_from)
                .bind(3, int64_t(std::lround(fact.importance * 1000)))
                .bind(4, subject)
                .bind(5, predicate)
                .run());
    int64_t id = db.last_insert_id();
    OS1_TRY(link_sources(db, id, sources));
    for (auto [old_id, old_time] : same_slot) {
        auto close = OS1_TRY(db.prepare("UPDATE memories SET valid_to = ?, superseded_by = ? WHERE id = ?"));
        OS1_TRY(close.bind(1, std::max(fact.valid_from, old_time)).bind(2, id).bind(3, old_id).run());
    }
    return id;
}

ErrorOr<int64_t> MemoryStore::add_fact(const FactInput& fact, const std::vector<std::string>& source_turns) {
    int64_t id = 0;
    OS1_TRY(in_transaction(m_db, [&]() -> ErrorOr<void> {
        id = OS1_TRY(detail::add_fact_in(m_db, fact, source_turns));
        return {};
    }));
    OS1_TRY(embed_recent());
    return id;
}

ErrorOr<std::vector<Memory>> MemoryStore::read_memories(Statement& query) {
    std::vector<Memory> out;
    while (OS1_TRY(query.step()))
        out.push_back(read_memory(query));
    for (Memory& m : out)
        m.source_turns = OS1_TRY(source_turns_of(m.id));
    return out;
}

ErrorOr<std::vector<Memory>> MemoryStore::current_facts() {
    auto q =
        OS1_TRY(m_db.prepare(std::string("SELECT ") + memory_columns +
                             " FROM memories WHERE kind = 'fact' AND valid_to IS NULL ORDER BY time DESC, id DESC"));
    return read_memories(q);
}

ErrorOr<std::vector<Memory>> MemoryStore::fact_history(std::string_view subject, std::string_view predicate) {
    auto q = OS1_TRY(m_db.prepare(std::string("SELECT ") + memory_columns +
                                  " FROM memories WHERE kind = 'fact' AND subject = ? AND predicate = ? "
                                  "ORDER BY time, id"));
    q.bind(1, normalize(subject)).bind(2, normalize(predicate));
    return read_memories(q);
}

ErrorOr<int64_t> MemoryStore::add_reflection(std::string_view text, double importance,
                                             const std::vector<int64_t>& sources, int64_t now) {
    OS1_TRY(check_text("reflection", text));
    if (!(importance >= 0.0 && importance <= 1.0))
        return make_error("reflection: importance " + std::to_string(importance) + " is outside [0, 1]");
    if (sources.empty())
        return make_error("reflection: it must name the memories it was drawn from");
    int64_t id = 0;
    OS1_TRY(in_transaction(m_db, [&]() -> ErrorOr<void> {
        for (int64_t source : sources) {
            auto exists = OS1_TRY(m_db.prepare("SELECT 1 FROM memories WHERE id = ?"));
            exists.bind(1, source);
            if (!OS1_TRY(exists.step()))
                return make_error("reflection: source memory " + std::to_string(source) + " does not exist");
        }
        auto insert =
            OS1_TRY(m_db.prepare("INSERT INTO memories (kind, text, time, importance) VALUES ('reflection', ?, ?, ?)"));
        OS1_TRY(insert.bind(1, trim(text)).bind(2, now).bind(3, int64_t(std::lround(importance * 1000))).run());
        id = m_db.last_insert_id();
        return link_sources(m_db, id, sources);
    }));
    OS1_TRY(embed_recent());
    return id;
}

ErrorOr<std::string> MemoryStore::core_block(std::string_view name) {
    OS1_TRY(check_core_name(name));
    auto q = OS1_TRY(m_db.prepare("SELECT text FROM core_blocks WHERE name = ?"));
    q.bind(1, name);
    if (!OS1_TRY(q.step()))
        return std::string();
    return q.column_text(0);
}

namespace {

ErrorOr<void> write_core(Database& db, std::string_view name, const std::string& old_text, const std::string& text) {
    if (!is_valid_utf8(text))
        return make_error("core block " + std::string(name) + ": text is not valid UTF-8");
    if (text.size() > core_block_limit)
        return make_error("core block " + std::string(name) + ": " + std::to_string(text.size()) +
                          " bytes would exceed its limit of " + std::to_string(core_block_limit) + " (it holds " +
                          std::to_string(old_text.size()) + "); replace or shorten some of it first");
    auto write =
        OS1_TRY(db.prepare("INSERT INTO core_blocks (name, text) VALUES (?, ?) "
                           "ON CONFLICT (name) DO UPDATE SET text = excluded.text"));
    return write.bind(1, name).bind(2, text).run();
}

}  // namespace

ErrorOr<void> MemoryStore::core_append(std::string_view name, std::string_view text) {
    std::string old_text = OS1_TRY(core_block(name));
    std::string added = trim(text);
    if (added.empty())
        return make_error("core block " + std::string(name) + ": nothing to append");
    std::string updated = old_text.empty() ? added : old_text + "\n" + added;
    return write_core(m_db, name, old_text, updated);
}

ErrorOr<void> MemoryStore::core_replace(std::string_view name, std::string_view old_part, std::string_view new_part) {
    std::string old_text = OS1_TRY(core_block(name));
    if (old_part.empty())
        return make_error("core block " + std::string(name) + ": the text to replace is empty");
    size_t at = old_text.find(old_part);
    if (at == std::string::npos)
        return make_error("core block " + std::string(name) + ": \"" + std::string(old_part) +
                          "\" does not occur in it");
    std::string updated = old_text;
    updated.replace(at, old_part.size(), new_part);
    return write_core(m_db, name, old_text, updated);
}

ErrorOr<void> MemoryStore::core_set(std::string_view name, std::string_view text) {
    std::string old_text = OS1_TRY(core_block(name));
    return write_core(m_db, name, old_text, trim(text));
}

ErrorOr<std::vector<std::string>> MemoryStore::source_turns_of(int64_t id) {
    auto q =
        OS1_TRY(m_db.prepare("WITH RECURSIVE s(id) AS (SELECT ?1 UNION SELECT ms.source FROM memory_sources ms JOIN s "
                             "ON ms.memory_id = s.id) "
                             "SELECT m.source_id FROM s CROSS JOIN memories m ON m.id = s.id WHERE m.kind = 'episode' "
                             "ORDER BY m.time, m.id"));
    q.bind(1, id);
    std::vector<std::string> out;
    while (OS1_TRY(q.step()))
        out.push_back(q.column_text(0));
    return out;
}

ErrorOr<std::optional<Memory>> MemoryStore::get(int64_t id) {
    auto q = OS1_TRY(m_db.prepare(std::string("SELECT ") + memory_columns + " FROM memories WHERE id = ?"));
    q.bind(1, id);
    if (!OS1_TRY(q.step()))
        return std::optional<Memory>();
    Memory m = read_memory(q);
    m.source_turns = OS1_TRY(source_turns_of(id));
    auto sources = OS1_TRY(m_db.prepare("SELECT source FROM memory_sources WHERE memory_id = ? ORDER BY source"));
    sources.bind(1, id);
    while (OS1_TRY(sources.step()))
        m.sources.push_back(sources.column_int(0));
    return std::optional<Memory>(std::move(m));
}

ErrorOr<std::map<int64_t, std::string>> MemoryStore::texts(const std::vector<int64_t>& ids) {
    std::map<int64_t, std::string> found;
    if (ids.empty())
        return found;
    std::string list = "[";
    for (int64_t id : ids)
        list += (list.size() > 1 ? "," : "") + std::to_string(id);
    list += "]";
    auto q = OS1_TRY(m_db.prepare("SELECT id, text FROM memories WHERE id IN (SELECT value FROM json_each(?))"));
    q.bind(1, list);
    while (OS1_TRY(q.step()))
        found.emplace(q.column_int(0), q.column_text(1));
    return found;
}

ErrorOr<std::vector<Memory>> MemoryStore::list(std::optional<Kind> kind, size_t limit) {
    std::string sql = std::string("SELECT ") + memory_columns + " FROM memories";
    if (kind)
        sql += " WHERE kind = ?2";
    sql += " ORDER BY time DESC, id DESC LIMIT ?1";
    auto q = OS1_TRY(m_db.prepare(sql));
    q.bind(1, int64_t(limit));
    if (kind)
        q.bind(2, to_string(*kind));
    return read_memories(q);
}

ErrorOr<size_t> MemoryStore::count() {
    auto q = OS1_TRY(m_db.prepare("SELECT count(*) FROM memories"));
    OS1_TRY(q.step());
    return size_t(q.column_int(0));
}

ErrorOr<bool> MemoryStore::edit(int64_t id, std::string_view text) {
    OS1_TRY(check_text("memory " + std::to_string(id), text));
    auto q = OS1_TRY(m_db.prepare("UPDATE memories SET text = ? WHERE id = ?"));
    OS1_TRY(q.bind(1, trim(text)).bind(2, id).run());
    const bool edited = sqlite3_changes(m_db.handle()) > 0;
    if (edited)
        OS1_TRY(embed_new({id}));  // a trigger dropped the vectors of the old text
    return edited;
}

namespace {

// Grows `ids` (memories to forget) by every memory whose sources are all among them: the facts
// and reflections drawn only from what is forgotten, and what was drawn only from those.
ErrorOr<void> add_derived(Database& db, std::vector<int64_t>& ids) {
    std::set<int64_t> gone(ids.begin(), ids.end());
    for (size_t next = 0; next < ids.size(); ++next) {
        auto users = OS1_TRY(db.prepare("SELECT memory_id FROM memory_sources WHERE source = ? ORDER BY memory_id"));
        users.bind(1, ids[next]);
        std::vector<int64_t> candidates;
        while (OS1_TRY(users.step()))
            if (!gone.contains(users.column_int(0)))
                candidates.push_back(users.column_int(0));
        for (int64_t candidate : candidates) {
            auto sources = OS1_TRY(db.prepare("SELECT source FROM memory_sources WHERE memory_id = ?"));
            sources.bind(1, candidate);
            bool all_gone = true;
            while (OS1_TRY(sources.step()))
                all_gone = all_gone && gone.contains(sources.column_int(0));
            if (all_gone && gone.insert(candidate).second)
                ids.push_back(candidate);
        }
    }
    return {};
}

ErrorOr<ForgottenMemory> read_forgotten(Database& db, int64_t id) {
    auto q = OS1_TRY(db.prepare("SELECT kind, text, time FROM memories WHERE id = ?"));
    q.bind(1, id);
    if (!OS1_TRY(q.step()))
        return make_error(ErrorKind::Internal, "memory " + std::to_string(id) + " vanished while being forgotten");
    return ForgottenMemory{id, kind_from_string(q.column_text(0)), q.column_text(1), q.column_int(2)};
}

// The conversation turns that `ids` were copied from.
ErrorOr<std::vector<int64_t>> source_turn_ids(Database& db, const std::vector<int64_t>& ids) {
    std::vector<int64_t> turns;
    if (!OS1_TRY(has_conversation_tables(db)))
        return turns;
    for (int64_t id : ids) {
        // Keyed exactly as sync_conversation_turns keys it: a turn "turn:<id>" without its memory
        // would be copied back.
        auto q = OS1_TRY(
            db.prepare("SELECT t.id FROM memories m JOIN turns t ON t.id = CAST(substr(m.source_id, 6) AS INTEGER) "
                       "AND m.source_id = 'turn:' || t.id WHERE m.id = ? AND m.kind = 'episode'"));
        q.bind(1, id);
        while (OS1_TRY(q.step()))
            turns.push_back(q.column_int(0));
    }
    return turns;
}

// Merges every segment of the full-text index into one. A delete only adds a tombstone; the
// words of the forgotten text stay in older segments until they are merged.
ErrorOr<void> merge_text_index(Database& db) {
    return db.exec("INSERT INTO memories_fts(memories_fts) VALUES ('optimize')");
}

}  // namespace

ErrorOr<std::optional<ForgetReport>> MemoryStore::forget(int64_t id) {
    OS1_TRY(overwrite_deleted_content(m_db));
    const std::filesystem::path user_dir = m_db.path().parent_path();
    std::optional<ForgetReport> report;
    OS1_TRY(in_transaction(m_db, [&]() -> ErrorOr<void> {
        auto exists = OS1_TRY(m_db.prepare("SELECT 1 FROM memories WHERE id = ?"));
        exists.bind(1, id);
        if (!OS1_TRY(exists.step()))
            return {};
        ForgetReport r;
        std::vector<int64_t> ids{id};
        OS1_TRY(add_derived(m_db, ids));
        for (int64_t forgotten : ids)
            r.memories.push_back(OS1_TRY(read_forgotten(m_db, forgotten)));
        const DeletedTurns turns = OS1_TRY(delete_turns(m_db, OS1_TRY(source_turn_ids(m_db, ids))));
        r.conversations = turns.conversations;
        r.turns_deleted = turns.turns;
        for (int64_t forgotten : ids) {
            // Its FTS entries (trigger), provenance links and vectors (cascades) go with it.
            auto remove = OS1_TRY(m_db.prepare("DELETE FROM memories WHERE id = ?"));
            OS1_TRY(remove.bind(1, forgotten).run());
        }
        OS1_TRY(merge_text_index(m_db));
        // Files go before the commit: should one refuse to go, nothing is forgotten and the user
        // can try again, rather than hold a report that promises what is not true.
        r.caches_deleted = OS1_TRY(delete_conversation_caches(user_dir, r.conversations));
        r.backups_deleted = OS1_TRY(delete_backups(m_db.path()));
        report = std::move(r);
        return {};
    }));
    if (report) {
        m_vectors.reset();  // reload the index without the forgotten vectors
        (void)OS1_TRY(checkpoint_and_truncate_wal(m_db));
    }
    return report;
}

ErrorOr<ForgetReport> MemoryStore::forget_all() {
    OS1_TRY(overwrite_deleted_content(m_db));
    ForgetReport report;
    OS1_TRY(in_transaction(m_db, [&]() -> ErrorOr<void> {
        auto all = OS1_TRY(m_db.prepare("SELECT id, kind, text, time FROM memories ORDER BY id"));
        while (OS1_TRY(all.step()))
            report.memories.push_back(
                {all.column_int(0), kind_from_string(all.column_text(1)), all.column_text(2), all.column_int(3)});
        const DeletedTurns turns = OS1_TRY(delete_all_conversations(m_db));
        report.conversations = turns.conversations;
        report.turns_deleted = turns.turns;
        OS1_TRY(
            m_db.exec("DELETE FROM memory_sources; DELETE FROM core_blocks WHERE name = 'human'; DELETE FROM memories; "
                      "INSERT INTO memories_fts(memories_fts) VALUES ('delete-all'); "
                      "UPDATE reflection_marker SET last_memory_id = 0, attempts = 0, claim = claim + 1, "
                      "claimed_through = NULL, next_attempt_at = NULL;"));
        report.caches_deleted = OS1_TRY(delete_all_conversation_caches(m_db.path().parent_path()));
        return {};
    }));
    m_vectors.reset();  // the vectors went with the memories (ON DELETE CASCADE)
    OS1_TRY(m_db.exec("VACUUM"));
    if (!OS1_TRY(checkpoint_and_truncate_wal(m_db)))
        return make_error(ErrorKind::Conflict, m_db.path().string() +
                                                   ": the WAL checkpoint was blocked by another connection; "
                                                   "close other os1 processes and run forget --all again");
    report.backups_deleted = OS1_TRY(delete_backups(m_db.path()));
    return report;
}

}  // namespace os1::memory
