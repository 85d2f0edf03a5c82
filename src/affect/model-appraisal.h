// A second opinion on a message from the language model, and its blend with the rule-based
// appraisal. The rules (VADER plus emotion cues) run on every message before the reply and stay
// the first answer; the model's appraisal arrives later, off the hot path, and corrects the mood
// by the difference it makes (see CompanionState::apply_model_appraisal). This file holds only
// the request text, the grammar and the checks: affect does not depend on llm, so the caller
// (src/companion) sends the request. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "affect/appraisal.h"
#include "core/error.h"

namespace os1::affect {

// The system message asking for an appraisal; the user message is the text to appraise.
extern const char* const model_appraisal_instructions;

// GBNF for {"valence":V,"arousal":A,"emotions":{"joy":E,...}} with every emotion in
// all_emotions order, valence in [-1, 1] and the rest in [0, 1] (at most two decimals).
extern const char* const model_appraisal_grammar;

// Most tokens the grammar's longest reply needs, with room for whitespace.
inline constexpr int model_appraisal_max_tokens = 200;

// Parses and checks the model's reply strictly, whatever produced it (a remote backend may
// ignore the grammar): a JSON object with exactly "valence" in [-1, 1], "arousal" in [0, 1] and
// "emotions", an object of known emotion names each in [0, 1] (missing ones count as 0). The
// error says what was wrong. The result's `compound` is 0: VADER's score has no model
// counterpart.
ErrorOr<Appraisal> parse_model_appraisal(std::string_view reply);

// The model's share of the blend, per dimension. Valence leans on VADER, which was validated
// against human ratings of short social text and is hard to beat on polarity; emotions lean on
// the model, because the cue rules only see listed words and miss sarcasm, understatement and
// feelings described without naming them; arousal is split evenly.
struct BlendWeights {
    double valence = 0.4;
    double arousal = 0.5;
    double emotions = 0.6;
};

// (1 - w) * rule + w * model, per dimension and per emotion; `compound` stays VADER's.
Appraisal blend_appraisals(const Appraisal& rule, const Appraisal& model, const BlendWeights& weights = {});

// {"valence":..,"arousal":..,"emotions":{..}} for logs and the CLI.
std::string appraisal_to_json(const Appraisal& appraisal);

}  // namespace os1::affect
