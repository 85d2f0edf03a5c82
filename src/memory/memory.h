// Long-term memory of one user, kept in the user's os1.db beside the conversation store:
// episodes (turns, imported or copied from conversations), facts with a validity interval
// (a new fact in the same subject+predicate slot closes the old one), reflections linked to
// the memories they summarise, and the two size-limited core blocks "persona" and "human".
// Every derived memory records the episodes it came from (provenance). Recall is hybrid:
// BM25 over an FTS5 index with stemming, recency, importance, time expressions ("last week",
// "in May") and neighbouring turns, packed into a token budget. With an embedder attached,
// memories also get dense vectors, and recall fuses cosine similarity with BM25.
//
// Not thread-safe: one MemoryStore per thread (open one per thread or process; SQLite's busy
// timeout serialises writers).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/database.h"
#include "core/environment.h"
#include "core/error.h"
#include "core/local-day.h"
#include "core/utf8.h"

namespace os1::llm {
class Backend;
class Embedder;
}  // namespace os1::llm

namespace os1::memory {

namespace detail {
class VectorIndex;
}

// Texts longer than this are refused with an error rather than stored.
inline constexpr size_t max_text_bytes = 32 * 1024;
// Size limit of each core block ("persona", "human"), in bytes.
inline constexpr size_t core_block_limit = 2000;

enum class Kind { Episode, Fact, Reflection };
const char* to_string(Kind kind);

// One turn as it comes from an import or a conversation.
struct EpisodeInput {
    std::string source_id;     // the id as imported ("t42"); unique per user
    std::string conversation;  // conversation name or id as imported
    std::string speaker;       // display name; may equal the role
    std::string role;          // "user", "assistant" or "system"
    int64_t time = 0;          // unix seconds
    std::string text;
};

struct FactInput {
    std::string subject;      // "user", or a person or thing in the user's world
    std::string predicate;    // "lives_in", "likes", ...: the slot with the subject
    std::string text;         // the fact as a sentence
    double importance = 0.5;  // [0, 1]
    int64_t valid_from = 0;   // unix seconds
};

struct Memory {
    int64_t id = 0;
    Kind kind = Kind::Episode;
    std::string text;
    int64_t time = 0;  // episodes: when said; facts: valid_from; reflections: created
    double importance = 0.5;
    // Episodes.
    std::string source_id, conversation, speaker, role;
    // Facts.
    std::string subject, predicate;
    std::optional<int64_t> valid_to;  // set when superseded
    std::optional<int64_t> superseded_by;
    // Provenance: source ids of the episodes this memory came from (an episode: itself).
    std::vector<std::string> source_turns;
    // Reflections: the memory ids they were drawn from.
    std::vector<int64_t> sources;
};

struct SearchOptions {
    int k = 10;
    int64_t now = 0;          // unix seconds: the caller's now, for recency and time expressions
    size_t token_budget = 0;  // 0: no limit; else hits are packed until ~4 bytes/token is spent
    int neighbours = 1;       // turns of context on each side of an episode hit
    double recency_half_life_days = 90;
    UtcOffset zone = system_utc_offset;  // the user's zone: "yesterday" and "in May" are their local days
};

struct Hit {
    int64_t id = 0;
    Kind kind = Kind::Episode;
    std::string text;
    double score = 0;
    int64_t time = 0;
    std::vector<std::string> source_turns;
    std::vector<std::string> context;  // neighbouring turns, "speaker: text", in order
};

// A time range [begin, end) in unix seconds, as parsed from the query.
struct TimeRange {
    int64_t begin = 0;
    int64_t end = 0;
};

// Finds "today", "yesterday", "the day before yesterday", "last week|month|year", "this
// week|month|year", "N days|weeks|months ago", "in May" (the latest May not after `now`) and
// "on 2024-05-03" in `query`, relative to `now`. Days, weeks (from Monday), months and years
// are the user's local ones in `zone`, as the journal's are. Removes the expression from
// `query` when one is found.
std::optional<TimeRange> parse_time_expression(std::string& query, int64_t now, const UtcOffset& zone);

// A calendar date that `query` names ("24.01.2024", "5 January 2024", "the 5th of January,
// 2024", "January 5th, 2024"; without a year, the latest such date not after `now` in `zone`),
// as days since 1970-01-01 of that date, or nullopt. Removes the date from `query`. Search
// favours memories of the days around it rather than filtering by it: people and their messages
// are often a day or two off.
std::optional<int64_t> parse_named_date(std::string& query, int64_t now, const UtcOffset& zone);

// How far back day_told_of reaches: further back, an account is dated when it was told.
inline constexpr int64_t max_days_told_back = 7;

// The one recent day that `text`, said at `said_at` (unix seconds), is about: every time
// expression in it ("today", "yesterday", "the day before yesterday", "3 days ago", "on
// 2026-03-08", "8 March") names the same local day in `zone`, the user's, from the day it was
// said back to max_days_told_back days before. As days since 1970-01-01 of that date, or nullopt.
// Fact extraction dates what the user tells of by it ("yesterday I went to the dentist").
std::optional<int64_t> day_told_of(std::string_view text, int64_t said_at, const UtcOffset& zone);

// The instants ISO 8601 text can name, years 0000 to 9999: what parse_iso8601 accepts and
// format_iso8601 writes back. A time from elsewhere (a number in an export, a turn to store)
// outside them is refused.
inline constexpr int64_t earliest_time = -62167219200;  // 0000-01-01T00:00:00Z
inline constexpr int64_t latest_time = 253402300799;    // 9999-12-31T23:59:59Z

// "2024-05-03", "2024-05-03T10:00:00Z", "2024-05-03 10:00:00+02:00", with optional fractions.
ErrorOr<int64_t> parse_iso8601(std::string_view text);
std::string format_iso8601(int64_t unix_seconds);


struct ExtractionResult {
    std::vector<int64_t> stored;        // ids of the facts stored, or of the duplicates they matched
    std::vector<std::string> rejected;  // one reason per rejected item: "fact 2: importance 1.5 is outside [0, 1]"
    std::vector<std::string> core_edits;  // core block edits applied: "human: append \"...\""
};

// Reflection (as in Generative Agents): once the summed importance of the episodes and facts
// stored since the last reflection reaches a threshold, the model draws insights from them.
// The default, 15, is the paper's 150 on its 1-10 importance scale; an exchange of two turns
// adds 0.8, so a reflection comes about every 15-20 exchanges.
inline constexpr double default_reflection_threshold = 15.0;
// Reflections longer than this are refused.
inline constexpr size_t max_reflection_bytes = 600;

// The most that --reflection-threshold and its kin accept: about a thousand exchanges.
inline constexpr double max_reflection_threshold = 1000.0;

// A reflection that fails (the model's call fails, its answer is not the JSON asked for, or the
// process stops before it ends) keeps the importance it was due on, and a later turn tries again:
// first after first_retry_delay_seconds, then after four times as long as the wait before, on
// the injected clock. After max_attempts tries on the same memories they are given up (reflection
// starts afresh from the memories stored after them), so a model that keeps failing costs a few
// calls, never one on every turn.
struct ReflectionOptions {
    double threshold = default_reflection_threshold;
    size_t max_memories = 30;  // the newest memories since the last reflection that the model sees
    int max_attempts = 4;
    int64_t first_retry_delay_seconds = 10 * 60;
    // A try not ended by then is taken to have stopped with its process, and counts as failed.
    int64_t attempt_timeout_seconds = 60 * 60;
};

// One try at a reflection, as claim_reflection hands it out.
struct ReflectionClaim {
    std::vector<Memory> memories;  // the newest since the last reflection, oldest first
    int64_t claim = 0;             // which try this is, among every try on this store
    int64_t through = 0;           // the newest memory id it covers: the marker moves here on success
    int attempt = 1;               // 1 for the first try on these memories, 2 for the first retry, ...
};

// What a failed try leaves for the next.
struct ReflectionRetry {
    int attempt = 0;                  // the tries on these memories so far
    std::optional<int64_t> retry_at;  // no try starts before this (unix seconds); nullopt: given up
};

struct ReflectionResult {
    bool ran = false;                   // false: not due (below the threshold, or waiting to retry)
    std::vector<int64_t> shown;         // the memory ids shown to the model
    std::vector<int64_t> stored;        // ids of the reflections stored
    std::vector<std::string> rejected;  // "insight 2: source 99 was not among the memories shown"
    int attempt = 0;                    // when it ran: 1 for the first try on these memories
    // Set when the model's answer was unusable: nothing was stored, and it says when the next
    // try may start.
    std::optional<ReflectionRetry> failed;
};

// A memory that forgetting removed, with what the caller needs to forget it elsewhere: the
// journal may quote its text, and its time says which local day it belongs to.
struct ForgottenMemory {
    int64_t id = 0;
    Kind kind = Kind::Episode;
    std::string text;
    int64_t time = 0;  // unix seconds, as in Memory
};

struct ForgetReport {
    // The memory asked for first (forget_all: every memory), then those drawn only from
    // forgotten ones.
    std::vector<ForgottenMemory> memories;
    std::vector<int64_t> conversations;  // whose turns were deleted, ascending
    size_t turns_deleted = 0;
    size_t caches_deleted = 0;   // saved KV caches of those conversations
    size_t backups_deleted = 0;  // database backups, which held what was forgotten
};

// Turns from an import file are stored under "import:" and their id in the file, so that no
// file can claim "turn:<id>", the id of a conversation turn that os1 itself keeps.
inline constexpr std::string_view imported_id_prefix = "import:";
std::string imported_source_id(std::string_view id_in_file);

struct ImportReport {
    std::vector<int64_t> added;  // memory ids of the turns stored now, in order
    size_t already_present = 0;  // turns skipped because the same turn was stored before
};

enum class ImportFormat { Os1Jsonl, SillyTavern, ChatGpt };
// "os1-jsonl", "sillytavern" or "chatgpt".
ErrorOr<ImportFormat> parse_import_format(std::string_view name);

// Reads a whole export into turns, checking every one (UTF-8, size, fields, time). The first
// problem is an error naming the file and line ("chat.jsonl:7: ...") or conversation, so that
// a caller can import all or nothing.
//   os1-jsonl: one {"id","conversation","speaker","role","time" (ISO 8601),"text"} per line.
//   sillytavern: a chat .jsonl (a metadata line, then {"name","is_user","send_date","mes"}).
//   chatgpt: conversations.json from a ChatGPT data export.
ErrorOr<std::vector<EpisodeInput>> read_import_file(const std::filesystem::path& file, ImportFormat format);
// The same for an export already read: `file` names it in errors (and, for SillyTavern, gives the
// conversation its name).
ErrorOr<std::vector<EpisodeInput>> parse_import(const std::string& data, const std::filesystem::path& file,
                                                ImportFormat format);

class MemoryStore {
public:
    // Opens <user_dir>/os1.db, creating and migrating the memory tables as needed (see
    // Database::open for what `env` is used for).
    static ErrorOr<MemoryStore> open(const std::filesystem::path& user_dir, const Environment& env = {});
    // Uses an open database (for example the conversation store's).
    static ErrorOr<MemoryStore> attach(Database db);

