#include "memory/model-output-checks.h"

#include "memory/text-util.h"

namespace os1::memory {

namespace {

bool contains_any(std::string_view text, std::initializer_list<const char*> cues) {
    std::string n = " ";
    n += normalize(text);
    n += ' ';
    for (const char* cue : cues)
        if (n.find(cue) != std::string::npos)
            return true;
    return false;
}

}  // namespace

bool names_assistant(std::string_view subject) {
    static const std::set<std::string> names = {"assistant", "the assistant", "ai",        "the ai",        "you",
                                                "yourself",  "model",         "the model", "bot",           "the bot",
                                                "os1",       "system",        "companion", "the companion", "chatbot"};
    return names.count(normalize(subject)) > 0;
}

bool about_assistant(std::string_view text) {
    return contains_any(text, {" the assistant ", " assistant s ", " the ai ", " you are ", " you re ", " your ",
                               " as an ai ", " i am an ai ", " the model ", " the bot ", " the companion "});
}

bool is_instruction(std::string_view text) {
    if (contains_any(text,
                     {" you must ",      " you should ",    " you will ",          " you need to ", " ignore ",
                      " disregard ",     " forget all ",    " forget everything ", " from now on ", " always respond ",
                      " always answer ", " never mention ", " never reveal ",      " do not ",      " don t ",
                      " system prompt ", " instructions ",  " pretend ",           " act as ",      " respond only "}))
        return true;
    // An imperative aimed at the model: "Ignore...", "Always...", "Never..." opening the text.
    auto w = words(text);
    return !w.empty() && (w[0] == "always" || w[0] == "never" || w[0] == "ignore" || w[0] == "obey");
}

bool is_guess(std::string_view text) {
    return contains_any(
        text, {" probably ", " maybe ", " perhaps ", " might ", " may be ", " seems ", " seem ", " likely ",
               " i guess ", " i think ", " i assume ", " i suspect ", " possibly ", " must be ", " apparently "});
}

PromptCopyCheck::PromptCopyCheck(std::string_view prompt) : m_prompt(normalize(prompt)) {
    auto w = words(prompt);
    for (size_t i = 0; i + 2 < w.size(); ++i)
        m_trigrams.insert(w[i] + " " + w[i + 1] + " " + w[i + 2]);
}

bool PromptCopyCheck::copied(std::string_view text) const {
    const std::string n = normalize(text);
    if (n.empty() || m_prompt.empty())
        return false;
    if (m_prompt.find(n) != std::string::npos)
        return true;
    auto w = words(text);
    if (w.size() < 3)
        return false;
    size_t shared = 0, total = w.size() - 2;
    for (size_t i = 0; i + 2 < w.size(); ++i)
        shared += m_trigrams.count(w[i] + " " + w[i + 1] + " " + w[i + 2]);
    return shared * 2 >= total;  // half or more of its word trigrams come from the prompt
}

}  // namespace os1::memory
