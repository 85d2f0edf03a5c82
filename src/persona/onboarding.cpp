#include "persona/onboarding.h"

#include <array>
#include <cstdint>

#include <nlohmann/json.hpp>

namespace os1::persona {

namespace {

using nlohmann::json;

std::string trimmed(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos)
        return {};
    const auto last = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(first, last - first + 1));
}

const char* step_name(OnboardingStep step) {
    switch (step) {
        case OnboardingStep::address:
            return "address";
        case OnboardingStep::help:
            return "help";
        case OnboardingStep::about_you:
            return "about_you";
        case OnboardingStep::about_you_more:
            return "about_you_more";
        case OnboardingStep::naming:
            return "naming";
        case OnboardingStep::done:
            return "done";
    }
    return "address";
}

std::optional<OnboardingStep> step_from_name(std::string_view name) {
    for (auto step : {OnboardingStep::address, OnboardingStep::help, OnboardingStep::about_you,
                      OnboardingStep::about_you_more, OnboardingStep::naming, OnboardingStep::done}) {
        if (name == step_name(step))
            return step;
    }
    return std::nullopt;
}

struct NameChoice {
    const char* name;
    const char* reason;
};

constexpr std::array<NameChoice, 8> fallback_names = {{
    {"Juniper", "it's evergreen and a little wild, which is how I'd like to be for you"},
    {"Wren", "wrens are small, curious and surprisingly loud about their opinions"},
    {"Sol", "it's short, warm, and I like the idea of keeping you company on grey days"},
    {"Marlowe", "it sounds like someone who asks good questions and tells good stories"},
    {"Pip", "it's cheerful and a bit cheeky, and I intend to be both"},
    {"Ada", "it honours Ada Lovelace, who saw what machines could become before anyone else"},
    {"Rowan", "rowan trees were said to keep watch over a home, and I live in yours"},
    {"Echo", "I'm made of conversation, but I mean to answer back with my own voice"},
}};

}  // namespace

std::string Onboarding::question() const {
    switch (m_step) {
        case OnboardingStep::address:
            return "First things first: what should I call you?";
        case OnboardingStep::help:
            return "What would you like help with, or company for?";
        case OnboardingStep::about_you:
            return "Tell me one thing you love doing.";
        case OnboardingStep::about_you_more:
            return "And what has been on your mind lately?";
        case OnboardingStep::naming:
        case OnboardingStep::done:
            return {};
    }
    return {};
}

ErrorOr<void> Onboarding::answer(std::string_view text) {
    std::string value = trimmed(text);
    if (m_step == OnboardingStep::naming || m_step == OnboardingStep::done)
        return make_error("onboarding: the interview is over; no question is waiting for an answer");
    if (value.empty())
        return make_error("onboarding: the answer is empty");
    if (value.size() > max_answer_bytes)
        return make_error("onboarding: the answer is " + std::to_string(value.size()) +
                          " bytes, more than the limit of " + std::to_string(max_answer_bytes));
    switch (m_step) {
        case OnboardingStep::address:
            m_answers.address = std::move(value);
            m_step = OnboardingStep::help;
            break;
        case OnboardingStep::help:
            m_answers.help = std::move(value);
            m_step = OnboardingStep::about_you;
            break;
        case OnboardingStep::about_you:
            m_answers.about = std::move(value);
            m_step = OnboardingStep::about_you_more;
            break;
        case OnboardingStep::about_you_more:
            m_answers.lately = std::move(value);
            m_step = OnboardingStep::naming;
            break;
        default:
            break;
    }
    return {};
}

llm::ChatRequest Onboarding::naming_request(const CharacterCard& card) const {
    std::string system = card.system_prompt.empty() ? card.description : card.system_prompt;
    std::string prompt =
        "You have just met the person you will keep company. They want to be called \"" + m_answers.address +
        "\". They want help with: " + m_answers.help + ". They love: " + m_answers.about +
        ". Lately on their mind: " + m_answers.lately +
        ".\nChoose a name for yourself, your own choice rather than what they might expect, and say in one "
        "sentence why. Answer as JSON: {\"name\": \"...\", \"reason\": \"...\"}";
    // The user waits for the name, and a chosen name may be a little surprising: live, not greedy.
    llm::ChatRequest request = llm::task_request(system, prompt, naming_grammar(), 120, llm::Priority::Live);
    request.sampling.temperature = llm::SamplingParams{}.temperature;
    return request;
}

ErrorOr<void> Onboarding::accept_name_reply(std::string_view reply) {
    if (m_step != OnboardingStep::naming)
        return make_error("onboarding: not at the naming step");
    m_name = OS1_TRY(parse_name_reply(reply));
    m_step = OnboardingStep::done;
    return {};
}