    // Stores turns in one transaction: all or nothing. Fails on non-UTF-8 or oversized text and
    // on a source id already stored. Returns the new memory ids in order.
    ErrorOr<std::vector<int64_t>> import_episodes(const std::vector<EpisodeInput>& episodes);
    // Re-import of a file's turns, their source ids as in the file: stores them under
    // imported_source_id(id), and counts those already stored with the same conversation, role
    // and text, so importing a file twice is a no-op. An id stored (or repeated in `episodes`)
    // with different content is an error naming it, and nothing is written. All or nothing,
    // like import_episodes.
    ErrorOr<ImportReport> import_new_episodes(const std::vector<EpisodeInput>& episodes);
    // Copies turns of the conversation store not yet copied (source id "turn:<id>"); returns
    // how many were added. A database without a conversation store adds nothing. Forgetting
    // deletes the turn with its memory, so a forgotten turn is never copied back. An episode
    // that holds "turn:<id>" but not that turn's conversation and text (an import from before
    // imported_id_prefix) moves to the import namespace first.
    ErrorOr<size_t> sync_conversation_turns();

    // Stores a fact with its source episodes (source ids). A fact equal to a current one is a
    // duplicate: its provenance is merged and the existing id returned. A different fact in the
    // same subject+predicate slot closes the current one (valid_to = the new valid_from).
    ErrorOr<int64_t> add_fact(const FactInput& fact, const std::vector<std::string>& source_turns);
    // Current facts (valid_to unset), newest first.
    ErrorOr<std::vector<Memory>> current_facts();
    // Every fact that held the slot, oldest first.
    ErrorOr<std::vector<Memory>> fact_history(std::string_view subject, std::string_view predicate);

