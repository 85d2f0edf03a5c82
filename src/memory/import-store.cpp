// Storing imported turns: all or nothing per import, yet in bounded transactions, so that an
// import of a million turns neither holds the write lock for minutes (a chat in another process
// commits its turns between the batches) nor grows the WAL without bound. A large import
// registers a run in import_runs and tags its turns with it; the run's row is deleted when
// every turn is stored, which is the moment the import becomes whole. A failed import deletes
// its turns; those of an import whose process died are deleted by the next open.
#include <unistd.h>

#include <chrono>
#include <thread>
#include <unordered_map>

#include "core/writer-note.h"
#include "memory/memory.h"
#include "memory/text-util.h"

namespace os1::memory {

namespace {

// Turns stored per transaction: a few tens of milliseconds of work.
constexpr size_t k_turns_per_transaction = 1000;
// Rows deleted per transaction when an import is undone.
constexpr int64_t k_rows_deleted_per_transaction = 2000;
// The pause between two transactions of a large import, longer than the busy handler's interval
// between tries, so that a waiting writer (a chat storing its turn) gets its turn.
constexpr auto k_pause_between_transactions = std::chrono::milliseconds(8);

// Where the turns come from. os1's own (a benchmark, turns an extraction found missing) keep
// their ids, and a stored id is refused. A user's file goes into the import namespace, where no
// conversation turn can meet it, and a turn already stored as it is counts, not refused.
enum class Origin { Os1, UsersFile };

ErrorOr<void> check_episodes(const std::vector<EpisodeInput>& episodes) {
    for (size_t i = 0; i < episodes.size(); ++i) {
        const EpisodeInput& e = episodes[i];
        std::string what = e.source_id.empty() ? std::string("turn #").append(std::to_string(i + 1))
                                               : std::string("turn ").append(e.source_id);
        OS1_TRY(check_text(what, e.text));
        if (e.source_id.empty())
            return make_error(what + ": missing id");
        if (!is_valid_utf8(e.source_id) || !is_valid_utf8(e.conversation) || !is_valid_utf8(e.speaker))
            return make_error(what + ": id, conversation or speaker is not valid UTF-8");
        if (e.role != "user" && e.role != "assistant" && e.role != "system")
            return make_error(what + ": role \"" + e.role + "\" is not user, assistant or system");
        if (e.time < earliest_time || e.time > latest_time)
            return make_error(what + ": time " + std::to_string(e.time) + " is not in the years 0000 to 9999");
    }
    return {};
}

// A turn repeated within one import with other content is the file's mistake, not the store's.
ErrorOr<void> check_repeats(const std::vector<EpisodeInput>& episodes) {
    std::unordered_map<std::string_view, size_t> first_of;
    for (size_t i = 0; i < episodes.size(); ++i) {
        const EpisodeInput& e = episodes[i];
        auto [it, added] = first_of.try_emplace(e.source_id, i);
        if (added)
            continue;
        const EpisodeInput& first = episodes[it->second];
        if (first.conversation != e.conversation || first.role != e.role || first.text != e.text)
            return make_error("turn " + e.source_id + ": turns #" + std::to_string(it->second + 1) + " and #" +
                              std::to_string(i + 1) +
                              " of the import share this id but differ in conversation, role or text; nothing was "
                              "imported (give one of them another id)");
    }
    return {};
}

// Stores episodes[begin, end) inside the caller's transaction, tagged with `run` (0: none).
ErrorOr<void> store_batch(Database& db, const std::vector<EpisodeInput>& episodes, size_t begin, size_t end,
                          int64_t run, Origin origin, ImportReport& report) {
    auto stored = OS1_TRY(db.prepare("SELECT id, kind, conversation, role, text FROM memories WHERE source_id = ?"));
    auto insert = OS1_TRY(
        db.prepare("INSERT INTO memories (kind, text, time, importance, source_id, conversation, speaker, role, "
                   "import_run) VALUES ('episode', ?, ?, ?, ?, ?, ?, ?, ?)"));
    for (size_t i = begin; i < end; ++i) {
        const EpisodeInput& e = episodes[i];
        const std::string source_id = origin == Origin::UsersFile ? imported_source_id(e.source_id) : e.source_id;
        // Inside the transaction, so an identical turn repeated within `episodes` counts once.
        stored.reset().bind(1, source_id);
        if (OS1_TRY(stored.step())) {
            if (origin == Origin::Os1)
                return make_error("turn " + e.source_id + ": id already stored; nothing was imported");
            if (stored.column_text(1) == "episode" && stored.column_text(2) == e.conversation &&
                stored.column_text(3) == e.role && stored.column_text(4) == e.text) {
                ++report.already_present;
                continue;
            }
            return make_error("turn " + e.source_id + ": this id is already stored as memory " +
                              std::to_string(stored.column_int(0)) +
                              " with a different conversation, role or text; nothing was imported (give the turn "
                              "another id, or forget memory " +
                              std::to_string(stored.column_int(0)) + " first)");
        }
        insert.reset().bind(1, e.text).bind(2, e.time).bind(3, int64_t(e.role == "user" ? 500 : 300));
        insert.bind(4, source_id).bind(5, e.conversation).bind(6, e.speaker.empty() ? e.role : e.speaker);
        insert.bind(7, e.role);
        if (run != 0)
            insert.bind(8, run);
        else
            insert.bind_null(8);
        OS1_TRY(insert.run());
        report.added.push_back(db.last_insert_id());
    }
    return {};
}

ErrorOr<int64_t> begin_run(Database& db, int64_t now) {
    int64_t run = 0;
    OS1_TRY(in_transaction(db, [&]() -> ErrorOr<void> {
        auto insert = OS1_TRY(db.prepare("INSERT INTO import_runs (pid, started_at) VALUES (?, ?)"));
        OS1_TRY(insert.bind(1, int64_t(::getpid())).bind(2, now).run());
        run = db.last_insert_id();
        return {};
    }));
    return run;
}

// Deletes the turns of `run`, in bounded transactions, then the run itself.
ErrorOr<void> undo_run(Database& db, int64_t run) {
    for (;;) {
        int64_t deleted = 0;
        OS1_TRY(in_transaction(db, [&]() -> ErrorOr<void> {
            auto remove = OS1_TRY(db.prepare(
                "DELETE FROM memories WHERE id IN (SELECT id FROM memories WHERE import_run = ? LIMIT ?)"));
            OS1_TRY(remove.bind(1, run).bind(2, k_rows_deleted_per_transaction).run());
            deleted = sqlite3_changes(db.handle());
            if (deleted > 0)
                return {};
            auto forget_run = OS1_TRY(db.prepare("DELETE FROM import_runs WHERE id = ?"));
            return forget_run.bind(1, run).run();
        }));
        if (deleted == 0)
            return {};
        std::this_thread::sleep_for(k_pause_between_transactions);
    }
}

}  // namespace

ErrorOr<void> detail::undo_abandoned_imports(Database& db) {
    auto runs = OS1_TRY(db.prepare("SELECT id, pid FROM import_runs ORDER BY id"));
    std::vector<int64_t> abandoned;
    while (OS1_TRY(runs.step()))
        if (!process_is_alive(pid_t(runs.column_int(1))))
            abandoned.push_back(runs.column_int(0));
    for (int64_t run : abandoned)
        OS1_TRY(undo_run(db, run));
    return {};
}

namespace {

// Stores `episodes` all or nothing: in one transaction when they fit in one, else as a run of
// bounded transactions that the last one makes whole.
ErrorOr<ImportReport> store_episodes(Database& db, const std::vector<EpisodeInput>& episodes, Origin origin,
                                     int64_t now) {
    OS1_TRY(check_episodes(episodes));
    if (origin == Origin::UsersFile)
        OS1_TRY(check_repeats(episodes));
    ImportReport report;
    if (episodes.size() <= k_turns_per_transaction) {
        OS1_TRY(in_transaction(db, [&]() -> ErrorOr<void> {
            return store_batch(db, episodes, 0, episodes.size(), 0, origin, report);
        }));
        return report;
    }
    // Names this process in the "database is locked" errors of others that wait too long.
    WriterNote note(db.path());
    const int64_t run = OS1_TRY(begin_run(db, now));
    for (size_t begin = 0; begin < episodes.size(); begin += k_turns_per_transaction) {
        const size_t end = std::min(episodes.size(), begin + k_turns_per_transaction);
        const bool last = end == episodes.size();
        auto stored = in_transaction(db, [&]() -> ErrorOr<void> {
            OS1_TRY(store_batch(db, episodes, begin, end, run, origin, report));
            if (!last)
                return {};
            // The import becomes whole with this commit.
            auto finish = OS1_TRY(db.prepare("DELETE FROM import_runs WHERE id = ?"));
            return finish.bind(1, run).run();
        });
        if (stored.is_error()) {
            (void)undo_run(db, run);
            return stored.release_error();
        }
        if (!last)
            std::this_thread::sleep_for(k_pause_between_transactions);
    }
    return report;
}

int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

ErrorOr<std::vector<int64_t>> MemoryStore::import_episodes(const std::vector<EpisodeInput>& episodes) {
    ImportReport report = OS1_TRY(store_episodes(m_db, episodes, Origin::Os1, unix_now()));
    OS1_TRY(embed_recent());
    return std::move(report.added);
}

ErrorOr<ImportReport> MemoryStore::import_new_episodes(const std::vector<EpisodeInput>& episodes) {
    ImportReport report = OS1_TRY(store_episodes(m_db, episodes, Origin::UsersFile, unix_now()));
    OS1_TRY(embed_recent());
    return report;
}

}  // namespace os1::memory
