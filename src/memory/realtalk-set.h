// REALTALK (Lee et al., 2025, arXiv 2502.13270): real 21-day messaging conversations between
// pairs of people, with memory questions whose evidence turns are labelled. This reads the
// authors' JSON files as they are and normalises the evidence labels; the files are never part
// of os1 (they live in ../shared/data/realtalk, and their repository states no license).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"

namespace os1::memory {

struct RealtalkTurn {
    std::string id;   // the dataset's dia_id, such as "D3:12"; unique within a chat
    int session = 0;  // N of session_N
    std::string speaker;
    std::string text;
    int64_t time = 0;  // unix seconds; the dataset's wall-clock times, taken as UTC (it names no zone)
};

struct RealtalkQuestion {
    std::string question;
    std::string answer;
    int category = 0;                   // 1, 2 or 3, as labelled
    std::vector<std::string> evidence;  // normalised dia_ids; may name turns the files lack
};

struct RealtalkChat {
    std::string name;  // the file name without .json: "Chat_3_Kevin_Paola"
    int number = 0;    // 3 for Chat_3_...
    std::string speaker_1, speaker_2;
    std::vector<RealtalkTurn> turns;  // sessions in order, turns in file order
    std::vector<RealtalkQuestion> questions;
};

// One chat file. Errors name the file and what is missing.
ErrorOr<RealtalkChat> read_realtalk_chat(const std::filesystem::path& file);
// Every Chat_<n>_*.json in `dir`, by chat number. A folder without any is a NotFound error.
ErrorOr<std::vector<RealtalkChat>> read_realtalk(const std::filesystem::path& dir);

// The labels as dia_ids: a trailing ".", several ids joined by ";", "," or spaces, ranges within a
// session ("D12:3-D12:5"), a missing "D" ("23:29") and ids run together ("D13:45:D20:19") are
// undone. What still is no dia_id ("D58") is kept as it is, and so never matches a turn.
std::vector<std::string> normalise_evidence(const std::vector<std::string>& labels);

// True when `a` and `b` name the same person: their first words, compared case-insensitively
// ("elise" and "Elise", "Fahim" and "Fahim Khan").
bool same_first_name(std::string_view a, std::string_view b);

// The chat as an os1-jsonl export (`os1 memory import --format os1-jsonl`): speaker 1 is the
// user, speaker 2 the other party (role "assistant"); each session is a conversation
// ("session_N"), each turn keeps its dia_id as its id. Blank turns are left out.
std::string to_os1_jsonl(const RealtalkChat& chat);

}  // namespace os1::memory
