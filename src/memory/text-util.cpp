#include "memory/text-util.h"

#include <cctype>

namespace os1::memory {

std::string trim(std::string_view text) {
    size_t begin = 0, end = text.size();
    while (begin < end && std::isspace(static_cast<unsigned char>(text[begin])))
        ++begin;
    while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1])))
        --end;
    return std::string(text.substr(begin, end - begin));
}

std::string normalize(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    bool space = false;
    for (char c : text) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x80 && !std::isalnum(u)) {
            space = true;
            continue;
        }
        if (space && !out.empty())
            out += ' ';
        space = false;
        out += char(std::tolower(u));
    }
    return out;
}

std::vector<std::string> words(std::string_view text) {
    std::vector<std::string> out;
    std::string n = normalize(text);
    size_t start = 0;
    while (start < n.size()) {
        size_t end = n.find(' ', start);
        if (end == std::string::npos)
            end = n.size();
        out.push_back(n.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

}  // namespace os1::memory
