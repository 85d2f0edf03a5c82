// The VADER sentiment lexicon (vader_lexicon.txt from the npm package vader-sentiment): one rated
// token per line, "TOKEN<TAB>MEAN<TAB>STDDEV<TAB>[RATINGS]". Loaded once into a hash map; lookups
// are read-only and safe from any number of threads.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/error.h"

namespace os1::affect {

class VaderLexicon {
public:
    // Reads and parses the lexicon file at `path`.
    static ErrorOr<VaderLexicon> load(const std::filesystem::path& path);

    // Parses lexicon text; `origin` names the source in error messages ("vader_lexicon.txt").
    static ErrorOr<VaderLexicon> parse(std::string_view text, std::string_view origin);

    // The mean valence of a lowercase token, or nothing when the token is not rated. Entries
    // that contain capitals are unreachable in the reference implementation (it lowercases the
    // token before the lookup), so they are not stored.
    std::optional<double> find(std::string_view lowercase_token) const;
    bool contains(std::string_view lowercase_token) const { return find(lowercase_token).has_value(); }

    std::size_t size() const { return m_valences.size(); }

private:
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };

    std::unordered_map<std::string, double, Hash, std::equal_to<>> m_valences;
};

// Where the lexicon is looked for: $OS1_VADER_LEXICON when set, else vader_lexicon.txt beside
// the running executable (where `cmake --install` puts it), else the path compiled in from the
// source tree's node_modules.
std::filesystem::path default_vader_lexicon_path();

}  // namespace os1::affect
