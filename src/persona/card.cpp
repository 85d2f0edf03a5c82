#include "core/file-read.h"
#include "persona/card.h"

#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "core/json-nesting.h"
#include "persona/base64.h"
#include "persona/png.h"

namespace os1::persona {

namespace {

using nlohmann::json;


// Reads typed fields out of one JSON object, naming the path in every error.
class FieldReader {
public:
    FieldReader(const json& object, std::string where) : m_object(object), m_where(std::move(where)) {}

    ErrorOr<std::string> text(const char* key, bool required) {
        m_known.insert(key);
        auto it = m_object.find(key);
        if (it == m_object.end() || it->is_null()) {
            if (required)
                return make_error(path(key) + " is missing");
            return std::string();
        }
        if (!it->is_string())
            return make_error(path(key) + " must be a string, not " + it->type_name());
        const auto& s = it->get_ref<const std::string&>();
        if (s.size() > max_text_field_bytes)
            return make_error(path(key) + " is " + std::to_string(s.size()) + " bytes, more than the limit of " +
                              std::to_string(max_text_field_bytes));
        return s;
    }

    ErrorOr<std::vector<std::string>> texts(const char* key) {
        m_known.insert(key);
        std::vector<std::string> out;
        auto it = m_object.find(key);
        if (it == m_object.end() || it->is_null())
            return out;
        if (!it->is_array())
            return make_error(path(key) + " must be an array of strings, not " + it->type_name());
        if (it->size() > max_list_items)
            return make_error(path(key) + " has " + std::to_string(it->size()) + " items, more than the limit of " +
                              std::to_string(max_list_items));
        for (std::size_t i = 0; i < it->size(); ++i) {
            const json& item = (*it)[i];
            const std::string item_path = path(key) + "[" + std::to_string(i) + "]";
            if (!item.is_string())
                return make_error(item_path + " must be a string, not " + item.type_name());
            if (item.get_ref<const std::string&>().size() > max_text_field_bytes)
                return make_error(item_path + " is longer than the limit of " + std::to_string(max_text_field_bytes) +
                                  " bytes");
            out.push_back(item.get<std::string>());
        }
        return out;
    }

    ErrorOr<std::optional<int64_t>> integer(const char* key) {
        m_known.insert(key);
        auto it = m_object.find(key);
        if (it == m_object.end() || it->is_null())
            return std::optional<int64_t>();
        if (it->is_number_float()) {
            // Some editors write 100.0 for 100; accept whole numbers in range.
            const double d = it->get<double>();
            if (std::isfinite(d) && std::fabs(d) < 9.0e15 && d == std::floor(d))
                return std::optional<int64_t>(int64_t(d));
        }
        if (!it->is_number_integer())
            return make_error(path(key) + " must be an integer, not " + it->type_name());
        return std::optional<int64_t>(it->get<int64_t>());
    }

    ErrorOr<std::optional<bool>> boolean(const char* key) {
        m_known.insert(key);
        auto it = m_object.find(key);
        if (it == m_object.end() || it->is_null())
            return std::optional<bool>();
        if (!it->is_boolean())
            return make_error(path(key) + " must be true or false, not " + it->type_name());
        return std::optional<bool>(it->get<bool>());
    }

    ErrorOr<json> object(const char* key) {
        m_known.insert(key);
        auto it = m_object.find(key);
        if (it == m_object.end() || it->is_null())
            return json::object();
        if (!it->is_object())
            return make_error(path(key) + " must be an object, not " + it->type_name());
        return *it;
    }

    void skip(const char* key) { m_known.insert(key); }

    // Every field not read so far, kept for the round trip.
    json unknown() const {
        json out = json::object();
        for (auto it = m_object.begin(); it != m_object.end(); ++it) {
            if (!m_known.count(it.key()))
                out[it.key()] = it.value();
        }
        return out;
    }

