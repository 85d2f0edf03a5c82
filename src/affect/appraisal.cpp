// How a message is appraised, and why:
//
// Valence is VADER's compound with its neutral band removed: VADER's authors call |c| < 0.05
// neutral, so small talk should not nudge the mood at all. Outside the band the scale is
// stretched back to reach +-1.
//
// Emotions come from cue words and short phrases (VADER has no per-emotion lexicon). Each cue has
// a weight near 1 for an unambiguous word ("furious") and lower for a hedged one ("damn"); the
// weights of one emotion add up and saturate as 1 - exp(-sum), so one clear cue gives about
// 0.63 and two about 0.86. Around a cue:
//  - a negation within the three words before it, in the same clause, cancels the cue ("not
//    happy", "no thanks", "don’t worry"); a cancelled joy cue counts half as sadness, because
//    "not happy" reads as mildly sad while "not sad" does not read as happy;
//  - an intensifier right before it ("so", "really") or right after it ("thanks so much",
//    "thanks a lot") multiplies it by 1.5 and a dampener ("a bit", "kind of") before it by 0.6;
//    an ALL-CAPS cue in mixed-case text by 1.3;
//  - elongated words are matched by their short form ("sooo happyyy" -> "so happy");
//  - emoticons are never negated by words, and a negation that is part of a cue phrase ("can't
//    wait", "no one") negates nothing after it.
// Tone adds what words miss: positive valence adds to joy, and negative valence adds to sadness
// when nothing signals anger or fear (sadness is the usual unnamed negative state in a chat).
// Not when a cue was negated, though: VADER scores "not sad" as positive, which is not joy.
// Exclamation marks intensify the high-energy emotions (joy, anger, fear, surprise), and "?!"
// signals surprise.
//
// Arousal starts from a resting 0.1 and rises with the signs of activation people use in text:
// strong sentiment either way (|compound|), exclamation marks, capitals used for emphasis or
// shouting, intensifiers, elongated words, repeated question marks, words that name a high- or
// low-energy state ("hyped", "exhausted"), and the high-energy emotions found above; sadness and
// loneliness pull it down.
#include "affect/appraisal.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "affect/text.h"

