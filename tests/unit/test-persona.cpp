// Unit tests of src/persona: Character Card V1/V2 parsing and export, PNG chunks, broken cards,
// lorebook selection, onboarding and the per-user store.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/canned-backend.h"
#include "persona/base64.h"
#include "persona/persona.h"
#include "persona/png.h"
#include "support/temp-dir.h"

namespace {

using namespace os1::persona;
using nlohmann::json;

std::string v2_card_text() {
    return R"({
      "spec": "chara_card_v2", "spec_version": "2.0", "x_top": 7,
      "data": {
        "name": "Alice", "description": "A librarian.", "personality": "bookish", "scenario": "a library",
        "first_mes": "Hello!", "mes_example": "<START>", "creator_notes": "notes", "system_prompt": "Be Alice.",
        "post_history_instructions": "stay in character", "alternate_greetings": ["Hi", "Hey"],
        "tags": ["books"], "creator": "me", "character_version": "3",
        "extensions": {"depth_prompt": {"depth": 4, "prompt": "x"}, "fav": true},
        "x_unknown": [1, 2, 3],
        "character_book": {
          "name": "lore", "scan_depth": 3, "token_budget": 500, "extensions": {"k": 1},
          "entries": [
            {"keys": ["dragon"], "content": "Dragons sleep under the library.", "extensions": {"e": 2},
             "enabled": true, "insertion_order": 1, "x_entry": "kept"}
          ]
        }
      }
    })";
}

std::string write_temp(const std::string& name, const std::string& bytes) {
    static const std::filesystem::path dir = os1::test::unique_temp_dir("persona-files");
    auto path = dir / name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path.string();
}

TEST(Card, ParsesV2AndKeepsUnknownFieldsOnRoundTrip) {
    CardVersion version{};
    auto card = parse_card_json(v2_card_text(), "alice.json", &version);
    ASSERT_TRUE(card) << card.error().message;
    EXPECT_EQ(version, CardVersion::v2);
    EXPECT_EQ(card->name, "Alice");
    EXPECT_EQ(card->alternate_greetings, (std::vector<std::string>{"Hi", "Hey"}));
    ASSERT_TRUE(card->character_book);
    EXPECT_EQ(card->character_book->entries.at(0).keys.at(0), "dragon");

    json original = json::parse(v2_card_text());
    json exported = json::parse(card_to_json(card.value()));
    EXPECT_EQ(exported["data"]["extensions"], original["data"]["extensions"]);
    EXPECT_EQ(exported["data"]["x_unknown"], original["data"]["x_unknown"]);
    EXPECT_EQ(exported["x_top"], 7);
    EXPECT_EQ(exported["data"]["character_book"]["entries"][0]["x_entry"], "kept");
    EXPECT_EQ(exported["data"]["character_book"]["entries"][0]["extensions"]["e"], 2);
    EXPECT_EQ(exported["data"]["character_book"]["extensions"]["k"], 1);

    // A second trip is a fixed point.
    auto again = parse_card_json(card_to_json(card.value()), "again");
    ASSERT_TRUE(again);
    EXPECT_EQ(card_to_json(again.value()), card_to_json(card.value()));
}

TEST(Card, UpgradesV1) {
    CardVersion version{};
    auto card = parse_card_json(
        R"({"name":"Bob","description":"d","personality":"p","scenario":"s","first_mes":"f","mes_example":"m","chat":"x"})",
        "bob.json", &version);
    ASSERT_TRUE(card) << card.error().message;
    EXPECT_EQ(version, CardVersion::v1);
    json exported = json::parse(card_to_json(card.value()));
    EXPECT_EQ(exported["spec"], "chara_card_v2");
    EXPECT_EQ(exported["data"]["name"], "Bob");
    EXPECT_EQ(exported["data"]["first_mes"], "f");
    EXPECT_TRUE(exported["data"]["extensions"].is_object());
    EXPECT_EQ(exported["data"]["chat"], "x");
}

