// The REALTALK benchmark behind `os1 bench memory --dataset realtalk DIR`: each chat is imported
// as its own user through the import path users have (an os1-jsonl export, read_import_file,
// import_new_episodes), with speaker 1 as the user; every question with evidence is asked at the
// time of the chat's last message, and turn-level recall_any@1/5/10 is measured for os1's search
// and, in the same run over the same turns, for plain BM25 (plain-bm25.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/error.h"
#include "memory/realtalk-set.h"

namespace os1::llm {
class Backend;
}

namespace os1::memory {

// The split, chosen once before any tuning and never changed: the chats numbered 8, 9 and 10
// are held out. Their three people (Akib, Fahim, Muhhamed) appear in no other chat, so nothing
// tuned on chats 1-7 has seen how they write.
bool is_held_out(const RealtalkChat& chat);

struct RealtalkBenchOptions {
    std::filesystem::path dataset_dir;  // the folder of Chat_<n>_*.json files
    std::filesystem::path work_dir;     // scratch: one user folder per chat; emptied first
    std::vector<std::string> chats;     // only these chats (file names without .json); empty: all
    // With a backend, os1's queries are rewritten by the model first (search_with_rewrites);
    // without, the model-free search is measured.
    llm::Backend* rewriter = nullptr;
};

// recall_any@K: the fraction of questions with an evidence turn among the first K distinct source
// turns of the ranked hits.
struct RecallAtK {
    size_t questions = 0;
    double at_1 = 0, at_5 = 0, at_10 = 0;
};

struct SystemRecall {
    RecallAtK overall;
    std::map<int, RecallAtK> by_category;
};

struct RealtalkSplit {
    std::string name;  // "tuning", "held_out" or "all"
    std::vector<std::string> chats;
    size_t turns = 0;
    size_t unanswerable = 0;  // questions none of whose evidence turns is in the files (always misses)
    SystemRecall os1, bm25;
};

struct RealtalkBenchResult {
    std::vector<RealtalkSplit> splits;            // tuning, held_out, all (a split without chats is left out)
    double search_p50_ms = 0, search_p95_ms = 0;  // os1's searches, as asked (with a rewriter: the model's time too)
    size_t rewrites_failed = 0;                   // with a rewriter: questions searched as they were
};

ErrorOr<RealtalkBenchResult> run_realtalk_bench(const RealtalkBenchOptions& options);

// The distinct source turns of `ranked` (each hit's list, in order), the first `k` of them.
std::vector<std::string> first_distinct_turns(const std::vector<std::vector<std::string>>& ranked, size_t k);

}  // namespace os1::memory
