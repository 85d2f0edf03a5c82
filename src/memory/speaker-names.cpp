#include "memory/speaker-names.h"

#include <algorithm>
#include <cctype>

#include "memory/text-util.h"

namespace os1::memory {

namespace {

// Lowercase with every run of one letter kept once: "Muhhamed" -> "muhamed".
std::string canonical(std::string_view word) {
    std::string out;
    for (char c : word) {
        c = char(std::tolower(static_cast<unsigned char>(c)));
        if (out.empty() || out.back() != c)
            out += c;
    }
    return out;
}

// Levenshtein distance, stopping early above 1.
bool within_one_edit(const std::string& a, const std::string& b) {
    if (a.size() > b.size())
        return within_one_edit(b, a);
    if (b.size() - a.size() > 1)
        return false;
    size_t i = 0;
    while (i < a.size() && a[i] == b[i])
        ++i;
    if (a.size() == b.size())
        return a.compare(i + 1, std::string::npos, b, i + 1, std::string::npos) == 0;
    return a.compare(i, std::string::npos, b, i + 1, std::string::npos) == 0;
}

bool names(const std::string& word, const std::string& name_word) {
    if (word == name_word)
        return true;
    const std::string a = canonical(word), b = canonical(name_word);
    if (a == b)
        return true;
    return a.size() >= 4 && b.size() >= 4 && a[0] == b[0] && within_one_edit(a, b);
}

// The capitalised words of `text`: runs of ASCII letters that start with an uppercase one.
std::vector<std::string> capitalised_words(std::string_view text) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < text.size()) {
        if (!std::isalpha(static_cast<unsigned char>(text[i]))) {
            ++i;
            continue;
        }
        size_t end = i;
        while (end < text.size() && std::isalpha(static_cast<unsigned char>(text[end])))
            ++end;
        if (std::isupper(static_cast<unsigned char>(text[i])))
            out.push_back(std::string(text.substr(i, end - i)));
        i = end;
    }
    return out;
}

}  // namespace

NamedSpeakers named_speakers(std::string_view query, const std::vector<std::string>& speakers) {
    NamedSpeakers out;
    const std::vector<std::string> candidates = capitalised_words(query);
    for (const std::string& speaker : speakers) {
        bool named = false;
        for (const std::string& name_word : words(speaker)) {
            if (name_word.size() < 2)
                continue;
            for (const std::string& candidate : candidates) {
                std::string word = candidate;
                for (char& c : word)
                    c = char(std::tolower(static_cast<unsigned char>(c)));
                if (!names(word, name_word))
                    continue;
                named = true;
                if (std::find(out.words.begin(), out.words.end(), word) == out.words.end())
                    out.words.push_back(word);
            }
        }
        if (named)
            out.speakers.push_back(speaker);
    }
    return out;
}

bool speaks_in_first_person(std::string_view text) {
    for (const std::string& w : words(text)) {
        if (w == "i" || w == "my" || w == "me" || w == "mine" || w == "myself" || w == "im" || w == "ive")
            return true;
        // "I’m", "I’ve": a typographic apostrophe is not ASCII punctuation, so the word stays whole.
        if (w.starts_with("i\xE2\x80\x99"))
            return true;
    }
    return false;
}

}  // namespace os1::memory