// V1 has no character book, so a V1 card's "character_book" is one of its unknown fields; written
// back as V2, where it has a meaning, it must not make the saved card unreadable.
TEST(Card, V1CardWithACharacterBookFieldReadsBackAfterSaving) {
    for (const std::string book : {"5", R"({"entries":"none"})", R"({"name":"x"})"}) {
        auto card = parse_card_json(R"({"name":"Bob","description":"","personality":"","scenario":"","first_mes":"",
                                       "mes_example":"","character_book":)" + book + "}",
                                    "bob.json");
        ASSERT_TRUE(card) << card.error().message;
        const std::string saved = card_to_json(*card);
        auto again = parse_card_json(saved, "saved.json");
        ASSERT_TRUE(again) << book << ": " << again.error().message;
        EXPECT_EQ(card_to_json(*again), saved);
        EXPECT_FALSE(again->character_book);
    }
}

TEST(Card, RejectsBrokenJsonWithWhere) {
    auto bad = parse_card_json(R"({"spec": "chara_card_v2", "data": {)", "bad.json");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("bad.json: invalid JSON at byte"), std::string::npos) << bad.error().message;

    auto missing = parse_card_json(R"({"spec":"chara_card_v2","data":{"name":"A","description":"d"}})", "m.json");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().message, "m.json: data.personality is missing");

    auto wrong_type = parse_card_json(
        R"({"spec":"chara_card_v2","data":{"name":"A","description":"","personality":"","scenario":"",
            "first_mes":"","mes_example":"","tags":"x"}})",
        "t.json");
    ASSERT_FALSE(wrong_type);
    EXPECT_EQ(wrong_type.error().message, "t.json: data.tags must be an array of strings, not string");

    auto spec = parse_card_json(R"({"spec":"other","data":{}})", "s.json");
    ASSERT_FALSE(spec);
    EXPECT_NE(spec.error().message.find("unsupported spec"), std::string::npos);

    auto bad_order = parse_card_json(
        R"({"spec":"chara_card_v2","data":{"name":"A","description":"","personality":"","scenario":"",
            "first_mes":"","mes_example":"","character_book":{"entries":[{"keys":[],"content":"x",
            "insertion_order":1e300}]}}})",
        "o.json");
    ASSERT_FALSE(bad_order);
    EXPECT_EQ(bad_order.error().message,
              "o.json: data.character_book.entries[0].insertion_order must be an integer, not number");

    auto not_object = parse_card_json("[1]", "a.json");
    ASSERT_FALSE(not_object);
}

// A number beyond a double's range (1e999) is a broken card like any other, in JSON and inside a
// PNG: an error that names the card, never an exception.
TEST(Card, RejectsNumbersBeyondRangeWithWhere) {
    const std::string text = R"({"spec":"chara_card_v2","data":{"name":"A","description":"","personality":"",
        "scenario":"","first_mes":"","mes_example":"","extensions":{"weight":-1e999}}})";
    auto card = parse_card_json(text, "big.json");
    ASSERT_FALSE(card);
    EXPECT_EQ(card.error().message, "big.json: invalid JSON: number overflow parsing '-1e999'");

    auto chunks = png::read_chunks(png::minimal_png(), "minimal");
    ASSERT_TRUE(chunks) << chunks.error().message;
    png::set_text(*chunks, "chara", base64_encode(text));
    auto from_png = parse_card_png(png::write_chunks(*chunks), "big.png");
    ASSERT_FALSE(from_png);
    EXPECT_EQ(from_png.error().message, "big.png (chara chunk): invalid JSON: number overflow parsing '-1e999'");
}

TEST(Card, RefusesHostileNestingBeforeItCanOverflowTheStack) {
    // 100,000 nested arrays in a field: once parsed, writing the card back recursed that deep.
    const std::string deep = std::string(100000, '[') + std::string(100000, ']');
    for (const std::string& where : {std::string("extensions"), std::string("top")}) {
        json doc = json::parse(v2_card_text());
        if (where == "extensions")
            doc["data"]["extensions"]["x"] = "PLACEHOLDER";
        else
            doc["x"] = "PLACEHOLDER";
        std::string text = doc.dump();
        text.replace(text.find("\"PLACEHOLDER\""), 13, deep);
        auto card = parse_card_json(text, "deep.json");
        ASSERT_FALSE(card) << where;
        EXPECT_EQ(card.error().kind, os1::ErrorKind::InvalidInput);
        EXPECT_NE(card.error().message.find("nests deeper than 64 levels"), std::string::npos) << card.error().message;
    }
    // Brackets inside strings are text, not nesting.
    json doc = json::parse(v2_card_text());
    doc["data"]["description"] = std::string(1000, '[');
    EXPECT_TRUE(parse_card_json(doc.dump(), "brackets.json"));
}