    // Stores a reflection drawn from `sources` (memory ids); its provenance is the union of
    // theirs.
    ErrorOr<int64_t> add_reflection(std::string_view text, double importance, const std::vector<int64_t>& sources,
                                    int64_t now);

    // Core blocks "persona" and "human": empty until written. Writes past core_block_limit fail
    // and change nothing.
    ErrorOr<std::string> core_block(std::string_view name);
    ErrorOr<void> core_append(std::string_view name, std::string_view text);
    // Replaces the first occurrence of `old_text` (which must occur) with `new_text`.
    ErrorOr<void> core_replace(std::string_view name, std::string_view old_text, std::string_view new_text);

    // Core blocks as the user edits them (os1 memory core set): replaces the whole block.
    ErrorOr<void> core_set(std::string_view name, std::string_view text);

    // Summed importance of the episodes and facts stored since the last reflection (the marker
    // is kept in the database, so it survives restarts). A failed reflection does not reset it.
    ErrorOr<double> importance_since_reflection();
    // Starts a try when that sum has reached options.threshold, no try is running and no retry
    // is waiting for its time (`now`, unix seconds): returns the newest memories since the
    // marker (at most options.max_memories, oldest first) to reflect on, and records the try,
    // all in one transaction, so exactly one caller (thread or process) wins. Else nullopt. The
    // marker stays until complete_reflection. A try left running past
    // options.attempt_timeout_seconds counts as failed: the next claim retries it, or gives its
    // memories up after options.max_attempts.
    ErrorOr<std::optional<ReflectionClaim>> claim_reflection(const ReflectionOptions& options, int64_t now);
    // The try's insights are stored: moves the marker past the memories it covered, and resets
    // the count of tries.
    ErrorOr<void> complete_reflection(const ReflectionClaim& claim);
    // The try failed: the importance stays, and the next try waits (see ReflectionOptions); after
    // options.max_attempts tries the marker moves past the try's memories instead. A try that is
    // no longer the latest (its time ran out and another began) changes nothing.
    ErrorOr<ReflectionRetry> fail_reflection(const ReflectionClaim& claim, const ReflectionOptions& options,
                                             int64_t now);
    // Validates model output (the JSON that reflection_grammar describes) and stores the valid
    // insights as reflections: sources must be non-empty and among `shown`, the text valid
    // UTF-8 within max_reflection_bytes, importance in [0, 1], not an instruction, not copied
    // from `system_prompt`, and not a repeat of a stored reflection. Malformed JSON is an error.
    ErrorOr<ReflectionResult> store_reflections(std::string_view json, const std::vector<int64_t>& shown,
                                                std::string_view system_prompt, int64_t now);

