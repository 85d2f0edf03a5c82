#include "core/file-read.h"
#include "affect/vader-lexicon.h"

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

#ifndef OS1_VADER_LEXICON
#define OS1_VADER_LEXICON ""
#endif

namespace os1::affect {

namespace {

bool has_capitals(std::string_view s) {
    for (char c : s) {
        if (c >= 'A' && c <= 'Z')
            return true;
    }
    return false;
}

}  // namespace

ErrorOr<VaderLexicon> VaderLexicon::parse(std::string_view text, std::string_view origin) {
    VaderLexicon lexicon;
    lexicon.m_valences.reserve(8192);
    std::size_t line_number = 0;
    while (!text.empty()) {
        ++line_number;
        std::size_t end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        if (line.empty())
            continue;

        std::size_t tab = line.find('\t');
        if (tab == std::string_view::npos || tab == 0)
            return make_error(std::string(origin) + ":" + std::to_string(line_number) + ": expected TOKEN<TAB>VALENCE");
        std::string_view token = line.substr(0, tab);
        std::string_view rest = line.substr(tab + 1);
        std::string_view number = rest.substr(0, rest.find('\t'));

        double valence = 0.0;
        auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), valence);
        if (ec != std::errc{} || ptr != number.data() + number.size())
            return make_error(std::string(origin) + ":" + std::to_string(line_number) + ": invalid valence '" +
                              std::string(number) + "'");
        if (valence < -4.0 || valence > 4.0)
            return make_error(std::string(origin) + ":" + std::to_string(line_number) + ": valence " +
                              std::string(number) + " is outside [-4, 4]");
        if (has_capitals(token))
            continue;
        // Later duplicates win, as in the reference (it builds a dict line by line).
        lexicon.m_valences.insert_or_assign(std::string(token), valence);
    }
    if (lexicon.m_valences.empty())
        return make_error(std::string(origin) + ": the lexicon is empty");
    return lexicon;
}

ErrorOr<VaderLexicon> VaderLexicon::load(const std::filesystem::path& path) {
    // The real lexicon is about 430 KB.
    constexpr size_t k_max_lexicon_bytes = size_t(16) << 20;
    return parse(OS1_TRY(read_file_limited(path, k_max_lexicon_bytes, "the VADER lexicon")), path.string());
}

std::optional<double> VaderLexicon::find(std::string_view lowercase_token) const {
    auto it = m_valences.find(lowercase_token);
    if (it == m_valences.end())
        return std::nullopt;
    return it->second;
}

std::filesystem::path default_vader_lexicon_path() {
    if (const char* env = std::getenv("OS1_VADER_LEXICON"); env && *env)
        return env;
    std::error_code ec;
    std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        std::filesystem::path beside = self.parent_path() / "vader_lexicon.txt";
        if (std::filesystem::is_regular_file(beside, ec))
            return beside;
    }
    return OS1_VADER_LEXICON;
}

}  // namespace os1::affect