TEST(Card, RejectsHugeField) {
    json doc = json::parse(v2_card_text());
    doc["data"]["description"] = std::string(max_text_field_bytes + 1, 'a');
    auto card = parse_card_json(doc.dump(), "huge.json");
    ASSERT_FALSE(card);
    EXPECT_NE(card.error().message.find("data.description is"), std::string::npos) << card.error().message;

    auto whole = parse_card_json(std::string(max_card_json_bytes + 1, ' '), "big.json");
    ASSERT_FALSE(whole);
    EXPECT_NE(whole.error().message.find("more than the limit"), std::string::npos);
}

TEST(Base64, RoundTripsAndRejectsGarbage) {
    for (const std::string& s : std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
        auto decoded = base64_decode(base64_encode(s));
        ASSERT_TRUE(decoded);
        EXPECT_EQ(decoded.value(), s);
    }
    EXPECT_EQ(base64_encode("hello"), "aGVsbG8=");
    EXPECT_FALSE(base64_decode("aGV*bG8="));
    EXPECT_FALSE(base64_decode("aGVsbG8=x"));
    EXPECT_FALSE(base64_decode("a"));
}

TEST(Png, Crc32MatchesKnownValue) {
    EXPECT_EQ(png::crc32("123456789"), 0xCBF43926u);
    EXPECT_EQ(png::crc32("IEND"), 0xAE426082u);
}

TEST(Png, MinimalPngIsValidAndCardRoundTrips) {
    const std::string minimal = png::minimal_png();
    auto chunks = png::read_chunks(minimal, "min.png");
    ASSERT_TRUE(chunks) << chunks.error().message;
    EXPECT_EQ(chunks->front().type, "IHDR");
    EXPECT_EQ(chunks->back().type, "IEND");

    auto card = parse_card_json(v2_card_text(), "alice.json");
    ASSERT_TRUE(card);
    auto bytes = card_to_png(card.value());
    ASSERT_TRUE(bytes) << bytes.error().message;
    auto back = parse_card_png(bytes.value(), "alice.png");
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(card_to_json(back.value()), card_to_json(card.value()));

    // Re-export into the same image replaces the chunk instead of adding a second one.
    back->name = "Alice II";
    auto replaced = card_to_png(back.value(), bytes.value());
    ASSERT_TRUE(replaced);
    auto replaced_chunks = png::read_chunks(replaced.value(), "r.png");
    ASSERT_TRUE(replaced_chunks);
    int texts = 0;
    for (const auto& c : replaced_chunks.value())
        texts += c.type == "tEXt";
    EXPECT_EQ(texts, 1);
    auto reread = parse_card_png(replaced.value(), "r.png");
    ASSERT_TRUE(reread);
    EXPECT_EQ(reread->name, "Alice II");

    auto from_file = load_card_file(write_temp("alice.png", replaced.value()));
    ASSERT_TRUE(from_file) << from_file.error().message;
    EXPECT_EQ(from_file->name, "Alice II");
}

