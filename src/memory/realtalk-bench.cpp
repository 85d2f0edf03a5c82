#include "memory/realtalk-bench.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <set>

#include "memory/memory.h"
#include "memory/plain-bm25.h"
#include "memory/query-rewrite.h"

namespace os1::memory {

namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t ranks[] = {1, 5, 10};

double percentile(std::vector<double> values, double p) {
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    size_t index = size_t(p * double(values.size() - 1) + 0.5);
    return values[std::min(index, values.size() - 1)];
}

// Hits at 1, 5 and 10 of one question.
struct Outcome {
    bool at[3] = {false, false, false};
};

Outcome judge(const std::vector<std::vector<std::string>>& ranked, const std::vector<std::string>& evidence) {
    Outcome out;
    const std::vector<std::string> turns = first_distinct_turns(ranked, 10);
    for (size_t r = 0; r < 3; ++r)
        for (size_t i = 0; i < turns.size() && i < ranks[r]; ++i)
            if (std::find(evidence.begin(), evidence.end(), turns[i]) != evidence.end())
                out.at[r] = true;
    return out;
}

void add(RecallAtK& recall, const Outcome& outcome) {
    ++recall.questions;
    recall.at_1 += outcome.at[0];
    recall.at_5 += outcome.at[1];
    recall.at_10 += outcome.at[2];
}

void add(SystemRecall& recall, int category, const Outcome& outcome) {
    add(recall.overall, outcome);
    add(recall.by_category[category], outcome);
}

void finish(RecallAtK& recall) {
    const double n = double(std::max<size_t>(1, recall.questions));
    recall.at_1 /= n;
    recall.at_5 /= n;
    recall.at_10 /= n;
}

void finish(SystemRecall& recall) {
    finish(recall.overall);
    for (auto& [category, r] : recall.by_category)
        finish(r);
}

// Imports the chat as the user `chat.name` under `users`, as `os1 memory import` would, into a
// store made anew: only what an earlier run wrote for this chat is replaced.
ErrorOr<MemoryStore> import_chat(const RealtalkChat& chat, const std::filesystem::path& work_dir) {
    const std::filesystem::path file = work_dir / (chat.name + ".jsonl");
    const std::filesystem::path user_dir = work_dir / "users" / chat.name;
    std::error_code ec;
    std::filesystem::remove_all(user_dir, ec);
    if (ec)
        return make_error(user_dir.string() + ": cannot remove the store of an earlier run (" + ec.message() + ")");
    {
        std::ofstream out(file, std::ios::binary);
        out << to_os1_jsonl(chat);
        if (!out)
            return make_error(file.string() + ": cannot write the export");
    }
    std::vector<EpisodeInput> turns = OS1_TRY(read_import_file(file, ImportFormat::Os1Jsonl));
    MemoryStore store = OS1_TRY(MemoryStore::open(user_dir));
    OS1_TRY(store.import_new_episodes(turns));
    return store;
}

}  // namespace

bool is_held_out(const RealtalkChat& chat) {
    return chat.number >= 8 && chat.number <= 10;
}

std::vector<std::string> first_distinct_turns(const std::vector<std::vector<std::string>>& ranked, size_t k) {
    std::vector<std::string> out;
    for (const std::vector<std::string>& turns : ranked)
        for (const std::string& turn : turns) {
            if (out.size() >= k)
                return out;
            if (std::find(out.begin(), out.end(), turn) == out.end())
                out.push_back(turn);
        }
    return out;
}

ErrorOr<RealtalkBenchResult> run_realtalk_bench(const RealtalkBenchOptions& options) {
    namespace fs = std::filesystem;
    if (options.work_dir.empty())
        return make_error("realtalk bench: no scratch folder given");
    std::vector<RealtalkChat> chats = OS1_TRY(read_realtalk(options.dataset_dir));
    if (!options.chats.empty()) {
        for (const std::string& wanted : options.chats)
            if (std::none_of(chats.begin(), chats.end(), [&](const RealtalkChat& c) { return c.name == wanted; }))
                return make_error(ErrorKind::NotFound, options.dataset_dir.string() + ": no chat " + wanted + ".json");
        std::erase_if(chats, [&](const RealtalkChat& c) {
            return std::find(options.chats.begin(), options.chats.end(), c.name) == options.chats.end();
        });
    }
    // The folder may be the user's (--dir): nothing in it but this benchmark's stores is touched.
    std::error_code ec;
    fs::create_directories(options.work_dir, ec);
    if (ec)
        return make_error(options.work_dir.string() + ": cannot make the scratch folder (" + ec.message() + ")");

    RealtalkSplit tuning{"tuning"}, held_out{"held_out"}, all{"all"};
    RealtalkBenchResult result;
    std::vector<double> latencies;
    for (const RealtalkChat& chat : chats) {
        MemoryStore store = OS1_TRY(import_chat(chat, options.work_dir));
        std::vector<std::string> texts;
        std::vector<std::string> ids;
        int64_t last = 0;
        for (const RealtalkTurn& turn : chat.turns) {
            texts.push_back(turn.text);
            ids.push_back(turn.id);
            last = std::max(last, turn.time);
        }
        const PlainBm25 bm25(texts);
        const std::set<std::string> known(ids.begin(), ids.end());

        RealtalkSplit& split = is_held_out(chat) ? held_out : tuning;
        for (RealtalkSplit* s : {&split, &all}) {
            s->chats.push_back(chat.name);
            s->turns += chat.turns.size();
        }
        SearchOptions search;
        search.k = 10;
        search.now = last;
        search.zone = fixed_utc_offset(std::chrono::seconds(0));  // the dataset's times are taken as UTC
        search.neighbours = 0;  // context lines are not source turns; they count for nothing here
        for (const RealtalkQuestion& q : chat.questions) {
            if (q.evidence.empty())
                continue;
            const bool answerable = std::any_of(q.evidence.begin(), q.evidence.end(),
                                                [&](const std::string& e) { return known.count(e) > 0; });

            auto t0 = Clock::now();
            std::vector<Hit> hits;
            if (options.rewriter) {
                RewrittenSearch rewritten = OS1_TRY(search_with_rewrites(*options.rewriter, store, q.question, search));
                result.rewrites_failed += rewritten.problem.has_value();
                hits = std::move(rewritten.hits);
            } else {
                hits = OS1_TRY(store.search(q.question, search));
            }
            latencies.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
            std::vector<std::vector<std::string>> ranked;
            // The evidence names turns as the chat's file does; the store keeps them as imported.
            for (const Hit& hit : hits) {
                ranked.emplace_back();
                for (const std::string& turn : hit.source_turns)
                    ranked.back().push_back(turn.starts_with(imported_id_prefix)
                                                ? turn.substr(imported_id_prefix.size())
                                                : turn);
            }
            const Outcome os1 = judge(ranked, q.evidence);

            ranked.clear();
            for (size_t index : bm25.search(q.question, 10))
                ranked.push_back({ids[index]});
            const Outcome plain = judge(ranked, q.evidence);

            for (RealtalkSplit* s : {&split, &all}) {
                add(s->os1, q.category, os1);
                add(s->bm25, q.category, plain);
                s->unanswerable += !answerable;
            }
        }
    }
    for (RealtalkSplit* s : {&tuning, &held_out, &all}) {
        if (s->chats.empty())
            continue;
        finish(s->os1);
        finish(s->bm25);
        result.splits.push_back(std::move(*s));
    }
    result.search_p50_ms = percentile(latencies, 0.50);
    result.search_p95_ms = percentile(latencies, 0.95);
    return result;
}

}  // namespace os1::memory
