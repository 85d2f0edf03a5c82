// Readers for conversation exports: os1's own JSONL, SillyTavern chats and ChatGPT's
// conversations.json. Each returns every turn or the first problem, never a partial list.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "core/file-read.h"
#include "core/json-nesting.h"
#include "memory/memory.h"
#include "memory/text-util.h"

namespace os1::memory {

namespace {

using nlohmann::json;

// A string field, or a number written as a string (ids are often numeric).
std::optional<std::string> id_field(const json& object, const char* key) {
    auto it = object.find(key);
    if (it == object.end())
        return std::nullopt;
    if (it->is_string())
        return it->get<std::string>();
    if (it->is_number_integer())
        return std::to_string(it->get<int64_t>());
    return std::nullopt;
}

ErrorOr<void> check_turn(const EpisodeInput& turn) {
    if (trim(turn.text).empty())
        return make_error("the text is empty");
    if (!is_valid_utf8(turn.text))
        return make_error("the text is not valid UTF-8");
    if (turn.text.size() > max_text_bytes)
        return make_error("the text of " + std::to_string(turn.text.size()) + " bytes is over the limit of " +
                          std::to_string(max_text_bytes) + " bytes");
    if (turn.role != "user" && turn.role != "assistant" && turn.role != "system")
        return make_error("role \"" + turn.role + "\" is not user, assistant or system");
    return {};
}

// The largest export that is read whole: a chat history far beyond years of daily talk.
constexpr size_t k_max_import_bytes = size_t(512) << 20;

ErrorOr<std::string> read_all(const std::filesystem::path& file) {
    return read_file_limited(file, k_max_import_bytes, "an import");
}

// Splits on '\n', dropping a trailing '\r'.
std::vector<std::string> lines_of(const std::string& data) {
    std::vector<std::string> lines;
    std::istringstream in(data);
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        lines.push_back(std::move(line));
    }
    return lines;
}

// True when `seconds` (unix time) falls in the years 0000 to 9999, as ISO 8601 times do, so that
// it converts to an int64_t and reads back as an ISO 8601 time.
bool time_in_range(double seconds) {
    return std::isfinite(seconds) && seconds >= double(earliest_time) && seconds <= double(latest_time);
}

ErrorOr<int64_t> sillytavern_time(const json& value) {
    if (value.is_number()) {
        // Milliseconds, as SillyTavern writes them, or seconds.
        const double number = value.get<double>();
        const double seconds = number > 1e11 ? number / 1000 : number;
        if (!time_in_range(seconds))
            return make_error("send_date " + value.dump() + " is not a time in the years 0000 to 9999");
        return int64_t(seconds);
    }
    if (!value.is_string())
        return make_error("send_date is missing");
    std::string text = value.get<std::string>();
    if (auto iso = parse_iso8601(text))
        return iso.value();
    for (const char* format : {"%B %d, %Y %I:%M%p", "%B %d, %Y %H:%M", "%b %d, %Y %I:%M%p", "%Y-%m-%d %H:%M:%S"}) {
        std::tm tm{};
        const char* end = strptime(text.c_str(), format, &tm);
        if (end && *end == '\0')
            return int64_t(timegm(&tm));
    }
    return make_error("send_date \"" + text + "\" is not a time this reader knows");
}

// Calls `read_line(object, number, where)` for each non-blank line of a JSON Lines file, once
// the line has proved to be UTF-8 and a JSON object; `where` is "file:number: ". The first
// error, the reader's or the line's, stops the reading.
template <typename ReadLine>
ErrorOr<void> for_each_json_line(const std::filesystem::path& file, const std::string& data, ReadLine&& read_line) {
    size_t number = 0;
    for (const std::string& line : lines_of(data)) {
        ++number;
        const std::string where = file.string() + ":" + std::to_string(number) + ": ";
        if (trim(line).empty())
            continue;
        if (!is_valid_utf8(line))
            return make_error(where + "not valid UTF-8");
        if (!json_nesting_within(line))
            return make_error(ErrorKind::InvalidInput,
                              where + "nests deeper than " + std::to_string(k_max_json_nesting) + " levels");
        json object;
        try {
            object = json::parse(line);
        } catch (const json::parse_error&) {
            return make_error(where + "not a JSON object");
        } catch (const json::exception&) {
            // out_of_range: a number beyond a double's range, such as 1e999.
            return make_error(where + "holds a number too large to represent");
        }
        if (!object.is_object())
            return make_error(where + "not a JSON object");
        OS1_TRY(read_line(object, number, where));
    }
    return {};
}

ErrorOr<std::vector<EpisodeInput>> read_os1_jsonl(const std::filesystem::path& file, const std::string& data) {
    std::vector<EpisodeInput> turns;
    std::unordered_map<std::string, std::pair<size_t, size_t>> seen;  // id -> line, index in turns
    OS1_TRY(for_each_json_line(file, data, [&](json& object, size_t number, const std::string& where) -> ErrorOr<void> {
        EpisodeInput turn;
        auto id = id_field(object, "id");
        auto conversation = id_field(object, "conversation");
        if (!id || id->empty())
            return make_error(where + "\"id\" is missing");
        if (!conversation)
            return make_error(where + "\"conversation\" is missing");
        if (!object.contains("role") || !object["role"].is_string())
            return make_error(where + "\"role\" is missing");
        if (!object.contains("text") || !object["text"].is_string())
            return make_error(where + "\"text\" is missing");
        if (!object.contains("time") || !object["time"].is_string())
            return make_error(where + "\"time\" is missing (ISO 8601, for example 2024-05-03T10:00:00Z)");
        turn.source_id = *id;
        turn.conversation = *conversation;
        turn.role = object["role"].get<std::string>();
        turn.speaker = object.contains("speaker") && object["speaker"].is_string()
                           ? object["speaker"].get<std::string>()
                           : turn.role;
        turn.text = object["text"].get<std::string>();
        auto time = parse_iso8601(object["time"].get<std::string>());
        if (time.is_error())
            return make_error(where + time.error().message);
        turn.time = time.value();
        if (auto ok = check_turn(turn); ok.is_error())
            return make_error(where + ok.error().message);
        // The same turn twice is harmless (it is stored once); one id for two turns is not.
        auto [it, added] = seen.try_emplace(turn.source_id, number, turns.size());
        if (!added) {
            const EpisodeInput& first = turns[it->second.second];
            if (first.conversation != turn.conversation || first.role != turn.role || first.text != turn.text)
                return make_error(where + "id \"" + turn.source_id + "\" repeats the id of line " +
                                  std::to_string(it->second.first) +
                                  " with a different conversation, role or text; give one of them another id");
        }
        turns.push_back(std::move(turn));
        return {};
    }));
    return turns;
}

ErrorOr<std::vector<EpisodeInput>> read_sillytavern(const std::filesystem::path& file, const std::string& data) {
    std::vector<EpisodeInput> turns;
    const std::string stem = file.stem().string();
    OS1_TRY(for_each_json_line(file, data, [&](json& object, size_t number, const std::string& where) -> ErrorOr<void> {
        if (!object.contains("mes")) {
            if (number == 1)
                return {};  // the chat's metadata line
            return make_error(where + "\"mes\" is missing");
        }
        if (!object["mes"].is_string())
            return make_error(where + "\"mes\" is not a string");
        EpisodeInput turn;
        turn.source_id = stem + ":" + std::to_string(number);
        turn.conversation = stem;
        auto flag = [&](const char* key) {
            return object.contains(key) && object[key].is_boolean() && object[key].get<bool>();
        };
        const bool is_user = flag("is_user");
        const bool is_system = flag("is_system");
        turn.role = is_user ? "user" : is_system ? "system" : "assistant";
        turn.speaker =
            object.contains("name") && object["name"].is_string() ? object["name"].get<std::string>() : turn.role;
        turn.text = object["mes"].get<std::string>();
        auto time = sillytavern_time(object.contains("send_date") ? object["send_date"] : json());
        if (time.is_error())
            return make_error(where + time.error().message);
        turn.time = time.value();
        if (trim(turn.text).empty())
            return {};  // swiped-away or empty messages
        if (auto ok = check_turn(turn); ok.is_error())
            return make_error(where + ok.error().message);
        turns.push_back(std::move(turn));
        return {};
    }));
    return turns;
}

ErrorOr<std::vector<EpisodeInput>> read_chatgpt(const std::filesystem::path& file, const std::string& data) {
    if (!is_valid_utf8(data))
        return make_error(file.string() + ": not valid UTF-8");
    if (!json_nesting_within(data))
        return make_error(ErrorKind::InvalidInput,
                          file.string() + ": nests deeper than " + std::to_string(k_max_json_nesting) + " levels");
    json doc;
    try {
        doc = json::parse(data);
    } catch (const json::parse_error& e) {
        return make_error(file.string() + ": not JSON (byte " + std::to_string(e.byte) + ")");
    } catch (const json::exception&) {
        // out_of_range: a number beyond a double's range, such as 1e999.
        return make_error(file.string() + ": holds a number too large to represent");
    }
    if (!doc.is_array())
        return make_error(file.string() + ": expected an array of conversations (conversations.json)");
    std::vector<EpisodeInput> turns;
    size_t index = 0;
    for (const json& conversation : doc) {
        ++index;
        const std::string where = file.string() + ": conversation " + std::to_string(index) + ": ";
        if (!conversation.is_object() || !conversation.contains("mapping") || !conversation["mapping"].is_object())
            return make_error(where + "no \"mapping\" object");
        std::string name = id_field(conversation, "conversation_id")
                               .value_or(id_field(conversation, "id").value_or("chatgpt-" + std::to_string(index)));
        double conversation_time = conversation.contains("create_time") && conversation["create_time"].is_number()
                                       ? conversation["create_time"].get<double>()
                                       : 0;
        std::vector<EpisodeInput> these;
        for (const auto& [node_id, node] : conversation["mapping"].items()) {
            if (!node.is_object() || !node.contains("message") || !node["message"].is_object())
                continue;
            const json& message = node["message"];
            std::string role;
            if (message.contains("author") && message["author"].is_object() && message["author"].contains("role") &&
                message["author"]["role"].is_string())
                role = message["author"]["role"].get<std::string>();
            if (role != "user" && role != "assistant")
                continue;  // system scaffolding and tool output are not conversation
            std::string text;
            if (message.contains("content") && message["content"].is_object() && message["content"].contains("parts") &&
                message["content"]["parts"].is_array())
                for (const json& part : message["content"]["parts"])
                    if (part.is_string() && !part.get<std::string>().empty())
                        text += (text.empty() ? "" : "\n") + part.get<std::string>();
            if (trim(text).empty())
                continue;
            EpisodeInput turn;
            turn.source_id = id_field(message, "id").value_or(node_id);
            turn.conversation = name;
            turn.role = role;
            turn.speaker = role;
            turn.text = text;
            double created = message.contains("create_time") && message["create_time"].is_number()
                                 ? message["create_time"].get<double>()
                                 : conversation_time;
            if (!time_in_range(created))
                return make_error(where + "message " + turn.source_id + ": create_time " + json(created).dump() +
                                  " is not a time in the years 0000 to 9999");
            turn.time = int64_t(std::floor(created));
            if (auto ok = check_turn(turn); ok.is_error())
                return make_error(where + "message " + turn.source_id + ": " + ok.error().message);
            these.push_back(std::move(turn));
        }
        std::stable_sort(these.begin(), these.end(),
                         [](const EpisodeInput& a, const EpisodeInput& b) { return a.time < b.time; });
        turns.insert(turns.end(), these.begin(), these.end());
    }
    return turns;
}

}  // namespace

ErrorOr<ImportFormat> parse_import_format(std::string_view name) {
    if (name == "os1-jsonl")
        return ImportFormat::Os1Jsonl;
    if (name == "sillytavern")
        return ImportFormat::SillyTavern;
    if (name == "chatgpt")
        return ImportFormat::ChatGpt;
    return make_error("unknown import format \"" + std::string(name) + "\" (os1-jsonl, sillytavern or chatgpt)");
}

ErrorOr<std::vector<EpisodeInput>> read_import_file(const std::filesystem::path& file, ImportFormat format) {
    const std::string data = OS1_TRY(read_all(file));
    return parse_import(data, file, format);
}

ErrorOr<std::vector<EpisodeInput>> parse_import(const std::string& data, const std::filesystem::path& file,
                                                ImportFormat format) {
    switch (format) {
        case ImportFormat::Os1Jsonl:
            return read_os1_jsonl(file, data);
        case ImportFormat::SillyTavern:
            return read_sillytavern(file, data);
        case ImportFormat::ChatGpt:
            return read_chatgpt(file, data);
    }
    return make_error("unknown import format");
}

}  // namespace os1::memory