TEST(Png, RejectsBrokenFiles) {
    auto card = card_to_png(default_card());
    ASSERT_TRUE(card);
    std::string bytes = card.value();

    std::string bad_signature = bytes;
    bad_signature[1] = 'X';
    auto e1 = parse_card_png(bad_signature, "x.png");
    ASSERT_FALSE(e1);
    EXPECT_EQ(e1.error().message, "x.png: not a PNG file (bad signature)");

    std::string bad_crc = bytes;
    bad_crc[bad_crc.size() - 20] ^= 0x01;  // inside the tEXt chunk
    auto e2 = parse_card_png(bad_crc, "x.png");
    ASSERT_FALSE(e2);
    EXPECT_NE(e2.error().message.find("CRC mismatch in chunk"), std::string::npos) << e2.error().message;

    auto e3 = parse_card_png(png::minimal_png(), "plain.png");
    ASSERT_FALSE(e3);
    EXPECT_NE(e3.error().message.find("no \"chara\" tEXt chunk"), std::string::npos);

    auto chunks = png::read_chunks(png::minimal_png(), "m").release_value();
    png::set_text(chunks, "chara", "!!!not base64!!!");
    auto e4 = parse_card_png(png::write_chunks(chunks), "b64.png");
    ASSERT_FALSE(e4);
    EXPECT_NE(e4.error().message.find("b64.png: chara chunk: base64: invalid character at offset 0"), std::string::npos)
        << e4.error().message;

    png::set_text(chunks, "chara", base64_encode("{\"spec\":"));
    auto e5 = parse_card_png(png::write_chunks(chunks), "json.png");
    ASSERT_FALSE(e5);
    EXPECT_NE(e5.error().message.find("invalid JSON at byte"), std::string::npos) << e5.error().message;

    auto e6 = parse_card_png(bytes.substr(0, bytes.size() - 5), "cut.png");
    ASSERT_FALSE(e6);
    EXPECT_NE(e6.error().message.find("cut.png"), std::string::npos);

    auto e7 = load_card_file("/nonexistent/os1/card.png");
    ASSERT_FALSE(e7);
    EXPECT_NE(e7.error().message.find("no such file"), std::string::npos);
}

TEST(DefaultCard, IsCompleteAndNotSycophantic) {
    CharacterCard card = default_card();
    auto parsed = parse_card_json(card_to_json(card), "default");
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_NE(card.personality.find("never sycophantic"), std::string::npos);
    EXPECT_NE(card.system_prompt.find("Never flatter"), std::string::npos);
    auto traits = big_five_baseline(card);
    ASSERT_TRUE(traits);
    EXPECT_DOUBLE_EQ(traits.value()[os1::affect::Trait::openness], 0.8);
    EXPECT_DOUBLE_EQ(big_five_baseline(CharacterCard{}).value()[os1::affect::Trait::openness], 0.5);
    card.extensions["os1"]["big_five"]["neuroticism"] = "high";
    EXPECT_FALSE(big_five_baseline(card));
}

TEST(Card, ExpandsMacros) {
    EXPECT_EQ(expand_macros("{{char}} greets {{user}}; <BOT> and <USER>.", "Wren", "Sam"),
              "Wren greets Sam; Wren and Sam.");
    EXPECT_EQ(expand_macros("{{char", "W", "S"), "{{char");
}

LoreEntry entry(std::vector<std::string> keys, std::string content, int64_t order = 0, int64_t priority = 0) {
    LoreEntry e;
    e.keys = std::move(keys);
    e.content = std::move(content);
    e.insertion_order = order;
    e.priority = priority;
    return e;
}

TEST(Lorebook, KeyMatchingRespectsWordsAndCase) {
    EXPECT_TRUE(key_matches("I saw a Dragon today", "dragon", false));
    EXPECT_FALSE(key_matches("I saw a Dragon today", "dragon", true));
    EXPECT_FALSE(key_matches("dragonfly", "dragon", false));
    EXPECT_TRUE(key_matches("the old oak tree.", "old oak", false));
    EXPECT_FALSE(key_matches("x", "", false));
}

