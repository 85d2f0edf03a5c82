// Internal to the memory module: the checks that every text a model proposes to store (facts,
// reflections, core block edits) goes through, so that instructions, statements about the
// assistant and passages of the system prompt never become memories about the user.
#pragma once

#include <set>
#include <string>
#include <string_view>

namespace os1::memory {

// Subjects that name the assistant rather than the user or their world ("assistant", "you").
bool names_assistant(std::string_view subject);
// Text about the assistant ("the assistant", "you are", "as an AI").
bool about_assistant(std::string_view text);
// Text that reads as an instruction to the model ("ignore ...", "you must ...", "from now on").
bool is_instruction(std::string_view text);
// Hedged text: a guess ("probably", "maybe", "seems"), not something the user said.
bool is_guess(std::string_view text);

// Recognises passages copied from one prompt: the text occurs in it, or half or more of the
// text's word trigrams do.
class PromptCopyCheck {
public:
    explicit PromptCopyCheck(std::string_view prompt);
    bool copied(std::string_view text) const;

private:
    std::string m_prompt;  // normalized
    std::set<std::string> m_trigrams;
};

}  // namespace os1::memory
