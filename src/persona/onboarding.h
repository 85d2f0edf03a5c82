// Onboarding: a short interview (how to address the user, what they want help with, two
// questions about them), after which the companion chooses its own name and says why. Pure
// logic over answers; the caller asks the questions and, when it has a model, runs the naming
// request. Not thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "llm/llm.h"
#include "persona/card.h"

namespace os1::persona {

enum class OnboardingStep { address, help, about_you, about_you_more, naming, done };

struct OnboardingAnswers {
    std::string address;  // how the user wants to be called
    std::string help;     // what they want help with
    std::string about;    // something they love doing
    std::string lately;   // what has been on their mind
};

struct CompanionName {
    std::string name;
    std::string reason;
};

inline constexpr std::size_t max_answer_bytes = 2000;

class Onboarding {
public:
    OnboardingStep step() const { return m_step; }
    bool finished() const { return m_step == OnboardingStep::done; }

    // The question for the current interview step; empty at naming and done.
    std::string question() const;
    // Records the answer to the current question and moves on. Fails outside the interview, and
    // for an empty (all whitespace) or over-long answer, without changing the step.
    ErrorOr<void> answer(std::string_view text);

    // The naming step: the request to send to a model (its reply must follow naming_grammar()).
    llm::ChatRequest naming_request(const CharacterCard& card) const;
    // Takes the model's {"name", "reason"} reply; fails on a malformed one, without changing the step.
    ErrorOr<void> accept_name_reply(std::string_view reply);
    // Picks a name without a model: deterministic for the same answers.
    void choose_name_without_model();

    const OnboardingAnswers& answers() const { return m_answers; }
    const std::optional<CompanionName>& name() const { return m_name; }

    std::string to_json() const;
    static ErrorOr<Onboarding> from_json(std::string_view json);

private:
    OnboardingStep m_step = OnboardingStep::address;
    OnboardingAnswers m_answers;
    std::optional<CompanionName> m_name;
};

// GBNF for {"name": "...", "reason": "..."}.
std::string naming_grammar();
// Parses and checks a naming reply: a JSON object with a non-empty one-to-three word "name" and
// a non-empty "reason".
ErrorOr<CompanionName> parse_name_reply(std::string_view reply);
// The model-free choice: one of a fixed list of names, picked by a hash of the answers.
CompanionName fallback_name(const OnboardingAnswers& answers);

// Runs the naming step: asks `backend` when given, falling back to fallback_name when there is
// none or its reply fails or is malformed. Returns whether the model's choice was used.
bool choose_name(Onboarding& onboarding, const CharacterCard& card, llm::Backend* backend);

}  // namespace os1::persona