TEST(Lorebook, SelectsByKeysConstantSelectiveAndOrder) {
    CharacterBook book;
    book.entries.push_back(entry({"dragon"}, "Dragons sleep.", 5));      // 0: matches
    book.entries.push_back(entry({"castle"}, "The castle is old.", 1));  // 1: no key in text
    LoreEntry constant = entry({}, "Always here.", 3);
    constant.constant = true;
    book.entries.push_back(constant);  // 2: constant
    LoreEntry selective = entry({"dragon"}, "Red dragons hoard.", 2);
    selective.selective = true;
    selective.secondary_keys = {"gold"};
    book.entries.push_back(selective);  // 3: no secondary key
    LoreEntry disabled = entry({"dragon"}, "Disabled.", 0);
    disabled.enabled = false;
    book.entries.push_back(disabled);  // 4: disabled
    LoreEntry cased = entry({"Moon"}, "The Moon.", 4);
    cased.case_sensitive = true;
    book.entries.push_back(cased);  // 5: case mismatch

    std::vector<std::string> turns = {"I dreamt of a dragon", "under the moon"};
    EXPECT_EQ(select_lore(book, turns, 1000), (std::vector<std::size_t>{2, 0}));

    turns.push_back("it had so much gold");
    EXPECT_EQ(select_lore(book, turns, 1000), (std::vector<std::size_t>{3, 2, 0}));
    EXPECT_EQ(lore_text(book, {2, 0}), "Always here.\n\nDragons sleep.");
}

// What key_matches says for each entry, entry by entry: the meaning the matcher must keep.
std::vector<bool> keyed_by_reference(const CharacterBook& book, const std::vector<std::string>& turns) {
    std::vector<bool> keyed;
    for (const LoreEntry& e : book.entries) {
        auto any = [&](const std::vector<std::string>& keys) {
            for (const std::string& turn : turns)
                for (const std::string& key : keys)
                    if (key_matches(turn, key, e.case_sensitive))
                        return true;
            return false;
        };
        keyed.push_back(e.enabled && !e.content.empty() && !e.constant && any(e.keys) &&
                        (!e.selective || any(e.secondary_keys)));
    }
    return keyed;
}

TEST(Lorebook, MatcherAgreesWithKeyMatchesOnWordsCaseAndPunctuation) {
    const std::vector<std::string> keys = {
        "dragon", "Dragon", "drag", "on", "old oak", "oak tree.", ".", ", the", "the,", "a", "a a", "aa",
        "Sam's", "'s", "x-ray", "-ray", "caf\xc3\xa9", "caf", "\xc3\xa9", "_id", "id_", "42", "4", "",
        "  ", "the old", "e o", "über", "ÜBER", "a.b", "b"};
    const std::vector<std::string> texts = {
        "I saw a Dragon today", "dragonfly on the dragon's back", "the old oak tree.", "a aa a a aaa", "Sam's",
        "x-ray, the thing", "the,old", "café caf", "my_id_ is 42!", "4 42 424", "  two  spaces", "",
        "ÜBER über Über", "a.b.c", "ab b", "Dragon", "...", "e o", "DRAGON dragon DrAgOn"};
    for (bool case_sensitive : {false, true}) {
        for (bool selective : {false, true}) {
            CharacterBook book;
            for (std::size_t i = 0; i < keys.size(); ++i) {
                LoreEntry e = entry({keys[i]}, "content");
                e.case_sensitive = case_sensitive;
                e.selective = selective;
                e.secondary_keys = {keys[(i * 7 + 3) % keys.size()], keys[(i * 5 + 1) % keys.size()]};
                book.entries.push_back(e);
            }
            LoreEntry several = entry({"castle", "moon", "old"}, "several");
            several.case_sensitive = case_sensitive;
            book.entries.push_back(several);
            LoreEntry constant = entry({"dragon"}, "constant");
            constant.constant = true;
            book.entries.push_back(constant);
            LoreEntry disabled = entry({"dragon"}, "disabled");
            disabled.enabled = false;
            book.entries.push_back(disabled);
            book.entries.push_back(entry({"dragon"}, ""));

            const LoreMatcher matcher(book);
            for (const std::string& text : texts) {
                EXPECT_EQ(matcher.keyed_entries({text}), keyed_by_reference(book, {text}))
                    << "text '" << text << "' case_sensitive " << case_sensitive << " selective " << selective;
            }
            EXPECT_EQ(matcher.keyed_entries(texts), keyed_by_reference(book, texts));
        }
    }
}

