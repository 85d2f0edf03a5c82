#include "memory/realtalk-set.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/utf8.h"
#include "memory/memory.h"
#include "memory/text-util.h"

namespace os1::memory {

namespace {

using nlohmann::json;

std::string lower_first_word(std::string_view name) {
    size_t begin = 0;
    while (begin < name.size() && std::isspace(static_cast<unsigned char>(name[begin])))
        ++begin;
    size_t end = begin;
    while (end < name.size() && !std::isspace(static_cast<unsigned char>(name[end])))
        ++end;
    std::string out(name.substr(begin, end - begin));
    for (char& c : out)
        c = char(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::optional<int> parse_int(std::string_view text) {
    int value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

struct DiaId {
    int session = 0, turn = 0;
};

// "D3:12" or "3:12".
std::optional<DiaId> parse_dia_id(std::string_view text) {
    if (!text.empty() && text.front() == 'D')
        text.remove_prefix(1);
    size_t colon = text.find(':');
    if (colon == std::string_view::npos)
        return std::nullopt;
    auto session = parse_int(text.substr(0, colon));
    auto turn = parse_int(text.substr(colon + 1));
    if (!session || !turn)
        return std::nullopt;
    return DiaId{*session, *turn};
}

std::string dia_id(int session, int turn) {
    return "D" + std::to_string(session) + ":" + std::to_string(turn);
}

// One piece of a label, such as "D12:3-D12:5" or "D5:3.", as dia_ids.
void add_piece(std::string piece, std::vector<std::string>& out) {
    while (!piece.empty() && (piece.back() == '.' || piece.back() == ':'))
        piece.pop_back();
    if (piece.empty())
        return;
    if (size_t dash = piece.find('-'); dash != std::string::npos) {
        auto first = parse_dia_id(std::string_view(piece).substr(0, dash));
        std::string_view rest = std::string_view(piece).substr(dash + 1);
        std::optional<DiaId> last = parse_dia_id(rest);
        if (!last && first)
            if (auto turn = parse_int(rest))
                last = DiaId{first->session, *turn};  // "D12:3-5"
        if (first && last && first->session == last->session && first->turn <= last->turn &&
            last->turn - first->turn < 200) {
            for (int turn = first->turn; turn <= last->turn; ++turn)
                out.push_back(dia_id(first->session, turn));
            return;
        }
    }
    // Ids run together: "D13:45:D20:19".
    if (size_t joined = piece.find(":D", 1); joined != std::string::npos) {
        add_piece(piece.substr(0, joined), out);
        add_piece(piece.substr(joined + 1), out);
        return;
    }
    if (auto id = parse_dia_id(piece)) {
        out.push_back(dia_id(id->session, id->turn));
        return;
    }
    out.push_back(piece);
}

ErrorOr<int64_t> parse_realtalk_time(const std::string& text) {
    // "29.12.2023, 22:42:04"
    std::tm tm{};
    const char* end = strptime(text.c_str(), "%d.%m.%Y, %H:%M:%S", &tm);
    if (!end || *end != '\0')
        return make_error(ErrorKind::InvalidInput, "date_time \"" + text + "\" is not DD.MM.YYYY, HH:MM:SS");
    return int64_t(timegm(&tm));
}

std::optional<int> chat_number(const std::string& stem) {
    constexpr std::string_view prefix = "Chat_";
    if (!stem.starts_with(prefix))
        return std::nullopt;
    size_t end = stem.find('_', prefix.size());
    return parse_int(std::string_view(stem).substr(prefix.size(),
                                                   end == std::string::npos ? std::string::npos : end - prefix.size()));
}

}  // namespace

std::vector<std::string> normalise_evidence(const std::vector<std::string>& labels) {
    std::vector<std::string> out;
    for (const std::string& label : labels) {
        // "D 2:18": a space after the D is a typo, not a separator.
        std::string text;
        for (size_t i = 0; i < label.size(); ++i) {
            text += label[i];
            if (label[i] == 'D')
                while (i + 1 < label.size() && label[i + 1] == ' ')
                    ++i;
        }
        std::string piece;
        for (char c : text + ' ') {
            if (c == ';' || c == ',' || std::isspace(static_cast<unsigned char>(c))) {
                add_piece(piece, out);
                piece.clear();
                continue;
            }
            piece += c;
        }
    }
    std::vector<std::string> unique;
    for (std::string& id : out)
        if (std::find(unique.begin(), unique.end(), id) == unique.end())
            unique.push_back(std::move(id));
    return unique;
}

bool same_first_name(std::string_view a, std::string_view b) {
    return lower_first_word(a) == lower_first_word(b);
}

ErrorOr<RealtalkChat> read_realtalk_chat(const std::filesystem::path& file) {
    const std::string where = file.string() + ": ";
    std::ifstream in(file, std::ios::binary);
    if (!in)
        return make_error(ErrorKind::NotFound, where + "cannot open the file");
    std::ostringstream data;
    data << in.rdbuf();
    json doc = json::parse(data.str(), nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
        return make_error(ErrorKind::InvalidInput, where + "not a JSON object");
    RealtalkChat chat;
    chat.name = file.stem().string();
    chat.number = chat_number(chat.name).value_or(0);
    const json* names = doc.contains("name") ? &doc["name"] : nullptr;
    if (!names || !names->is_object() || !names->contains("speaker_1") || !names->contains("speaker_2") ||
        !(*names)["speaker_1"].is_string() || !(*names)["speaker_2"].is_string())
        return make_error(ErrorKind::InvalidInput, where + "\"name\" lacks speaker_1 or speaker_2");
    chat.speaker_1 = (*names)["speaker_1"].get<std::string>();
    chat.speaker_2 = (*names)["speaker_2"].get<std::string>();

    for (int session = 1; doc.contains("session_" + std::to_string(session)); ++session) {
        const json& turns = doc["session_" + std::to_string(session)];
        if (!turns.is_array())
            return make_error(ErrorKind::InvalidInput, where + "session_" + std::to_string(session) + " is not a list");
        for (const json& t : turns) {
            const std::string at = where + "session_" + std::to_string(session) + ": ";
            for (const char* key : {"dia_id", "speaker", "clean_text", "date_time"})
                if (!t.is_object() || !t.contains(key) || !t[key].is_string())
                    return make_error(ErrorKind::InvalidInput, at + "a turn lacks \"" + std::string(key) + "\"");
            RealtalkTurn turn;
            turn.id = t["dia_id"].get<std::string>();
            turn.session = session;
            turn.speaker = t["speaker"].get<std::string>();
            turn.text = t["clean_text"].get<std::string>();
            auto time = parse_realtalk_time(t["date_time"].get<std::string>());
            if (time.is_error())
                return make_error(ErrorKind::InvalidInput, at + turn.id + ": " + time.error().message);
            turn.time = time.value();
            if (!is_valid_utf8(turn.text))
                return make_error(ErrorKind::InvalidInput, at + turn.id + ": the text is not valid UTF-8");
            chat.turns.push_back(std::move(turn));
        }
    }
    if (chat.turns.empty())
        return make_error(ErrorKind::InvalidInput, where + "no session_1 with turns");

    if (!doc.contains("qa") || !doc["qa"].is_array())
        return make_error(ErrorKind::InvalidInput, where + "no \"qa\" list");
    for (const json& q : doc["qa"]) {
        if (!q.is_object() || !q.contains("question") || !q["question"].is_string())
            return make_error(ErrorKind::InvalidInput, where + "a question lacks its text");
        RealtalkQuestion question;
        question.question = q["question"].get<std::string>();
        if (q.contains("answer") && q["answer"].is_string())
            question.answer = q["answer"].get<std::string>();
        if (q.contains("category") && q["category"].is_number_integer())
            question.category = q["category"].get<int>();
        std::vector<std::string> labels;
        if (q.contains("evidence") && q["evidence"].is_array())
            for (const json& e : q["evidence"])
                if (e.is_string())
                    labels.push_back(e.get<std::string>());
        question.evidence = normalise_evidence(labels);
        chat.questions.push_back(std::move(question));
    }
    return chat;
}

ErrorOr<std::vector<RealtalkChat>> read_realtalk(const std::filesystem::path& dir) {
    std::error_code ec;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (entry.path().extension() == ".json" && chat_number(entry.path().stem().string()))
            files.push_back(entry.path());
    }
    if (ec)
        return make_error(ErrorKind::NotFound, dir.string() + ": cannot read the folder (" + ec.message() + ")");
    if (files.empty())
        return make_error(ErrorKind::NotFound, dir.string() + ": no REALTALK chats (Chat_<n>_<names>.json) in it");
    std::vector<RealtalkChat> chats;
    for (const auto& file : files)
        chats.push_back(OS1_TRY(read_realtalk_chat(file)));
    std::stable_sort(chats.begin(), chats.end(),
                     [](const RealtalkChat& a, const RealtalkChat& b) { return a.number < b.number; });
    return chats;
}

std::string to_os1_jsonl(const RealtalkChat& chat) {
    std::string out;
    for (const RealtalkTurn& turn : chat.turns) {
        if (trim(turn.text).empty())
            continue;  // an import refuses empty turns, and such a turn answers nothing
        json line = {{"id", turn.id},
                     {"conversation", "session_" + std::to_string(turn.session)},
                     {"speaker", turn.speaker},
                     {"role", same_first_name(turn.speaker, chat.speaker_1) ? "user" : "assistant"},
                     {"time", format_iso8601(turn.time)},
                     {"text", turn.text}};
        out += line.dump() + "\n";
    }
    return out;
}

}  // namespace os1::memory
