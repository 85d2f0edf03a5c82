// Character Card V2 ("chara_card_v2"): the persona format shared by SillyTavern and others.
// Cards are read from JSON or from a PNG's base64 "chara" tEXt chunk; V1 cards (flat fields)
// are upgraded on read. Fields this build does not know, and data.extensions, survive a round
// trip untouched. Parsing never throws: a broken card is an Error that says what and where.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "affect/personality.h"
#include "core/error.h"

namespace os1::persona {

// Limits that keep a hostile card from exhausting memory.
inline constexpr std::size_t max_card_json_bytes = 4 * 1024 * 1024;
// The largest card file (a PNG with its picture) that is read.
inline constexpr std::size_t max_card_file_bytes = 64 * 1024 * 1024;
inline constexpr std::size_t max_text_field_bytes = 256 * 1024;
inline constexpr std::size_t max_list_items = 1024;
inline constexpr std::size_t max_book_entries = 4096;
// A lorebook key is a word or phrase; the keys of one book together stay small enough that the
// matcher built from them is small.
inline constexpr std::size_t max_lore_key_bytes = 256;
inline constexpr std::size_t max_book_key_bytes = 256 * 1024;

struct LoreEntry {
    std::vector<std::string> keys;
    std::vector<std::string> secondary_keys;
    std::string content;
    std::string comment;
    bool enabled = true;
    int64_t insertion_order = 0;
    int64_t priority = 0;    // when over budget, entries with lower priority are dropped first
    bool constant = false;   // always inserted, keys or not
    bool selective = false;  // needs a primary and a secondary key to match
    bool case_sensitive = false;
    std::optional<int64_t> id;
    nlohmann::json extensions = nlohmann::json::object();
    nlohmann::json unknown = nlohmann::json::object();  // fields this build does not know
};

struct CharacterBook {
    std::string name;
    std::string description;
    std::optional<int64_t> scan_depth;
    std::optional<int64_t> token_budget;
    std::optional<bool> recursive_scanning;
    std::vector<LoreEntry> entries;
    nlohmann::json extensions = nlohmann::json::object();
    nlohmann::json unknown = nlohmann::json::object();
};

struct CharacterCard {
    std::string name;
    std::string description;
    std::string personality;
    std::string scenario;
    std::string first_mes;
    std::string mes_example;
    std::string creator_notes;
    std::string system_prompt;
    std::string post_history_instructions;
    std::vector<std::string> alternate_greetings;
    std::optional<CharacterBook> character_book;
    std::vector<std::string> tags;
    std::string creator;
    std::string character_version;
    nlohmann::json extensions = nlohmann::json::object();
    nlohmann::json unknown_data = nlohmann::json::object();  // unknown fields of "data"
    nlohmann::json unknown_top = nlohmann::json::object();   // unknown top-level fields (V2 only)
};

enum class CardVersion { v1, v2 };

// Parses a card from JSON text; `origin` names the source in errors ("alice.json").
ErrorOr<CharacterCard> parse_card_json(std::string_view json, std::string_view origin,
                                       CardVersion* version_read = nullptr);
// The V2 JSON document (spec, spec_version, data), pretty-printed when `indent` >= 0.
std::string card_to_json(const CharacterCard& card, int indent = -1);

// Reads a PNG card: checks the signature and every chunk's CRC, then decodes the "chara" chunk.
ErrorOr<CharacterCard> parse_card_png(std::string_view png_bytes, std::string_view origin);
// Embeds the card as a "chara" tEXt chunk in `png_bytes` (replacing any old one), or in a
// minimal 1x1 PNG when `png_bytes` is empty.
ErrorOr<std::string> card_to_png(const CharacterCard& card, std::string_view png_bytes = {});

// Reads a file as a PNG card when it starts with the PNG signature, else as JSON.
ErrorOr<CharacterCard> load_card_file(const std::string& path);

// The built-in companion: warm, curious, witty, with views of its own, never sycophantic.
CharacterCard default_card();

// The personality baseline in extensions.os1.big_five (missing traits at 0.5; a card without
// it gets 0.5 throughout). Fails on a malformed value.
ErrorOr<affect::BigFive> big_five_baseline(const CharacterCard& card);

// Replaces the card macros {{char}} and {{user}} (and the old <BOT> and <USER>).
std::string expand_macros(std::string_view text, std::string_view char_name, std::string_view user_name);

}  // namespace os1::persona