    std::string path(const char* key) const { return m_where + "." + key; }

private:
    const json& m_object;
    std::string m_where;
    std::set<std::string, std::less<>> m_known;
};

ErrorOr<LoreEntry> parse_entry(const json& j, const std::string& where) {
    if (!j.is_object())
        return make_error(where + " must be an object, not " + std::string(j.type_name()));
    FieldReader r(j, where);
    LoreEntry e;
    e.keys = OS1_TRY(r.texts("keys"));
    e.secondary_keys = OS1_TRY(r.texts("secondary_keys"));
    for (const auto* list : {&e.keys, &e.secondary_keys}) {
        const char* name = list == &e.keys ? "keys" : "secondary_keys";
        for (std::size_t k = 0; k < list->size(); ++k) {
            if ((*list)[k].size() > max_lore_key_bytes)
                return make_error(r.path(name) + "[" + std::to_string(k) + "] is " +
                                  std::to_string((*list)[k].size()) + " bytes, more than the limit of " +
                                  std::to_string(max_lore_key_bytes) + " for a key; use a shorter word or phrase");
        }
    }
    e.content = OS1_TRY(r.text("content", true));
    e.comment = OS1_TRY(r.text("comment", false));
    e.enabled = OS1_TRY(r.boolean("enabled")).value_or(true);
    e.insertion_order = OS1_TRY(r.integer("insertion_order")).value_or(0);
    e.priority = OS1_TRY(r.integer("priority")).value_or(0);
    e.constant = OS1_TRY(r.boolean("constant")).value_or(false);
    e.selective = OS1_TRY(r.boolean("selective")).value_or(false);
    e.case_sensitive = OS1_TRY(r.boolean("case_sensitive")).value_or(false);
    e.id = OS1_TRY(r.integer("id"));
    e.extensions = OS1_TRY(r.object("extensions"));
    e.unknown = r.unknown();
    return e;
}

ErrorOr<CharacterBook> parse_book(const json& j, const std::string& where) {
    FieldReader r(j, where);
    CharacterBook book;
    book.name = OS1_TRY(r.text("name", false));
    book.description = OS1_TRY(r.text("description", false));
    book.scan_depth = OS1_TRY(r.integer("scan_depth"));
    book.token_budget = OS1_TRY(r.integer("token_budget"));
    book.recursive_scanning = OS1_TRY(r.boolean("recursive_scanning"));
    book.extensions = OS1_TRY(r.object("extensions"));
    r.skip("entries");
    auto it = j.find("entries");
    if (it == j.end() || !it->is_array())
        return make_error(where + ".entries is missing or not an array");
    if (it->size() > max_book_entries)
        return make_error(where + ".entries has " + std::to_string(it->size()) + " entries, more than the limit of " +
                          std::to_string(max_book_entries));
    std::size_t key_bytes = 0;
    for (std::size_t i = 0; i < it->size(); ++i) {
        book.entries.push_back(OS1_TRY(parse_entry((*it)[i], where + ".entries[" + std::to_string(i) + "]")));
        for (const auto* list : {&book.entries.back().keys, &book.entries.back().secondary_keys}) {
            for (const std::string& key : *list)
                key_bytes += key.size();
        }
    }
    if (key_bytes > max_book_key_bytes)
        return make_error(where + ": the keys of all entries add up to " + std::to_string(key_bytes) +
                          " bytes, more than the limit of " + std::to_string(max_book_key_bytes) +
                          "; remove repeated or unused keys");
    book.unknown = r.unknown();
    return book;
}

// The six fields shared by V1 and V2.
ErrorOr<void> read_core_fields(FieldReader& r, CharacterCard& card) {
    card.name = OS1_TRY(r.text("name", true));
    if (card.name.empty())
        return make_error(r.path("name") + " is empty");
    card.description = OS1_TRY(r.text("description", true));
    card.personality = OS1_TRY(r.text("personality", true));
    card.scenario = OS1_TRY(r.text("scenario", true));
    card.first_mes = OS1_TRY(r.text("first_mes", true));
    card.mes_example = OS1_TRY(r.text("mes_example", true));
    return {};
}

// An exception's message without its tag: what() is "[json.exception.parse_error.101] parse
// error at line 1, column 9: ...".
std::string prose_of(const json::exception& e) {
    std::string detail = e.what();
    if (auto bracket = detail.find("] "); bracket != std::string::npos)
        detail.erase(0, bracket + 2);
    return detail;
}

json entry_to_json(const LoreEntry& e) {
    json j = e.unknown.is_object() ? e.unknown : json::object();
    j["keys"] = e.keys;
    j["content"] = e.content;
    j["extensions"] = e.extensions;
    j["enabled"] = e.enabled;
    j["insertion_order"] = e.insertion_order;
    j["case_sensitive"] = e.case_sensitive;
    j["priority"] = e.priority;
    j["constant"] = e.constant;
    j["selective"] = e.selective;
    j["secondary_keys"] = e.secondary_keys;
    if (!e.comment.empty())
        j["comment"] = e.comment;
    if (e.id)
        j["id"] = *e.id;
    return j;
}

json book_to_json(const CharacterBook& book) {
    json j = book.unknown.is_object() ? book.unknown : json::object();
    if (!book.name.empty())
        j["name"] = book.name;
    if (!book.description.empty())
        j["description"] = book.description;
    if (book.scan_depth)
        j["scan_depth"] = *book.scan_depth;
    if (book.token_budget)
        j["token_budget"] = *book.token_budget;
    if (book.recursive_scanning)
        j["recursive_scanning"] = *book.recursive_scanning;
    j["extensions"] = book.extensions;
    j["entries"] = json::array();
    for (const LoreEntry& e : book.entries)
        j["entries"].push_back(entry_to_json(e));
    return j;
}

}  // namespace

ErrorOr<CharacterCard> parse_card_json(std::string_view text, std::string_view origin, CardVersion* version_read) {
    const std::string where(origin);
    if (text.size() > max_card_json_bytes)
        return make_error(where + ": the card is " + std::to_string(text.size()) +
                          " bytes of JSON, more than the limit of " + std::to_string(max_card_json_bytes));
    // Checked before parsing: a hostile card nested 100,000 deep would overflow the stack when
    // it is written back.
    if (!json_nesting_within(text))
        return make_error(ErrorKind::InvalidInput, where + ": the card nests deeper than " +
                                                       std::to_string(k_max_json_nesting) + " levels");
    json doc;
    try {
        doc = json::parse(text);
    } catch (const json::parse_error& e) {
        return make_error(where + ": invalid JSON at byte " + std::to_string(e.byte) + ": " + prose_of(e));
    } catch (const json::exception& e) {
        // out_of_range: a number beyond a double's range, such as 1e999.
        return make_error(where + ": invalid JSON: " + prose_of(e));
    }
    if (!doc.is_object())
        return make_error(where + ": a card must be a JSON object, not " + std::string(doc.type_name()));

    CharacterCard card;
    auto spec = doc.find("spec");
    if (spec == doc.end()) {
        // V1: the six core fields at the top level; anything else is kept beside them.
        FieldReader r(doc, where + ":");
        OS1_TRY(read_core_fields(r, card));
        card.unknown_data = r.unknown();
        if (version_read)
            *version_read = CardVersion::v1;
        return card;
    }
    if (!spec->is_string() || spec->get<std::string>() != "chara_card_v2")
        return make_error(where + ": unsupported spec " + spec->dump() + " (expected \"chara_card_v2\")");
    auto data = doc.find("data");
    if (data == doc.end())
        return make_error(where + ": data is missing");
    if (!data->is_object())
        return make_error(where + ": data must be an object, not " + std::string(data->type_name()));

    FieldReader r(*data, where + ": data");
    OS1_TRY(read_core_fields(r, card));
    card.creator_notes = OS1_TRY(r.text("creator_notes", false));
    card.system_prompt = OS1_TRY(r.text("system_prompt", false));
    card.post_history_instructions = OS1_TRY(r.text("post_history_instructions", false));
    card.alternate_greetings = OS1_TRY(r.texts("alternate_greetings"));
    card.tags = OS1_TRY(r.texts("tags"));
    card.creator = OS1_TRY(r.text("creator", false));
    card.character_version = OS1_TRY(r.text("character_version", false));
    card.extensions = OS1_TRY(r.object("extensions"));
    r.skip("character_book");
    if (auto book = data->find("character_book"); book != data->end() && !book->is_null()) {
        if (!book->is_object())
            return make_error(where + ": data.character_book must be an object, not " + std::string(book->type_name()));
        card.character_book = OS1_TRY(parse_book(*book, where + ": data.character_book"));
    }
    card.unknown_data = r.unknown();
    for (auto it = doc.begin(); it != doc.end(); ++it) {
        if (it.key() != "spec" && it.key() != "spec_version" && it.key() != "data")
            card.unknown_top[it.key()] = it.value();
    }
    if (version_read)
        *version_read = CardVersion::v2;
    return card;
}

std::string card_to_json(const CharacterCard& card, int indent) {
    json data = card.unknown_data.is_object() ? card.unknown_data : json::object();
    data["name"] = card.name;
    data["description"] = card.description;
    data["personality"] = card.personality;
    data["scenario"] = card.scenario;
    data["first_mes"] = card.first_mes;
    data["mes_example"] = card.mes_example;
    data["creator_notes"] = card.creator_notes;
    data["system_prompt"] = card.system_prompt;
    data["post_history_instructions"] = card.post_history_instructions;
    data["alternate_greetings"] = card.alternate_greetings;
    if (card.character_book)
        data["character_book"] = book_to_json(*card.character_book);
    else
        data.erase("character_book");  // a V1 card's unknown field of that name, which V2 would read as a book
    data["tags"] = card.tags;
    data["creator"] = card.creator;
    data["character_version"] = card.character_version;
    data["extensions"] = card.extensions.is_object() ? card.extensions : json::object();

    json doc = card.unknown_top.is_object() ? card.unknown_top : json::object();
    doc["spec"] = "chara_card_v2";
    doc["spec_version"] = "2.0";
    doc["data"] = std::move(data);
    return doc.dump(indent, ' ', false, json::error_handler_t::replace);
}

ErrorOr<CharacterCard> parse_card_png(std::string_view png_bytes, std::string_view origin) {
    const std::string where(origin);
    auto chunks = OS1_TRY(png::read_chunks(png_bytes, origin));
    auto text = png::find_text(chunks, "chara");
    if (!text)
        return make_error(where + ": the PNG has no \"chara\" tEXt chunk (not a character card)");
    auto decoded = base64_decode(*text);
    if (decoded.is_error())
        return make_error(where + ": chara chunk: " + decoded.error().message);
    return parse_card_json(decoded.value(), where + " (chara chunk)");
}

ErrorOr<std::string> card_to_png(const CharacterCard& card, std::string_view png_bytes) {
    std::string image = png_bytes.empty() ? png::minimal_png() : std::string(png_bytes);
    auto chunks = OS1_TRY(png::read_chunks(image, "image"));
    png::set_text(chunks, "chara", base64_encode(card_to_json(card)));
    return png::write_chunks(chunks);
}

ErrorOr<CharacterCard> load_card_file(const std::string& path) {
    std::string bytes = OS1_TRY(read_file_limited(path, max_card_file_bytes, "a character card"));
    // A PNG by its first byte (0x89 never starts JSON) or by its name, so a damaged one gets a
    // PNG error rather than a JSON one.
    std::string extension = std::filesystem::path(path).extension().string();
    for (char& c : extension)
        c = char(std::tolower(static_cast<unsigned char>(c)));
    if ((!bytes.empty() && uint8_t(bytes[0]) == 0x89) || extension == ".png")
        return parse_card_png(bytes, path);
    return parse_card_json(bytes, path);
}

}  // namespace os1::persona