void Onboarding::choose_name_without_model() {
    m_name = fallback_name(m_answers);
    m_step = OnboardingStep::done;
}

std::string Onboarding::to_json() const {
    json j = {
        {"step", step_name(m_step)}, {"address", m_answers.address}, {"help", m_answers.help},
        {"about", m_answers.about},  {"lately", m_answers.lately},
    };
    if (m_name)
        j["name"] = {{"name", m_name->name}, {"reason", m_name->reason}};
    return j.dump();
}

ErrorOr<Onboarding> Onboarding::from_json(std::string_view text) {
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return make_error("onboarding: the stored state is not a JSON object");
    Onboarding o;
    auto step = j.find("step");
    if (step == j.end() || !step->is_string() || !step_from_name(step->get<std::string>()))
        return make_error("onboarding: the stored state has no valid \"step\"");
    o.m_step = *step_from_name(step->get<std::string>());
    for (auto [key, field] : {std::pair{"address", &o.m_answers.address}, std::pair{"help", &o.m_answers.help},
                              std::pair{"about", &o.m_answers.about}, std::pair{"lately", &o.m_answers.lately}}) {
        auto it = j.find(key);
        if (it != j.end() && it->is_string())
            *field = it->get<std::string>();
    }
    if (auto name = j.find("name"); name != j.end()) {
        auto parsed = parse_name_reply(name->dump());
        if (parsed.is_error())
            return make_error("onboarding: stored name: " + parsed.error().message);
        o.m_name = parsed.release_value();
    }
    if (o.m_step == OnboardingStep::done && !o.m_name)
        return make_error("onboarding: the stored state is done but has no name");
    return o;
}

std::string naming_grammar() {
    return R"gbnf(root   ::= "{" ws "\"name\"" ws ":" ws name ws "," ws "\"reason\"" ws ":" ws reason ws "}"
name   ::= "\"" [A-Z] [a-zA-Z'-]* (" " [A-Z] [a-zA-Z'-]*)? "\""
reason ::= "\"" [^"\\\x7F\x00-\x1F]+ "\""
ws     ::= [ \t\n]*
)gbnf";
}

ErrorOr<CompanionName> parse_name_reply(std::string_view reply) {
    json j;
    try {
        j = json::parse(reply);
    } catch (const json::parse_error& e) {
        return make_error("naming reply: invalid JSON at byte " + std::to_string(e.byte));
    } catch (const json::exception&) {
        // out_of_range: a number beyond a double's range, such as 1e999.
        return make_error("naming reply: a number too large to represent");
    }
    if (!j.is_object())
        return make_error("naming reply: expected a JSON object");
    auto name = j.find("name");
    auto reason = j.find("reason");
    if (name == j.end() || !name->is_string())
        return make_error("naming reply: \"name\" is missing or not a string");
    if (reason == j.end() || !reason->is_string())
        return make_error("naming reply: \"reason\" is missing or not a string");
    CompanionName out{trimmed(name->get<std::string>()), trimmed(reason->get<std::string>())};
    if (out.name.empty() || out.name.size() > 40)
        return make_error("naming reply: the name must be 1 to 40 bytes");
    std::size_t words = 1;
    for (char c : out.name) {
        if (c == ' ')
            ++words;
        if (c == '\n' || c == '\t')
            return make_error("naming reply: the name must be on one line");
    }
    if (words > 3)
        return make_error("naming reply: the name must be at most three words");
    if (out.reason.empty() || out.reason.size() > 1000)
        return make_error("naming reply: the reason must be 1 to 1000 bytes");
    return out;
}

CompanionName fallback_name(const OnboardingAnswers& answers) {
    // FNV-1a over the answers: stable across runs and platforms, unlike std::hash.
    uint64_t hash = 1469598103934665603ull;
    for (const std::string* s : {&answers.address, &answers.help, &answers.about, &answers.lately}) {
        for (char c : *s) {
            hash ^= uint8_t(c);
            hash *= 1099511628211ull;
        }
        hash ^= 0xFF;
        hash *= 1099511628211ull;
    }
    const NameChoice& choice = fallback_names[hash % fallback_names.size()];
    return {choice.name, std::string("I chose it because ") + choice.reason + "."};
}

bool choose_name(Onboarding& onboarding, const CharacterCard& card, llm::Backend* backend) {
    if (onboarding.step() != OnboardingStep::naming)
        return false;
    if (backend) {
        auto reply = backend->submit(onboarding.naming_request(card))->collect();
        if (reply && onboarding.accept_name_reply(reply.value()))
            return true;
    }
    onboarding.choose_name_without_model();
    return false;
}

}  // namespace os1::persona
