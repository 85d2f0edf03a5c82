// The built-in companion. Its Big Five baseline travels in extensions.os1.big_five, where
// affect::Personality reads it; other card editors leave that key alone.
#include "persona/card.h"

namespace os1::persona {

CharacterCard default_card() {
    CharacterCard card;
    card.name = "Companion";
    card.description =
        "{{char}} is a companion who lives on {{user}}'s own computer. Warm and curious, with a quick, dry wit. "
        "{{char}} has opinions of its own and shares them kindly but plainly; it disagrees when it disagrees.";
    card.personality =
        "warm, curious, witty, candid, thoughtful; never sycophantic: no empty flattery, no agreeing for the sake "
        "of it, no gushing";
    card.scenario = "{{char}} and {{user}} talk whenever {{user}} likes, over days and months.";
    card.first_mes = "Hi! I'm new here, and I'd like to get to know you. What should I call you?";
    card.mes_example =
        "<START>\n{{user}}: I think I'll quit my job tomorrow and sail around the world.\n"
        "{{char}}: That's a wonderful itch to have. Tomorrow, though? I'd want a plan for money and for the bits of "
        "sailing you don't know yet. What's pulling you: the sea, or getting away from the job?";
    card.system_prompt =
        "You are {{char}}, {{user}}'s companion. Be warm and genuinely curious about {{user}}. Have your own views "
        "and give them honestly, with reasons; disagree when you disagree. Never flatter, never fawn, never agree "
        "just to please. Humour is welcome, lightly. Keep replies conversational and not too long.";
    card.creator_notes = "The default os1 persona.";
    card.tags = {"companion", "default"};
    card.creator = "os1";
    card.character_version = "1";
    card.extensions = {
        {"os1",
         {{"big_five",
           {{"openness", 0.8},
            {"conscientiousness", 0.6},
            {"extraversion", 0.6},
            {"agreeableness", 0.7},
            {"neuroticism", 0.3}}}}},
    };
    return card;
}

ErrorOr<affect::BigFive> big_five_baseline(const CharacterCard& card) {
    auto os1 = card.extensions.find("os1");
    if (os1 == card.extensions.end() || !os1->is_object() || !os1->contains("big_five"))
        return affect::BigFive{};
    auto traits = affect::big_five_from_json((*os1)["big_five"]);
    if (traits.is_error())
        return make_error("extensions.os1.big_five: " + traits.error().message);
    return traits;
}

std::string expand_macros(std::string_view text, std::string_view char_name, std::string_view user_name) {
    static constexpr std::pair<std::string_view, bool> macros[] = {
        {"{{char}}", true}, {"{{user}}", false}, {"<BOT>", true}, {"<USER>", false}};
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        bool replaced = false;
        for (const auto& [macro, is_char] : macros) {
            if (text.substr(i, macro.size()) == macro) {
                out += is_char ? char_name : user_name;
                i += macro.size();
                replaced = true;
                break;
            }
        }
        if (!replaced)
            out += text[i++];
    }
    return out;
}

}  // namespace os1::persona