namespace os1::affect {

namespace {

using detail::Token;
using detail::TokenizedText;

struct CueSpec {
    std::string_view phrase;  // one to three lowercase words separated by single spaces
    Emotion emotion;
    double weight;
};

// clang-format off
constexpr CueSpec cue_specs[] = {
    // joy
    {"happy", Emotion::joy, 1.0}, {"happier", Emotion::joy, 0.9}, {"happiest", Emotion::joy, 1.0},
    {"glad", Emotion::joy, 0.8}, {"joy", Emotion::joy, 1.0}, {"joyful", Emotion::joy, 1.0},
    {"delighted", Emotion::joy, 1.0}, {"thrilled", Emotion::joy, 1.0}, {"ecstatic", Emotion::joy, 1.0},
    {"overjoyed", Emotion::joy, 1.0}, {"excited", Emotion::joy, 0.9}, {"yay", Emotion::joy, 0.9},
    {"hooray", Emotion::joy, 0.9}, {"woohoo", Emotion::joy, 0.9}, {"yippee", Emotion::joy, 0.9},
    {"awesome", Emotion::joy, 0.6}, {"amazing", Emotion::joy, 0.6}, {"wonderful", Emotion::joy, 0.7},
    {"fantastic", Emotion::joy, 0.7}, {"great", Emotion::joy, 0.4}, {"fun", Emotion::joy, 0.6},
    {"enjoy", Emotion::joy, 0.6}, {"enjoyed", Emotion::joy, 0.6}, {"enjoying", Emotion::joy, 0.6},
    {"cheerful", Emotion::joy, 0.9}, {"laughing", Emotion::joy, 0.6}, {"haha", Emotion::joy, 0.6},
    {"hahaha", Emotion::joy, 0.7}, {"lol", Emotion::joy, 0.4}, {"lmao", Emotion::joy, 0.5},
    {"proud", Emotion::joy, 0.7}, {"pleased", Emotion::joy, 0.7}, {"relieved", Emotion::joy, 0.6},
    {"celebrate", Emotion::joy, 0.8}, {"celebrating", Emotion::joy, 0.8}, {"blessed", Emotion::joy, 0.6},
    {"can't wait", Emotion::joy, 0.8}, {"cannot wait", Emotion::joy, 0.8}, {"made my day", Emotion::joy, 1.0}, {"over the moon", Emotion::joy, 1.0}, {"feel good", Emotion::joy, 0.7},
    {":)", Emotion::joy, 0.6}, {":-)", Emotion::joy, 0.6}, {":d", Emotion::joy, 0.8}, {"=)", Emotion::joy, 0.5},

    // sadness
    {"sad", Emotion::sadness, 1.0}, {"sadder", Emotion::sadness, 1.0}, {"saddest", Emotion::sadness, 1.0},
    {"unhappy", Emotion::sadness, 1.0}, {"depressed", Emotion::sadness, 1.0}, {"depressing", Emotion::sadness, 0.8},
    {"miserable", Emotion::sadness, 1.0}, {"heartbroken", Emotion::sadness, 1.0}, {"broken heart", Emotion::sadness, 1.0},
    {"cry", Emotion::sadness, 0.9}, {"crying", Emotion::sadness, 1.0}, {"cried", Emotion::sadness, 0.9},
    {"tears", Emotion::sadness, 0.8}, {"sobbing", Emotion::sadness, 1.0}, {"grief", Emotion::sadness, 1.0},
    {"grieving", Emotion::sadness, 1.0}, {"mourning", Emotion::sadness, 0.9}, {"sorrow", Emotion::sadness, 1.0},
    {"gloomy", Emotion::sadness, 0.8}, {"hopeless", Emotion::sadness, 1.0}, {"devastated", Emotion::sadness, 1.0},
    {"upset", Emotion::sadness, 0.7}, {"hurt", Emotion::sadness, 0.6}, {"hurts", Emotion::sadness, 0.6},
    {"disappointed", Emotion::sadness, 0.7}, {"regret", Emotion::sadness, 0.6}, {"passed away", Emotion::sadness, 1.0},
    {"died", Emotion::sadness, 0.7}, {"funeral", Emotion::sadness, 0.7}, {"feel empty", Emotion::sadness, 0.8},
    {"feeling down", Emotion::sadness, 0.8}, {"feel down", Emotion::sadness, 0.8}, {"feeling low", Emotion::sadness, 0.8},
    {":(", Emotion::sadness, 0.7}, {":-(", Emotion::sadness, 0.7}, {":'(", Emotion::sadness, 1.0}, {"):", Emotion::sadness, 0.6},

    // anger
    {"angry", Emotion::anger, 1.0}, {"mad", Emotion::anger, 0.8}, {"furious", Emotion::anger, 1.0},
    {"livid", Emotion::anger, 1.0}, {"pissed", Emotion::anger, 0.9}, {"annoyed", Emotion::anger, 0.8},
    {"annoying", Emotion::anger, 0.7}, {"irritated", Emotion::anger, 0.8}, {"irritating", Emotion::anger, 0.7},
    {"frustrated", Emotion::anger, 0.8}, {"frustrating", Emotion::anger, 0.7}, {"hate", Emotion::anger, 0.8},
    {"hated", Emotion::anger, 0.8}, {"hates", Emotion::anger, 0.8}, {"rage", Emotion::anger, 1.0},
    {"outraged", Emotion::anger, 1.0}, {"infuriating", Emotion::anger, 1.0}, {"infuriated", Emotion::anger, 1.0},
    {"resent", Emotion::anger, 0.8}, {"fed up", Emotion::anger, 0.9}, {"sick of", Emotion::anger, 0.8},
    {"had enough", Emotion::anger, 0.8}, {"shut up", Emotion::anger, 0.8}, {"wtf", Emotion::anger, 0.7},
    {"damn", Emotion::anger, 0.4}, {"dammit", Emotion::anger, 0.6}, {"ugh", Emotion::anger, 0.5},
    {"argh", Emotion::anger, 0.6}, {"idiot", Emotion::anger, 0.7}, {"stupid", Emotion::anger, 0.5},
    {"unfair", Emotion::anger, 0.6}, {">:(", Emotion::anger, 1.0},

    // fear
    {"scared", Emotion::fear, 1.0}, {"afraid", Emotion::fear, 1.0}, {"fear", Emotion::fear, 0.8},
    {"terrified", Emotion::fear, 1.0}, {"frightened", Emotion::fear, 1.0}, {"anxious", Emotion::fear, 0.9},
    {"anxiety", Emotion::fear, 0.9}, {"worried", Emotion::fear, 0.8}, {"worry", Emotion::fear, 0.7},
    {"worrying", Emotion::fear, 0.7}, {"nervous", Emotion::fear, 0.8}, {"panic", Emotion::fear, 1.0},
    {"panicking", Emotion::fear, 1.0}, {"freaking out", Emotion::fear, 0.9}, {"dread", Emotion::fear, 0.9},
    {"dreading", Emotion::fear, 0.9}, {"uneasy", Emotion::fear, 0.7}, {"stressed", Emotion::fear, 0.6},
    {"terrifying", Emotion::fear, 0.9}, {"scary", Emotion::fear, 0.8}, {"creepy", Emotion::fear, 0.6},
    {"unsafe", Emotion::fear, 0.8}, {"threatened", Emotion::fear, 0.8}, {"what if", Emotion::fear, 0.4},

    // surprise
    {"wow", Emotion::surprise, 0.8}, {"whoa", Emotion::surprise, 0.8}, {"woah", Emotion::surprise, 0.8},
    {"omg", Emotion::surprise, 0.7}, {"oh my god", Emotion::surprise, 0.8}, {"oh my gosh", Emotion::surprise, 0.8},
    {"surprised", Emotion::surprise, 1.0}, {"surprise", Emotion::surprise, 0.7}, {"surprising", Emotion::surprise, 0.8},
    {"shocked", Emotion::surprise, 1.0}, {"shocking", Emotion::surprise, 0.8}, {"unexpected", Emotion::surprise, 0.7},
    {"unexpectedly", Emotion::surprise, 0.7}, {"suddenly", Emotion::surprise, 0.4}, {"can't believe", Emotion::surprise, 0.8},
    {"cannot believe", Emotion::surprise, 0.8}, {"no way", Emotion::surprise, 0.6}, {"unbelievable", Emotion::surprise, 0.7},
    {"astonished", Emotion::surprise, 1.0}, {"amazed", Emotion::surprise, 0.8}, {"stunned", Emotion::surprise, 0.9},
    {"speechless", Emotion::surprise, 0.7}, {"didn't expect", Emotion::surprise, 0.8}, {"did not expect", Emotion::surprise, 0.8},
    {"never expected", Emotion::surprise, 0.8}, {"out of nowhere", Emotion::surprise, 0.6}, {":o", Emotion::surprise, 0.7},

    // affection
    {"love you", Emotion::affection, 1.0}, {"luv you", Emotion::affection, 1.0},
    {"ily", Emotion::affection, 1.0}, {"love", Emotion::affection, 0.5}, {"loved", Emotion::affection, 0.4},
    {"loving", Emotion::affection, 0.5}, {"adore", Emotion::affection, 0.9}, {"hug", Emotion::affection, 0.8},
    {"hugs", Emotion::affection, 0.8}, {"<3", Emotion::affection, 0.8}, {"xoxo", Emotion::affection, 0.9},
    {"cuddle", Emotion::affection, 0.9}, {"cuddles", Emotion::affection, 0.9}, {"kiss", Emotion::affection, 0.6},
    {"kisses", Emotion::affection, 0.7}, {"darling", Emotion::affection, 0.7}, {"sweetheart", Emotion::affection, 0.7},
    {"fond", Emotion::affection, 0.6}, {"care about you", Emotion::affection, 1.0}, {"miss you", Emotion::affection, 0.6},
    {"like you", Emotion::affection, 0.5}, {"proud of you", Emotion::affection, 0.7}, {"thinking of you", Emotion::affection, 0.8},
    {"thinking about you", Emotion::affection, 0.8}, {"you're the best", Emotion::affection, 0.8},

    // loneliness
    {"lonely", Emotion::loneliness, 1.0}, {"loneliness", Emotion::loneliness, 1.0}, {"lonesome", Emotion::loneliness, 1.0},
    {"alone", Emotion::loneliness, 0.7}, {"all alone", Emotion::loneliness, 1.0}, {"isolated", Emotion::loneliness, 0.9},
    {"no one", Emotion::loneliness, 0.5}, {"nobody", Emotion::loneliness, 0.5}, {"by myself", Emotion::loneliness, 0.5},
    {"on my own", Emotion::loneliness, 0.5}, {"left out", Emotion::loneliness, 0.8}, {"abandoned", Emotion::loneliness, 0.9},
    {"ignored", Emotion::loneliness, 0.7}, {"no friends", Emotion::loneliness, 1.0}, {"miss you", Emotion::loneliness, 0.5},
    {"miss", Emotion::loneliness, 0.4}, {"nobody cares", Emotion::loneliness, 1.0}, {"no one cares", Emotion::loneliness, 1.0},
    {"forgotten", Emotion::loneliness, 0.6}, {"unwanted", Emotion::loneliness, 0.8},

    // gratitude
    {"thanks", Emotion::gratitude, 1.0}, {"thank", Emotion::gratitude, 0.9}, {"thank you", Emotion::gratitude, 1.0},
    {"thx", Emotion::gratitude, 0.9}, {"ty", Emotion::gratitude, 0.7}, {"tysm", Emotion::gratitude, 1.0},
    {"grateful", Emotion::gratitude, 1.0}, {"thankful", Emotion::gratitude, 1.0}, {"appreciate", Emotion::gratitude, 0.9},
    {"appreciated", Emotion::gratitude, 0.8}, {"appreciate it", Emotion::gratitude, 1.0}, {"means a lot", Emotion::gratitude, 0.8},
    {"gracias", Emotion::gratitude, 0.9}, {"merci", Emotion::gratitude, 0.9}, {"you're the best", Emotion::gratitude, 0.5},
};

// Words that raise or lower how activated a message sounds without naming an emotion.
constexpr std::pair<std::string_view, double> arousal_words[] = {
    {"excited", 0.12}, {"hyped", 0.12}, {"pumped", 0.12}, {"energized", 0.12}, {"thrilled", 0.12},
    {"ecstatic", 0.12}, {"furious", 0.12}, {"terrified", 0.12}, {"panic", 0.12}, {"panicking", 0.12},
    {"omg", 0.12}, {"wow", 0.08}, {"scream", 0.12}, {"screaming", 0.12}, {"hurry", 0.1}, {"urgent", 0.12},
    {"asap", 0.1}, {"emergency", 0.12}, {"insane", 0.1}, {"crazy", 0.08}, {"wtf", 0.12},
    {"tired", -0.12}, {"sleepy", -0.12}, {"exhausted", -0.12}, {"drained", -0.12}, {"calm", -0.12},
    {"relaxed", -0.12}, {"chill", -0.1}, {"chilling", -0.1}, {"peaceful", -0.12}, {"bored", -0.12},
    {"boring", -0.1}, {"meh", -0.1}, {"lazy", -0.1}, {"quiet", -0.08}, {"mellow", -0.1}, {"sluggish", -0.12},
    {"yawn", -0.12}, {"zzz", -0.12},
};
// clang-format on

// Words whose presence before a cue makes it stronger or weaker.
const std::unordered_set<std::string_view>& intensifiers() {
    static const std::unordered_set<std::string_view> words = {
        "very",    "so",    "really",     "extremely", "totally", "super",    "incredibly", "absolutely",
        "deeply",  "truly", "too",        "terribly",  "awfully", "insanely", "seriously",  "freaking",
        "fucking", "hella", "completely", "utterly",   "such",    "soo",      "mega",       "majorly",
    };
    return words;
}

const std::unordered_set<std::string_view>& dampeners() {
    static const std::unordered_set<std::string_view> words = {
        "bit", "little", "slightly", "somewhat", "kinda", "sorta", "mildly", "abit", "fairly", "rather",
    };
    return words;
}

// Negation for cues: VADER's negation words plus "no" and "nobody" ("no thanks", "nobody loves
// me").
const std::unordered_set<std::string_view>& cue_negations() {
    static const std::unordered_set<std::string_view> words = {
        "not",   "no",      "never",  "nobody",  "noone",    "none",    "nothing", "nowhere", "neither",
        "nor",   "without", "cannot", "cant",    "dont",     "didnt",   "doesnt",  "isnt",    "wasnt",
        "arent", "werent",  "wont",   "wouldnt", "shouldnt", "couldnt", "havent",  "hasnt",   "hadnt",
        "aint",  "nope",    "rarely", "seldom",  "hardly",   "barely",
    };
    return words;
}

bool negates(std::string_view word) {
    return cue_negations().contains(word) || word.find("n't") != std::string_view::npos;
}

// Words that open a new clause for negation scope ("not great but happy").
bool starts_contrast(std::string_view word) {
    return word == "but" || word == "although" || word == "though" || word == "however" || word == "yet";
}

struct Cue {
    std::array<std::string_view, 3> words;
    std::size_t length;
    Emotion emotion;
    double weight;
};

struct CueIndex {
    std::unordered_map<std::string_view, std::vector<Cue>> by_first_word;
    std::unordered_map<std::string_view, double> arousal;
    std::unordered_set<std::string_view> known_words;  // every word any rule looks for
};

const CueIndex& cue_index() {
    static const CueIndex index = [] {
        CueIndex built;
        for (const CueSpec& spec : cue_specs) {
            Cue cue{{}, 0, spec.emotion, spec.weight};
            std::string_view rest = spec.phrase;
            while (!rest.empty() && cue.length < cue.words.size()) {
                std::size_t space = rest.find(' ');
                std::string_view word = rest.substr(0, space);
                rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
                // The tokenizer drops one-letter words, so "means a lot" is matched as "means lot".
                if (word.size() > 1)
                    cue.words[cue.length++] = word;
            }
            for (std::size_t k = 0; k < cue.length; ++k)
                built.known_words.insert(cue.words[k]);
            built.by_first_word[cue.words[0]].push_back(cue);
        }
        for (auto [word, delta] : arousal_words) {
            built.arousal.emplace(word, delta);
            built.known_words.insert(word);
        }
        for (std::string_view word : intensifiers())
            built.known_words.insert(word);
        for (std::string_view word : dampeners())
            built.known_words.insert(word);
        return built;
    }();
    return index;
}

// Collapses runs of three or more equal characters to `keep` characters ("sooo" -> "so").
std::string squeeze(std::string_view word, std::size_t keep) {
    std::string out;
    out.reserve(word.size());
    for (std::size_t i = 0; i < word.size();) {
        std::size_t j = i;
        while (j < word.size() && word[j] == word[i])
            ++j;
        std::size_t run = j - i;
        out.append(run >= 3 ? keep : run, word[i]);
        i = j;
    }
    return out;
}

bool is_elongated(std::string_view word) {
    for (std::size_t i = 2; i < word.size(); ++i) {
        if (word[i] == word[i - 1] && word[i] == word[i - 2] && word[i] >= 'a' && word[i] <= 'z')
            return true;
    }
    return false;
}

double saturate(double sum) {
    return sum <= 0 ? 0.0 : 1.0 - std::exp(-sum);
}

}  // namespace

std::string_view emotion_name(Emotion emotion) {
    switch (emotion) {
        case Emotion::joy:
            return "joy";
        case Emotion::sadness:
            return "sadness";
        case Emotion::anger:
            return "anger";
        case Emotion::fear:
            return "fear";
        case Emotion::surprise:
            return "surprise";
        case Emotion::affection:
            return "affection";
        case Emotion::loneliness:
            return "loneliness";
        case Emotion::gratitude:
            return "gratitude";
    }
    return "unknown";
}

std::optional<Emotion> emotion_from_name(std::string_view name) {
    for (Emotion e : all_emotions) {
        if (emotion_name(e) == name)
            return e;
    }
    return std::nullopt;
}

std::optional<Emotion> EmotionScores::dominant(double threshold) const {
    std::optional<Emotion> best;
    double best_score = threshold;
    for (Emotion e : all_emotions) {
        if ((*this)[e] >= best_score && (!best || (*this)[e] > (*this)[*best])) {
            best = e;
            best_score = (*this)[e];
        }
    }
    return best;
}

double EmotionScores::strongest() const {
    return *std::max_element(values.begin(), values.end());
}

ErrorOr<Appraiser> Appraiser::load(const std::filesystem::path& lexicon_path) {
    VaderAnalyzer analyzer = OS1_TRY(VaderAnalyzer::load(lexicon_path));
    return Appraiser(std::move(analyzer));
}

Appraisal Appraiser::appraise(std::string_view text) const {
    Appraisal result;
    const SentimentScores sentiment = m_analyzer.polarity_scores(text);
    result.compound = sentiment.compound;
    const double magnitude = std::fabs(sentiment.compound);
    if (magnitude >= 0.05)
        result.valence = std::copysign(std::min(1.0, (magnitude - 0.05) / 0.95), sentiment.compound);

    const TokenizedText tokens(text, m_analyzer.lexicon());
    const CueIndex& index = cue_index();
    const std::size_t n = tokens.size();

    // The form each token is matched by: lowercase, and elongations squeezed to a known word.
    std::vector<std::string> squeezed;
    squeezed.reserve(n);
    std::vector<std::string_view> words(n);
    bool elongated = false;
    for (std::size_t i = 0; i < n; ++i) {
        words[i] = tokens[i].lower;
        if (!is_elongated(words[i]) || index.known_words.contains(words[i]))
            continue;
        elongated = true;
        std::string two = squeeze(words[i], 2);
        squeezed.push_back(index.known_words.contains(two) ? std::move(two) : squeeze(words[i], 1));
        words[i] = squeezed.back();
    }

    // Cue matches per position: per emotion, the strongest cue starting there ("thank you" over
    // "thank"). Words inside a multi-word cue ("can't wait", "no one") are not negations.
    std::vector<std::array<double, emotion_count>> matches(n);
    std::vector<std::size_t> match_end(n, 0);
    std::vector<bool> in_phrase(n, false);
    for (std::size_t i = 0; i < n; ++i) {
        auto it = index.by_first_word.find(words[i]);
        if (it == index.by_first_word.end())
            continue;
        for (const Cue& cue : it->second) {
            if (i + cue.length > n)
                continue;
            bool same = true;
            for (std::size_t k = 1; k < cue.length && same; ++k)
                same = words[i + k] == cue.words[k] && !tokens[i + k - 1].ends_clause;
            if (!same)
                continue;
            auto slot = static_cast<std::size_t>(cue.emotion);
            matches[i][slot] = std::max(matches[i][slot], cue.weight);
            match_end[i] = std::max(match_end[i], i + cue.length);
            for (std::size_t k = 0; cue.length > 1 && k < cue.length; ++k)
                in_phrase[i + k] = true;
        }
    }

    auto negated_before = [&](std::size_t i) {
        for (std::size_t back = 1; back <= 3 && back <= i; ++back) {
            std::size_t j = i - back;
            if (tokens[j].ends_clause || starts_contrast(words[j]))
                return false;
            if (!in_phrase[j] && negates(words[j]))
                return true;
        }
        return false;
    };
    auto modifier_before = [&](std::size_t i) {
        if (i == 0 || tokens[i - 1].ends_clause)
            return 1.0;
        std::string_view prev = words[i - 1];
        if (intensifiers().contains(prev))
            return 1.5;
        if (dampeners().contains(prev))
            return 0.6;
        if (prev == "of" && i >= 2 && (words[i - 2] == "kind" || words[i - 2] == "sort"))
            return 0.6;
        return 1.0;
    };
    // "thanks so much", "love you very much", "thanks a lot": the intensifier follows the cue.
    auto modifier_after = [&](std::size_t end) {
        if (end == 0 || end >= n || tokens[end - 1].ends_clause)
            return 1.0;
        if (words[end] == "lot" || words[end] == "lots" || words[end] == "tons")
            return 1.5;
        if (end + 1 < n && intensifiers().contains(words[end]) && words[end + 1] == "much" && !tokens[end].ends_clause)
            return 1.5;
        return 1.0;
    };
    auto has_letter = [](std::string_view word) {
        return std::any_of(word.begin(), word.end(),
                           [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); });
    };

