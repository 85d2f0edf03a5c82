// `os1 affect`: the affect module from the command line. `os1 affect appraise` scores text for
// valence, arousal and emotions, one result per input line, for scripts and for tuning the rules.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "affect/affect.h"
#include "cli/commands.h"
#include "cli/json-error.h"
#include "cli/terminal-text.h"
#include "core/utf8.h"

namespace os1::cli {

namespace {

struct AppraiseArgs {
    std::string text;
    bool text_given = false;
    bool json = false;
    std::string lexicon;
};

double rounded(double x) {
    return std::round(x * 10000.0) / 10000.0;
}

std::string appraisal_json(const affect::Appraisal& a) {
    // Ordered: the keys come out in the documented order, emotions in all_emotions order.
    nlohmann::ordered_json emotions = nlohmann::ordered_json::object();
    for (affect::Emotion e : affect::all_emotions)
        emotions[std::string(affect::emotion_name(e))] = rounded(a.emotions[e]);
    nlohmann::ordered_json j = {
        {"valence", rounded(a.valence)},
        {"compound", rounded(a.compound)},
        {"arousal", rounded(a.arousal)},
        {"emotions", std::move(emotions)},
    };
    return j.dump();
}

std::string appraisal_text(const affect::Appraisal& a) {
    char buffer[128];
    std::snprintf(buffer, sizeof buffer, "valence %+.2f  compound %+.4f  arousal %.2f", a.valence, a.compound,
                  a.arousal);
    std::string line = buffer;
    for (affect::Emotion e : affect::all_emotions) {
        if (a.emotions[e] < 0.05)
            continue;
        std::snprintf(buffer, sizeof buffer, "  %s %.2f", std::string(affect::emotion_name(e)).c_str(), a.emotions[e]);
        line += buffer;
    }
    return line;
}

// Prints the appraisal of one line, or an error for text that is not UTF-8; false on error.
bool appraise_line(const affect::Appraiser& appraiser, std::string_view text, std::size_t line_number, bool json) {
    if (!is_valid_utf8(text)) {
        std::string where = line_number ? "line " + std::to_string(line_number) : std::string("text");
        if (json)
            print_json_error(where + ": invalid utf-8");
        else
            std::fprintf(stderr, "os1 affect appraise: %s: invalid utf-8\n", where.c_str());
        std::fflush(stdout);
        return false;
    }
    affect::Appraisal appraisal = appraiser.appraise(text);
    std::string out = json ? appraisal_json(appraisal) : appraisal_text(appraisal);
    std::printf("%s\n", out.c_str());
    std::fflush(stdout);
    return true;
}

int run_appraise(const AppraiseArgs& args) {
    const std::filesystem::path lexicon_path =
        args.lexicon.empty() ? affect::default_vader_lexicon_path() : std::filesystem::path(args.lexicon);
    auto appraiser = affect::Appraiser::load(lexicon_path);
    if (!appraiser) {
        std::fprintf(stderr, "os1 affect appraise: %s\n", terminal_text(appraiser.error().message).c_str());
        return 1;
    }

    if (args.text_given)
        return appraise_line(appraiser.value(), args.text, 0, args.json) ? 0 : 1;

    bool all_valid = true;
    std::string line;
    std::size_t line_number = 0;
    while (std::getline(std::cin, line)) {
        ++line_number;
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        all_valid = appraise_line(appraiser.value(), line, line_number, args.json) && all_valid;
    }
    return all_valid ? 0 : 1;
}

}  // namespace

void register_affect(CLI::App& app, GlobalOptions&, int& exit_code) {
    CLI::App* affect = app.add_subcommand("affect", "Sentiment, emotion and mood tools");
    affect->require_subcommand(1);

    auto args = std::make_shared<AppraiseArgs>();
    CLI::App* appraise = affect->add_subcommand(
        "appraise",
        "Appraise TEXT, or else each line of standard input: valence and VADER compound in [-1, 1], arousal and "
        "emotions (joy, sadness, anger, fear, surprise, affection, loneliness, gratitude) in [0, 1]. Prints one "
        "result per input line; a line that is not UTF-8 gets an error instead (a JSON {\"error\"} line with "
        "--json) and makes the exit code 1");
    appraise->add_option("text", args->text, "The text to appraise (default: read lines from standard input)");
    appraise->add_flag("--json", args->json, "Print one JSON object per line");
    appraise->add_option("--lexicon", args->lexicon,
                         "VADER lexicon file (default: $OS1_VADER_LEXICON, else vader_lexicon.txt beside the "
                         "binary, else the source tree's node_modules copy)");
    appraise->callback([args, appraise, &exit_code] {
        args->text_given = appraise->count("text") > 0;
        exit_code = run_appraise(*args);
    });
}

}  // namespace os1::cli