// 3,500 entries keyed on 1,000 'a's and four long messages: key by key and position by position
// that is 10^11 byte comparisons; the matcher does work in proportion to the text.
TEST(Lorebook, PathologicalBookTakesWorkLinearInTheText) {
    CharacterBook book;
    for (int i = 0; i < 3500; ++i)
        book.entries.push_back(entry({std::string(1000, 'a')}, "lore"));
    const std::vector<std::string> turns(4, std::string(8000, 'a'));
    const LoreMatcher matcher(book);
    LoreMatchWork work;
    const std::vector<bool> keyed = matcher.keyed_entries(turns, &work);
    EXPECT_EQ(keyed, std::vector<bool>(3500, false));  // no turn is a single 1,000-letter word
    EXPECT_LE(work.steps, 4 * 4 * 8002u);

    // Keys that are each other's suffixes, every one occurring at almost every position.
    CharacterBook nested;
    std::string key = "a";
    std::size_t key_count = 0;
    for (; key.size() <= max_lore_key_bytes; key += " a", ++key_count)
        nested.entries.push_back(entry({key}, "lore"));
    std::string text;
    while (text.size() < 8000)
        text += "a ";
    const std::vector<std::string> spaced(4, text);
    LoreMatchWork nested_work;
    EXPECT_EQ(LoreMatcher(nested).keyed_entries(spaced, &nested_work), keyed_by_reference(nested, spaced));
    EXPECT_LE(nested_work.steps, 4 * 4 * (text.size() + 2) + key_count);
}

TEST(Card, RefusesLorebookKeysBeyondTheLimits) {
    json doc = json::parse(v2_card_text());
    doc["data"]["character_book"]["entries"][0]["secondary_keys"] = {"ok", std::string(max_lore_key_bytes + 1, 'a')};
    auto long_key = parse_card_json(doc.dump(), "long.json");
    ASSERT_FALSE(long_key);
    EXPECT_EQ(long_key.error().message,
              "long.json: data.character_book.entries[0].secondary_keys[1] is 257 bytes, more than the limit of 256 "
              "for a key; use a shorter word or phrase");

    json many = json::parse(v2_card_text());
    json entries = json::array();
    for (int i = 0; i < 3500; ++i)
        entries.push_back({{"keys", {std::string(max_lore_key_bytes, 'a')}}, {"content", "lore"}});
    many["data"]["character_book"]["entries"] = entries;
    auto too_many = parse_card_json(many.dump(), "many.json");
    ASSERT_FALSE(too_many);
    EXPECT_EQ(too_many.error().message,
              "many.json: data.character_book: the keys of all entries add up to 896000 bytes, more than the limit "
              "of 262144; remove repeated or unused keys");

    doc["data"]["character_book"]["entries"][0]["secondary_keys"] = {std::string(max_lore_key_bytes, 'a')};
    EXPECT_TRUE(parse_card_json(doc.dump(), "at-limit.json"));
}

TEST(Lorebook, BudgetKeepsConstantThenHighPriority) {
    CharacterBook book;
    book.entries.push_back(entry({"a"}, std::string(40, 'x'), 0, 1));  // 10 tokens, low priority
    book.entries.push_back(entry({"a"}, std::string(40, 'y'), 1, 9));  // 10 tokens, high priority
    LoreEntry constant = entry({}, std::string(40, 'z'), 2);
    constant.constant = true;
    book.entries.push_back(constant);  // 10 tokens, constant
    EXPECT_EQ(estimate_tokens(std::string(40, 'x')), 10u);
    EXPECT_EQ(select_lore(book, {"a"}, 20), (std::vector<std::size_t>{1, 2}));
    EXPECT_EQ(select_lore(book, {"a"}, 10), (std::vector<std::size_t>{2}));
    EXPECT_EQ(select_lore(book, {"a"}, 30), (std::vector<std::size_t>{0, 1, 2}));
    EXPECT_TRUE(select_lore(book, {"a"}, 5).empty());
}

