// `os1 memory`: the user's long-term memory from the command line: import conversation
// exports, search, list, show, edit, forget (one or all, securely), export as JSON, and embed
// (dense vectors for memories stored before an embedding model was configured).
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "affect/companion-state.h"
#include "cli/commands.h"
#include "cli/id-argument.h"
#include "cli/json-error.h"
#include "cli/model-setup.h"
#include "cli/progress-bar.h"
#include "cli/terminal-environment.h"
#include "cli/terminal-text.h"
#include "cli/user-dir.h"
#include "core/paths.h"
#include "llm/embedder.h"
#include "memory/memory-json.h"
#include "memory/memory.h"
#include "llm/llm.h"
#include "memory/query-rewrite.h"

namespace os1::cli {

namespace {

using nlohmann::ordered_json;
namespace mem = os1::memory;

struct MemoryArgs {
    std::string user = "default";
    bool json = false;
    std::string file;
    std::string format = "os1-jsonl";
    std::string query;
    int k = 10;
    std::string at;
    size_t budget = 0;
    int64_t id = 0;
    std::string text;
    bool all = false;
    std::string kind;
    size_t limit = 50;
    std::string embedding_model;
    bool rewrite = false;
    BackendOptions backend;
};

// Prints the error (also as JSON with --json) and returns the exit status: 1, or 2 for a usage
// error (an option's value that the command line parser could not judge).
int fail(const char* command, const MemoryArgs& args, const std::string& message, int status = 1) {
    std::fprintf(stderr, "os1 memory %s: %s\n", command, terminal_text(message).c_str());
    if (args.json)
        print_json_error(message);
    return status;
}

ErrorOr<mem::MemoryStore> open_store(const GlobalOptions& global, const std::string& user) {
    return mem::MemoryStore::open(OS1_TRY(user_dir_for(global, user)), terminal_environment());
}

// The store with --embedding-model's embedder attached, when one is given.
ErrorOr<mem::MemoryStore> open_store_with_vectors(const GlobalOptions& global, const MemoryArgs& args) {
    auto store = OS1_TRY(open_store(global, args.user));
    if (args.embedding_model.empty())
        return store;
    std::shared_ptr<llm::Embedder> embedder = OS1_TRY(open_embedding_model(args.embedding_model, global.verbose));
    OS1_TRY(store.set_embedder(std::move(embedder)));
    return store;
}

double rounded(double x) {
    return std::round(x * 10000.0) / 10000.0;
}

void print_memory_line(const mem::Memory& m) {
    std::string extra;
    if (m.kind == mem::Kind::Fact && m.valid_to)
        extra = "  (until " + mem::format_iso8601(*m.valid_to) + ")";
    std::printf("%6lld  %-10s %s  %s%s\n", static_cast<long long>(m.id), mem::to_string(m.kind),
                mem::format_iso8601(m.time).c_str(), terminal_text(m.text).c_str(), extra.c_str());
}

int run_import(const GlobalOptions& global, const MemoryArgs& args) {
    auto format = mem::parse_import_format(args.format);
    if (format.is_error())
        return fail("import", args, format.error().message, 2);
    auto turns = mem::read_import_file(args.file, format.value());
    if (turns.is_error())
        return fail("import", args, turns.error().message + "; nothing was imported");
    auto store = open_store_with_vectors(global, args);
    if (store.is_error())
        return fail("import", args, store.error().message);
    auto report = store->import_new_episodes(turns.value());
    if (report.is_error())
        return fail("import", args, args.file + ": " + report.error().message);
    if (args.json)
        std::printf("%s\n", ordered_json({{"imported", report->added.size()},
                                          {"already_present", report->already_present},
                                          {"file", args.file}})
                                .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)  // a file name's bytes
                                .c_str());
    else
        std::printf("imported %zu new turns from %s, %zu already present\n", report->added.size(),
                    terminal_text(args.file).c_str(), report->already_present);
    return 0;
}

int run_search(const GlobalOptions& global, const MemoryArgs& args) {
    const Environment env = terminal_environment();
    mem::SearchOptions options;
    options.k = args.k;
    options.token_budget = args.budget;
    options.now = env.now_seconds();
    options.zone = env.zone;
    if (!args.at.empty()) {
        auto at = mem::parse_iso8601(args.at);
        if (at.is_error())
            return fail("search", args, "--at: " + at.error().message, 2);
        options.now = at.value();
    }
    auto store = open_store_with_vectors(global, args);
    if (store.is_error())
        return fail("search", args, store.error().message);
    if (auto missing = store->count_missing_vectors(); missing && missing.value() > 0 && !args.json)
        std::fprintf(stderr,
                     "os1 memory search: %zu memories have no vector from this model and are found by words only; "
                     "run os1 memory embed --embedding-model %s\n",
                     missing.value(), args.embedding_model.c_str());
    if (auto synced = store->sync_conversation_turns(); synced.is_error())
        return fail("search", args, synced.error().message);
    std::vector<std::string> rewrites;
    auto hits = [&]() -> ErrorOr<std::vector<mem::Hit>> {
        if (!args.rewrite)
            return store->search(args.query, options);
        llm::set_llama_logging(llama_log_sink(global.verbose));
        auto backend = OS1_TRY(open_backend(args.backend, resolve_data_home(global.home), Interaction::Script));
        mem::RewrittenSearch rewritten = OS1_TRY(mem::search_with_rewrites(*backend, store.value(), args.query, options));
        if (rewritten.problem)
            std::fprintf(stderr, "os1 memory search: %s; searched the query as it was\n",
                         terminal_text(*rewritten.problem).c_str());
        rewrites = std::move(rewritten.rewrites);
        return std::move(rewritten.hits);
    }();
    if (hits.is_error())
        return fail("search", args, hits.error().message);
    if (args.json) {
        ordered_json list = ordered_json::array();
        for (const mem::Hit& hit : hits.value())
            list.push_back({{"id", hit.id},
                            {"kind", mem::to_string(hit.kind)},
                            {"text", hit.text},
                            {"score", rounded(hit.score)},
                            {"time", mem::format_iso8601(hit.time)},
                            {"source_turns", hit.source_turns},
                            {"context", hit.context}});
        ordered_json out = {{"hits", std::move(list)}};
        if (args.rewrite)
            out["rewrites"] = rewrites;
        std::printf("%s\n", out.dump().c_str());
        return 0;
    }
    for (const std::string& rewrite : rewrites)
        std::printf("also searched: %s\n", terminal_text(rewrite).c_str());
    if (hits->empty())
        std::printf("no memories match\n");
    for (const mem::Hit& hit : hits.value())
        std::printf("%6lld  %.3f  %-10s %s  %s\n", static_cast<long long>(hit.id), hit.score, mem::to_string(hit.kind),
                    mem::format_iso8601(hit.time).c_str(), terminal_text(hit.text).c_str());
    return 0;
}

int run_embed(const GlobalOptions& global, const MemoryArgs& args) {
    auto store = open_store_with_vectors(global, args);
    if (store.is_error())
        return fail("embed", args, store.error().message);
    if (auto synced = store->sync_conversation_turns(); synced.is_error())
        return fail("embed", args, synced.error().message);
    ProgressBar bar("embedding");
    const bool show = !args.json;
    auto embedded = store->embed_missing([&](size_t done, size_t total) {
        if (show && total > 0)
            bar.update_count(done, total, "memories");
    });
    if (show)
        bar.done();
    if (embedded.is_error())
        return fail("embed", args, embedded.error().message + " (the vectors written so far are kept)");
    if (args.json)
        std::printf("%s\n", ordered_json({{"embedded", embedded.value()}}).dump().c_str());
    else
        std::printf("embedded %zu memories\n", embedded.value());
    return 0;
}

int run_list(const GlobalOptions& global, const MemoryArgs& args) {
    std::optional<mem::Kind> kind;
    if (args.kind == "episode")
        kind = mem::Kind::Episode;
    else if (args.kind == "fact")
        kind = mem::Kind::Fact;
    else if (args.kind == "reflection")
        kind = mem::Kind::Reflection;
    else if (!args.kind.empty())
        return fail("list", args, "--kind must be episode, fact or reflection", 2);
    auto store = open_store(global, args.user);
    if (store.is_error())
        return fail("list", args, store.error().message);
    auto list = store->list(kind, args.limit);
    if (list.is_error())
        return fail("list", args, list.error().message);
    if (args.json) {
        ordered_json out = ordered_json::array();
        for (const mem::Memory& m : list.value())
            out.push_back(mem::memory_json(m));
        std::printf("%s\n", ordered_json({{"memories", std::move(out)}}).dump().c_str());
        return 0;
    }
    for (const mem::Memory& m : list.value())
        print_memory_line(m);
    return 0;
}

int run_show(const GlobalOptions& global, const MemoryArgs& args) {
    auto store = open_store(global, args.user);
    if (store.is_error())
        return fail("show", args, store.error().message);
    auto found = store->get(args.id);
    if (found.is_error())
        return fail("show", args, found.error().message);
    if (!found.value())
        return fail("show", args, "no memory " + std::to_string(args.id));
    if (args.json) {
        std::printf("%s\n", mem::memory_json(*found.value()).dump().c_str());
        return 0;
    }
    // JSON escapes C0 controls but not DEL or the C1 controls.
    std::printf("%s\n", terminal_text(mem::memory_json(*found.value()).dump(2), Newlines::Keep).c_str());
    return 0;
}

int run_edit(const GlobalOptions& global, const MemoryArgs& args) {
    auto store = open_store(global, args.user);
    if (store.is_error())
        return fail("edit", args, store.error().message);
    auto edited = store->edit(args.id, args.text);
    if (edited.is_error())
        return fail("edit", args, edited.error().message);
    if (!edited.value())
        return fail("edit", args, "no memory " + std::to_string(args.id));
    if (args.json)
        std::printf("%s\n", ordered_json({{"edited", args.id}}).dump().c_str());
    else
        std::printf("memory %lld edited\n", static_cast<long long>(args.id));
    return 0;
}

// "1 fact", "2 reflections".
std::string counted(size_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

// "a, b and c".
std::string listed(const std::vector<std::string>& parts) {
    std::string out;
    for (size_t i = 0; i < parts.size(); ++i)
        out += (i == 0 ? "" : i + 1 == parts.size() ? " and " : ", ") + parts[i];
    return out;
}

int run_forget_all(mem::MemoryStore& store, const MemoryArgs& args) {
    // The journal first, so that forget_all's VACUUM wipes the pages it frees.
    if (auto erased = affect::erase_journal(store.database()); erased.is_error())
        return fail("forget", args, erased.error().message + "; nothing else was forgotten");
    auto report = store.forget_all();
    if (report.is_error())
        return fail("forget", args, report.error().message);
    if (args.json) {
        std::printf("%s\n", ordered_json({{"forgotten", "all"},
                                          {"memories", report->memories.size()},
                                          {"conversations", report->conversations.size()},
                                          {"turns", report->turns_deleted},
                                          {"caches_deleted", report->caches_deleted},
                                          {"backups_deleted", report->backups_deleted}})
                                .dump()
                                .c_str());
        return 0;
    }
    std::vector<std::string> gone{counted(report->memories.size(), "memory", "memories")};
    if (!report->conversations.empty())
        gone.push_back(counted(report->conversations.size(), "conversation", "conversations") + " with " +
                       counted(report->turns_deleted, "turn", "turns"));
    if (report->caches_deleted > 0)
        gone.push_back(counted(report->caches_deleted, "saved context", "saved contexts"));
    gone.push_back("the human core block");
    gone.push_back("the journal with its change log");
    if (report->backups_deleted > 0)
        gone.push_back(counted(report->backups_deleted, "backup", "backups"));
    std::printf("forgot everything of %s: %s; the companion's own persona and name stay\n", args.user.c_str(),
                listed(gone).c_str());
    return 0;
}

int run_forget(const GlobalOptions& global, const MemoryArgs& args, bool id_given) {
    if (args.all == id_given)
        return fail("forget", args, "give either a memory ID or --all", 2);
    auto store = open_store(global, args.user);
    if (store.is_error())
        return fail("forget", args, store.error().message);
    if (args.all)
        return run_forget_all(store.value(), args);

    auto forgotten = store->forget(args.id);
    if (forgotten.is_error())
        return fail("forget", args, forgotten.error().message);
    if (!forgotten.value())
        return fail("forget", args, "no memory " + std::to_string(args.id));
    const mem::ForgetReport& report = *forgotten.value();
    std::vector<affect::ForgottenText> texts;
    for (const mem::ForgottenMemory& m : report.memories)
        texts.push_back({m.text, m.time});
    auto redacted = affect::redact_journal(store->database(), texts, terminal_environment().zone);
    if (redacted.is_error())
        return fail("forget", args,
                    "memory " + std::to_string(args.id) +
                        " is forgotten, but the journal could not be cleared of it (" + redacted.error().message +
                        "); os1 journal shows the entries, and os1 memory forget --all "
                        "erases them");

    std::vector<int64_t> derived;
    size_t facts = 0, reflections = 0;
    for (size_t i = 1; i < report.memories.size(); ++i) {
        derived.push_back(report.memories[i].id);
        facts += report.memories[i].kind == mem::Kind::Fact;
        reflections += report.memories[i].kind == mem::Kind::Reflection;
    }
    if (args.json) {
        std::printf("%s\n", ordered_json({{"forgotten", args.id},
                                          {"derived", derived},
                                          {"conversations", report.conversations},
                                          {"turns_deleted", report.turns_deleted},
                                          {"caches_deleted", report.caches_deleted},
                                          {"backups_deleted", report.backups_deleted},
                                          {"journal_entries_redacted", redacted.value()}})
                                .dump()
                                .c_str());
        return 0;
    }
    std::vector<std::string> drawn;
    if (facts > 0)
        drawn.push_back(counted(facts, "fact", "facts"));
    if (reflections > 0)
        drawn.push_back(counted(reflections, "reflection", "reflections"));
    std::printf("forgotten memory %lld%s\n", static_cast<long long>(args.id),
                drawn.empty() ? "" : (", and " + listed(drawn) + " drawn only from it").c_str());
    std::vector<std::string> deleted;
    if (report.turns_deleted > 0)
        deleted.push_back(report.turns_deleted == 1 ? "the conversation turn it came from" : "the conversation turns");
    if (report.caches_deleted > 0)
        deleted.push_back(counted(report.caches_deleted, "saved conversation context", "saved conversation contexts"));
    if (report.backups_deleted > 0)
        deleted.push_back(counted(report.backups_deleted, "backup", "backups") +
                          " that held it (the next os1 command takes a fresh one)");
    if (!deleted.empty())
        std::printf("also deleted %s\n", listed(deleted).c_str());
    if (!redacted->empty())
        std::printf("%s that drew on it now %s\n",
                    counted(redacted->size(), "journal entry", "journal entries").c_str(),
                    redacted->size() == 1 ? "shows only its summary" : "show only their summaries");
    return 0;
}

int run_export(const GlobalOptions& global, const MemoryArgs& args) {
    auto store = open_store(global, args.user);
    if (store.is_error())
        return fail("export", args, store.error().message);
    auto exported = mem::export_json(store.value(), args.user);
    if (exported.is_error())
        return fail("export", args, exported.error().message);
    std::printf("%s\n", exported->dump(args.json ? -1 : 2).c_str());
    return 0;
}

}  // namespace

void register_memory(CLI::App& app, GlobalOptions& global, int& exit_code) {
    CLI::App* memory = app.add_subcommand("memory", "Long-term memory: import, search, inspect and forget");
    memory->require_subcommand(1);
    auto args = std::make_shared<MemoryArgs>();
    auto common = [&](CLI::App* sub) {
        sub->add_option("--user", args->user, "Whose memory (default: default)");
        sub->add_flag("--json", args->json, "Print JSON");
    };

    CLI::App* import = memory->add_subcommand(
        "import",
        "Import a conversation export; a malformed line is reported with its number and nothing from the "
        "file is imported. Importing a file again adds only turns not yet stored; an id stored with other "
        "text is an error");
    import->add_option("file", args->file, "The export file")->required();
    import->add_option("--format", args->format, "os1-jsonl (default), sillytavern or chatgpt");
    import->add_option("--embedding-model", args->embedding_model,
                       "GGUF embedding model: also store a vector for each imported turn");
    common(import);
    import->callback([&global, &exit_code, args] { exit_code = run_import(global, *args);
});

CLI::App* search = memory->add_subcommand(
    "search",
    "Find memories: BM25 with stemming, recency, importance and time expressions (\"last week\", "
    "\"in May\", \"3 days ago\"); with --embedding-model also by vector similarity");
search->add_option("query", args->query, "What to look for")->required();
search->add_option("-k", args->k, "Hits to return (default 10)")->check(CLI::Range(1, 1000));
search->add_option("--at", args->at, "Reference time, ISO 8601 (default: now)");
search->add_option("--budget", args->budget, "Token budget for the hits and their context (~4 bytes/token)");
search->add_option("--embedding-model", args->embedding_model,
                   "GGUF embedding model: also rank by vector similarity, fused with the BM25 score");
search->add_flag("--rewrite", args->rewrite,
                 "A chat model (the options below) restates the query in the words an answer would use; each "
                 "restatement is searched too and the rankings fused. Off by default");
add_backend_options(*search, args->backend);
common(search);
search->callback([&global, &exit_code, args] { exit_code = run_search(global, *args); });

CLI::App* embed = memory->add_subcommand(
    "embed",
    "Compute the vectors that an embedding model lacks (memories stored before it was configured), with "
    "progress; interrupting keeps what is done");
embed->add_option("--embedding-model", args->embedding_model, "GGUF embedding model")->required();
common(embed);
embed->callback([&global, &exit_code, args] { exit_code = run_embed(global, *args); });

CLI::App* list = memory->add_subcommand("list", "List memories, newest first");
list->add_option("--kind", args->kind, "episode, fact or reflection");
list->add_option("--limit", args->limit, "At most this many (default 50)");
common(list);
list->callback([&global, &exit_code, args] { exit_code = run_list(global, *args); });

CLI::App* show = memory->add_subcommand("show", "Show one memory with its provenance");
show->add_option("id", args->id, "Memory id")->required()->transform(id_argument("os1 memory list"));
common(show);
show->callback([&global, &exit_code, args] { exit_code = run_show(global, *args); });

CLI::App* edit = memory->add_subcommand("edit", "Change a memory's text");
edit->add_option("id", args->id, "Memory id")->required()->transform(id_argument("os1 memory list"));
edit->add_option("text", args->text, "The new text")->required();
common(edit);
edit->callback([&global, &exit_code, args] { exit_code = run_edit(global, *args); });

CLI::App* forget =
    memory->add_subcommand("forget",
                           "Forget one memory with its conversation turn, what was drawn only from it, the journal's "
                           "words about it, saved contexts and backups; or with --all everything the companion knows "
                           "of the user (its own persona stays). Freed space is overwritten.");
forget->add_option("id", args->id, "Memory id")->transform(id_argument("os1 memory list"));
forget->add_flag("--all", args->all, "Forget everything");
common(forget);
forget->callback([&global, &exit_code, args, forget] {
    exit_code = run_forget(global, *args, forget->count("id") > 0);
});

CLI::App* exported = memory->add_subcommand("export", "Write every memory and the core blocks as JSON");
common(exported);
exported->callback([&global, &exit_code, args] { exit_code = run_export(global, *args); });

register_memory_core(memory, global, exit_code);
register_memory_backup(memory, global, exit_code);
}  // namespace os1::cli

}  // namespace os1::cli