    std::array<double, emotion_count> sums{};
    auto sum_of = [&](Emotion e) -> double& { return sums[static_cast<std::size_t>(e)]; };
    bool any_negated_cue = false;
    double arousal_words_sum = 0.0;
    std::size_t intensifier_count = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (intensifiers().contains(words[i]))
            ++intensifier_count;
        if (auto it = index.arousal.find(words[i]); it != index.arousal.end() && !negated_before(i))
            arousal_words_sum += it->second;

        const auto& best = matches[i];
        if (std::all_of(best.begin(), best.end(), [](double w) { return w <= 0; }))
            continue;
        // Emoticons are not negated by words: "can't wait :)" still smiles.
        const bool negated = has_letter(words[i]) && negated_before(i);
        double emphasis = modifier_before(i);
        if (emphasis == 1.0)
            emphasis = modifier_after(match_end[i]);
        if (tokens.mixed_caps() && tokens[i].all_caps)
            emphasis *= 1.3;
        for (Emotion e : all_emotions) {
            double weight = best[static_cast<std::size_t>(e)];
            if (weight <= 0)
                continue;
            if (!negated) {
                sum_of(e) += weight * emphasis;
                continue;
            }
            any_negated_cue = true;
            if (e == Emotion::joy)
                sum_of(Emotion::sadness) += 0.5 * weight;
        }
    }

    // Tone fills in for missing words, unless a cue was negated: VADER turns "not sad" into a
    // positive score, which is relief at most, not joy.
    if (!any_negated_cue) {
        sum_of(Emotion::joy) += 0.6 * std::max(0.0, result.valence);
        if (sum_of(Emotion::anger) == 0 && sum_of(Emotion::fear) == 0)
            sum_of(Emotion::sadness) += 0.5 * std::max(0.0, -result.valence);
    }

    const std::size_t exclamations = std::min<std::size_t>(tokens.exclamation_marks(), 3);
    const double exclaim = 1.0 + 0.15 * static_cast<double>(exclamations);
    for (Emotion e : {Emotion::joy, Emotion::anger, Emotion::fear, Emotion::surprise})
        sum_of(e) *= exclaim;
    if (text.find("?!") != std::string_view::npos || text.find("!?") != std::string_view::npos)
        sum_of(Emotion::surprise) += 0.7;

    for (Emotion e : all_emotions)
        result.emotions[e] = saturate(sum_of(e));

    // Arousal.
    std::size_t caps_words = 0;
    std::size_t letter_words = 0;
    for (const Token& token : tokens.tokens()) {
        const bool letters = has_letter(token.text);
        letter_words += letters ? 1 : 0;
        caps_words += token.all_caps && letters ? 1 : 0;
    }
    double arousal = 0.1;
    arousal += 0.35 * magnitude;
    arousal += 0.08 * static_cast<double>(std::min<std::size_t>(tokens.exclamation_marks(), 4));
    if (tokens.question_marks() >= 2)
        arousal += 0.1;
    if (letter_words >= 2 && caps_words == letter_words)
        arousal += 0.3;  // the whole message in capitals: shouting
    else if (tokens.mixed_caps())
        arousal += std::min(0.3, 0.1 * static_cast<double>(caps_words));
    arousal += std::min(0.12, 0.04 * static_cast<double>(intensifier_count));
    if (elongated)
        arousal += 0.08;
    arousal += std::clamp(arousal_words_sum, -0.3, 0.3);
    const EmotionScores& em = result.emotions;
    arousal += 0.2 * std::max({em[Emotion::anger], em[Emotion::fear], em[Emotion::surprise]});
    arousal += 0.1 * em[Emotion::joy];
    arousal -= 0.1 * std::max(em[Emotion::sadness], em[Emotion::loneliness]);
    result.arousal = std::clamp(arousal, 0.0, 1.0);
    return result;
}

}  // namespace os1::affect