    ErrorOr<std::vector<Hit>> search(std::string_view query, const SearchOptions& options);

    // Dense vectors (embedding.cpp). With an embedder attached, memories stored from then on
    // (by any connection) get vectors: this store's writes embed right after their commit (an
    // embedding failure never loses the memory; the call reports it), and search first embeds
    // what other connections added. Older memories need embed_missing(). Search fuses cosine
    // similarity with BM25. Vectors are stored per model fingerprint: another model's vectors
    // are never compared with this one's. The embedder may be shared between stores (it is
    // thread-safe). nullptr detaches it.
    ErrorOr<void> set_embedder(std::shared_ptr<llm::Embedder> embedder);
    // Memories without a vector from the attached model (0 when none is attached).
    ErrorOr<size_t> count_missing_vectors();
    // Backfill: embeds every memory without a vector from the attached model, in transactions
    // of a few dozen, calling `progress(done, total)`; returns how many were embedded.
    ErrorOr<size_t> embed_missing(const std::function<void(size_t done, size_t total)>& progress = {});

    ErrorOr<std::optional<Memory>> get(int64_t id);
    // The current text of each of `ids` that is still stored, by id.
    ErrorOr<std::map<int64_t, std::string>> texts(const std::vector<int64_t>& ids);
    // Memories of one kind (all kinds when nullopt), newest first, at most `limit`.
    ErrorOr<std::vector<Memory>> list(std::optional<Kind> kind, size_t limit);
    ErrorOr<size_t> count();
    // Changes a memory's text; false when there is no such memory.
    ErrorOr<bool> edit(int64_t id, std::string_view text);
    // Forgets memory `id`; nullopt when there is no such memory. Forgetting means gone from
    // everything os1 keeps on disk, for good:
    //  - the memory, its full-text index entries (the index is merged, so no old segment keeps
    //    its words) and its dense vectors;
    //  - the conversation turn it was copied from ("turn:<id>"), deleted from the conversation
    //    store, so that no later sync_conversation_turns can copy it back, and the saved KV
    //    caches of that conversation (conversation_cache_file);
    //  - the facts and reflections drawn only from forgotten memories, to a fixed point (a
    //    reflection on such a fact goes too); those with a surviving source stay and lose the link;
    //  - every backup of the database, since they hold it (the daily backup takes a fresh one,
    //    at the first open of the next process or of the next day).
    // Deleted content is overwritten (secure_delete) and the WAL checkpointed into the database
    // file and truncated; while another connection holds a read open, that happens at its next
    // checkpoint. The journal belongs to the affect module: the caller passes the report's
    // memories to affect::redact_journal. A running process must also drop report.conversations
    // from its inference engine and reload their turns.
    ErrorOr<std::optional<ForgetReport>> forget(int64_t id);
    // Forgets everything the user said or os1 learned about them: every memory, conversation,
    // turn and saved KV cache, and the human core block; the persona block (the companion's own
    // identity) stays. Then VACUUM and a WAL checkpoint leave no trace in the database file or
    // its -wal, and the backups are deleted. A checkpoint blocked by another connection is an
    // error (everything is already deleted; running it again finishes the job). The caller
    // erases the journal first (affect::erase_journal), so that the VACUUM wipes it too.
    ErrorOr<ForgetReport> forget_all();