void run_interview(Onboarding& o) {
    ASSERT_EQ(o.step(), OnboardingStep::address);
    EXPECT_FALSE(o.question().empty());
    EXPECT_FALSE(o.answer("   "));
    EXPECT_EQ(o.step(), OnboardingStep::address);
    ASSERT_TRUE(o.answer("Sam"));
    ASSERT_TRUE(o.answer("planning my week"));
    ASSERT_TRUE(o.answer("climbing"));
    EXPECT_FALSE(o.answer(std::string(max_answer_bytes + 1, 'a')));
    ASSERT_TRUE(o.answer("a new job"));
    EXPECT_EQ(o.step(), OnboardingStep::naming);
    EXPECT_TRUE(o.question().empty());
    EXPECT_FALSE(o.answer("more"));
}

TEST(Onboarding, InterviewThenDeterministicName) {
    Onboarding a;
    run_interview(a);
    EXPECT_EQ(a.answers().address, "Sam");
    EXPECT_EQ(a.answers().lately, "a new job");
    a.choose_name_without_model();
    ASSERT_TRUE(a.finished());
    ASSERT_TRUE(a.name());
    EXPECT_FALSE(a.name()->name.empty());
    EXPECT_NE(a.name()->reason.find("because"), std::string::npos);

    Onboarding b;
    run_interview(b);
    b.choose_name_without_model();
    EXPECT_EQ(a.name()->name, b.name()->name);

    auto restored = Onboarding::from_json(a.to_json());
    ASSERT_TRUE(restored) << restored.error().message;
    EXPECT_TRUE(restored->finished());
    EXPECT_EQ(restored->name()->reason, a.name()->reason);
    EXPECT_EQ(restored->answers().help, "planning my week");
}

TEST(Onboarding, ModelNamesItselfUnderGrammar) {
    Onboarding o;
    run_interview(o);
    os1::test::CannedBackend backend(R"({"name": "Nova", "reason": "I like new beginnings, like your new job."})");
    EXPECT_TRUE(choose_name(o, default_card(), &backend));
    EXPECT_EQ(o.name()->name, "Nova");
    EXPECT_EQ(o.name()->reason, "I like new beginnings, like your new job.");
    EXPECT_EQ(backend.last.grammar, naming_grammar());
    EXPECT_NE(backend.last.messages.back().content.find("Sam"), std::string::npos);

    Onboarding p;
    run_interview(p);
    os1::test::CannedBackend broken(R"({"name": ""})");
    EXPECT_FALSE(choose_name(p, default_card(), &broken));
    ASSERT_TRUE(p.finished());
    EXPECT_EQ(p.name()->name, fallback_name(p.answers()).name);

    EXPECT_FALSE(parse_name_reply(R"({"name":"A B C D","reason":"x"})"));
    EXPECT_FALSE(parse_name_reply(R"({"name":"A","reason":""})"));
    EXPECT_FALSE(parse_name_reply("nope"));
    // A backend that ignores the grammar may send a number beyond a double's range.
    auto huge = parse_name_reply(R"({"name":"Nova","reason":"x","age":1e999})");
    ASSERT_FALSE(huge);
    EXPECT_EQ(huge.error().message, "naming reply: a number too large to represent");
}

TEST(PersonaStore, StoresCardAndOnboardingPerUser) {
    auto dir = os1::test::unique_temp_dir("persona-store");
    {
        auto store = PersonaStore::open(dir);
        ASSERT_TRUE(store) << store.error().message;
        EXPECT_FALSE(store->has_custom_card().value());
        EXPECT_EQ(store->card()->name, default_card().name);
        auto card = parse_card_json(v2_card_text(), "alice.json").release_value();
        ASSERT_TRUE(store->save_card(card, 100));
        Onboarding o;
        run_interview(o);
        o.choose_name_without_model();
        ASSERT_TRUE(store->save_onboarding(o, 100));
    }
    auto store = PersonaStore::open(dir);
    ASSERT_TRUE(store);
    EXPECT_TRUE(store->has_custom_card().value());
    EXPECT_EQ(store->card()->name, "Alice");
    EXPECT_EQ(store->card()->extensions["fav"], true);
    auto o = store->onboarding();
    ASSERT_TRUE(o);
    ASSERT_TRUE(o.value().has_value());
    EXPECT_TRUE(o.value()->finished());
    std::filesystem::remove_all(dir);
}

}  // namespace