    // Validates model output (the JSON that fact_grammar describes) and stores the valid
    // facts with `source_turns` as provenance (an item's own "turns" must be among them).
    // `system_prompt` is the text the model was shown as instructions and persona: facts
    // copied from it are rejected. Malformed JSON is an error; invalid items are reported in
    // the result and skipped. A fact is dated `now`, unless its text or else its user turns tell
    // of one recent day (day_told_of, read in the user's `zone` from when each was said): then
    // at local noon of that day.
    ErrorOr<ExtractionResult> store_extracted_facts(std::string_view json, const std::vector<std::string>& source_turns,
                                                    std::string_view system_prompt, int64_t now, const UtcOffset& zone);

    Database& database() { return m_db; }

private:
    explicit MemoryStore(Database db) : m_db(std::move(db)) {}
    ErrorOr<std::vector<std::string>> source_turns_of(int64_t id);
    // Every row of `query` (selecting memory_columns) with its provenance.
    ErrorOr<std::vector<Memory>> read_memories(Statement& query);
    // Embeds those of `ids` that have no vector yet; a no-op without an embedder.
    ErrorOr<void> embed_new(const std::vector<int64_t>& ids);
    // Embeds the memories stored since the embedder was attached that still lack a vector.
    ErrorOr<void> embed_recent();
    // The memories most similar to `query` (id, cosine), best first, within `range`.
    ErrorOr<std::vector<std::pair<int64_t, float>>> nearest_by_vector(std::string_view query, size_t limit,
                                                                      std::optional<TimeRange> range);
    Database m_db;
    std::shared_ptr<llm::Embedder> m_embedder;
    std::shared_ptr<detail::VectorIndex> m_vectors;  // the attached model's vectors, loaded on first search
    bool m_impostors_sorted = false;  // sync_conversation_turns has sorted out old imports' ids
    int64_t m_embedded_through = 0;  // memories up to this id are embedded or left to embed_missing()
};

// GBNF grammar (root rule "root") for fact extraction output, with optional edits of the core
// blocks (the companion's memory tools, as in Letta):
// {"facts":[{"subject":"user","predicate":"lives_in","text":"...","importance":0.8,"turns":["t1"]}],
//  "core":[{"block":"human","op":"append","text":"...","turns":["t1"]},
//          {"block":"persona","op":"replace","old":"...","new":"...","turns":[]}]}
// An edit of the human block must cite user turns that say what it writes; edits that are
// guesses, instructions, about the assistant, copied from the system prompt, over the block's
// limit, or replace text that does not occur are rejected.
extern const char* const fact_grammar;

// GBNF grammar for reflection output:
// {"insights":[{"text":"...","importance":0.7,"sources":[12,15]}]}
extern const char* const reflection_grammar;

// When a reflection is due (claim_reflection): asks `backend` (greedy, under reflection_grammar)
// for insights with the memory ids they come from, and stores the valid ones. Output that is not
// complete JSON is reported in `rejected` and `failed`, not as an error; a failing backend is an
// error that says when the next try may start. Either way the importance stays for that retry.
ErrorOr<ReflectionResult> reflect_if_due(llm::Backend& backend, MemoryStore& store, std::string_view system_prompt,
                                         int64_t now, const ReflectionOptions& options = {});

// Builds the extraction prompt for `turns`, asks `backend` for JSON under fact_grammar
// (greedy), and stores the valid facts with the turns as provenance. Turns not yet in memory are
// stored first, except conversation turns forgotten since the caller read them (no longer in the
// conversation store): those are left out, never stored again. `zone` is the user's: the prompt
// gives the model their date, and facts of an earlier day are dated in it (see
// MemoryStore::store_extracted_facts).
ErrorOr<ExtractionResult> extract_facts(llm::Backend& backend, MemoryStore& store,
                                        const std::vector<EpisodeInput>& turns, std::string_view system_prompt,
                                        int64_t now, const UtcOffset& zone);

}  // namespace os1::memory
