#include "memory/eval-set.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <ctime>

namespace os1::memory {

namespace {

constexpr int64_t day = 86400;

// splitmix64: the same sequence everywhere, unlike the standard distributions.
struct Rng {
    uint64_t state;
    uint64_t next() {
        uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    size_t below(size_t n) { return size_t(next() % n); }
    double unit() { return double(next() >> 11) / double(1ull << 53); }
    template <typename T, size_t N>
    const T& pick(const std::array<T, N>& items) {
        return items[below(N)];
    }
};

template <typename T, size_t N>
std::vector<T> shuffled(Rng& rng, const std::array<T, N>& items) {
    std::vector<T> out(items.begin(), items.end());
    for (size_t i = out.size(); i > 1; --i)
        std::swap(out[i - 1], out[rng.below(i)]);
    return out;
}

const std::array<const char*, 10> relations = {"sister", "brother", "cousin",   "neighbour", "boss",
                                               "uncle",  "aunt",    "roommate", "coworker",  "godmother"};
const std::array<const char*, 16> names = {"Anna", "Marta", "Lena",  "Priya", "Chloe", "Ines",  "Yuki", "Sofia",
                                           "Tom",  "Omar",  "Felix", "Jonas", "Ravi",  "Diego", "Kai",  "Noah"};
const std::array<const char*, 10> jobs = {"nurse at the city hospital",    "teacher at a primary school",
                                          "baker in the old town",         "software engineer at a startup",
                                          "lawyer at a big firm",          "firefighter in the north district",
                                          "vet at an animal clinic",       "pilot for a small airline",
                                          "chef in an Italian restaurant", "architect designing libraries"};
const std::array<const char*, 12> cities = {"Lisbon",  "Oslo",       "Porto",   "Vienna",  "Krakow", "Dublin",
                                            "Seville", "Gothenburg", "Tallinn", "Bologna", "Ghent",  "Lyon"};
const std::array<const char*, 8> cars = {"Toyota Corolla", "Volvo estate",  "Fiat Panda",  "Tesla Model 3",
                                         "Honda Civic",    "Skoda Octavia", "Mini Cooper", "Renault Zoe"};
const std::array<const char*, 6> phones = {"Pixel", "iPhone", "Fairphone", "Galaxy", "Nokia", "OnePlus"};
const std::array<const char*, 8> gifts = {"guitar",      "telescope",      "watercolour set", "record player",
                                          "chess board", "sewing machine", "kayak",           "espresso machine"};
const std::array<const char*, 10> activities = {"went climbing at the bouldering gym",
                                                "baked sourdough bread for the first time",
                                                "visited the botanical garden",
                                                "repaired my bicycle",
                                                "went to a pottery class",
                                                "watched a documentary about octopuses",
                                                "cleaned out the attic",
                                                "ran a half marathon",
                                                "went to the dentist",
                                                "planted tomatoes on the balcony"};
const std::array<const char*, 8> trips = {"Edinburgh",        "the Alps",  "Copenhagen", "Sicily",
                                          "the Black Forest", "Amsterdam", "Crete",      "the Lake District"};
const std::array<const char*, 12> month_names = {"January", "February", "March",     "April",   "May",      "June",
                                                 "July",    "August",   "September", "October", "November", "December"};

const std::array<const char*, 24> user_small_talk = {
    "Work was busy today, lots of meetings.",     "I am pretty tired, I slept badly last night.",
    "The weather has been grey all day.",         "I listened to a podcast on the way home.",
    "Dinner was just pasta, nothing special.",    "I should really call my parents more often.",
    "The train was late again this morning.",     "I spent the evening reading on the sofa.",
    "My back hurts a bit from sitting all day.",  "I have a long to-do list for tomorrow.",
    "I went for a short walk after lunch.",       "The neighbours were loud again last night.",
    "I finally answered all my emails.",          "Not much happened today honestly.",
    "I tried a new recipe but it was too salty.", "I need to buy a present for a colleague.",
    "It rained so much that I stayed inside.",    "I watched an old film and fell asleep.",
    "The supermarket was packed this afternoon.", "I am thinking about learning a language.",
    "My plants need more light I think.",         "I had too much coffee today.",
    "I cleaned the kitchen and did the laundry.", "I feel a bit more relaxed than yesterday."};
const std::array<const char*, 12> assistant_replies = {"That sounds like a full day. How are you feeling now?",
                                                       "I am glad you told me. Anything on your mind?",
                                                       "That makes sense. Want to talk about it?",
                                                       "Nice! What was the best part?",
                                                       "Oh no, I hope tomorrow is calmer.",
                                                       "Thanks for sharing that with me.",
                                                       "That is interesting, tell me more.",
                                                       "Sounds cosy. Did it help you unwind?",
                                                       "I understand. Be kind to yourself today.",
                                                       "Good call. How did it go?",
                                                       "Hmm, that is a tricky one.",
                                                       "I remember you mentioning something similar."};

struct Plant {
    int session = 0;
    std::string text;
    std::string id;      // filled when placed
    std::string prompt;  // the companion's question that this line answers, said just before it
};

}  // namespace

EvalSet generate_eval_set(uint64_t seed, const EvalSetOptions& options) {
    Rng rng{seed};
    const int sessions = std::max(options.sessions, 12);
    std::vector<int64_t> session_start(static_cast<size_t>(sessions));
    int64_t t = options.start;
    for (int s = 0; s < sessions; ++s) {
        t += int64_t(2 + rng.below(3)) * day;
        session_start[size_t(s)] = t - t % day + 17 * 3600 + int64_t(rng.below(5 * 3600));
    }
    const int64_t end_time = session_start.back() + day;

    std::vector<std::vector<Plant>> planted(static_cast<size_t>(sessions));
    struct Pending {
        EvalQuestion question;
        std::vector<std::pair<int, size_t>> evidence;  // session, index in planted[session]
    };
    std::vector<Pending> pending;
    auto plant = [&](int session, std::string text, std::string prompt = {}) {
        planted[size_t(session)].push_back({session, std::move(text), {}, std::move(prompt)});
        return std::make_pair(session, planted[size_t(session)].size() - 1);
    };
    auto any_session = [&](int from, int to) { return from + int(rng.below(size_t(std::max(1, to - from)))); };

    // Single-hop: who does what.
    auto rel = shuffled(rng, relations);
    auto who = shuffled(rng, names);
    auto job = shuffled(rng, jobs);
    for (size_t i = 0; i < 6; ++i) {
        int s = any_session(0, sessions);
        auto e = plant(s, std::string("By the way, my ") + rel[i] + " " + who[i] + " works as a " + job[i] + ".");
        pending.push_back(
            {{std::string("What does my ") + rel[i] + " do for work?", "single-hop", end_time, {}, job[i]}, {e}});
        pending.push_back(
            {{std::string("What is the name of my ") + rel[i] + "?", "single-hop", end_time, {}, who[i]}, {e}});
    }
    // Preferences.
    {
        const std::array<const char*, 6> music = {"jazz", "techno", "folk", "opera", "punk", "bossa nova"};
        const std::array<const char*, 6> food = {"Thai", "Ethiopian", "Georgian", "Mexican", "Japanese", "Lebanese"};
        const std::array<const char*, 6> sport = {"badminton", "rowing", "volleyball", "fencing", "squash", "judo"};
        const std::array<const char*, 6> books = {"science fiction", "crime",   "poetry",
                                                  "history",         "fantasy", "biography"};
        const std::array<const char*, 6> drinks = {"green tea", "hot chocolate", "oat latte",
                                                   "mint tea",  "black coffee",  "chai"};
        std::string m = rng.pick(music), f = rng.pick(food), sp = rng.pick(sport), b = rng.pick(books),
                    d = rng.pick(drinks);
        pending.push_back(
            {{"What kind of music do I like?", "preference", end_time, {}, m},
             {plant(any_session(0, sessions), "I really love " + m + " music, it always cheers me up.")}});
        pending.push_back({{"What food do I like most?", "preference", end_time, {}, f},
                           {plant(any_session(0, sessions), "Honestly my favourite food is " + f + " food.")}});
        pending.push_back({{"Which sport do I enjoy playing?", "preference", end_time, {}, sp},
                           {plant(any_session(0, sessions),
                                  "I have been playing " + sp + " every weekend, it is my favourite sport.")}});
        pending.push_back({{"What kind of books do I read?", "preference", end_time, {}, b},
                           {plant(any_session(0, sessions), "These days I mostly read " + b + " books.")}});
        pending.push_back({{"What do I drink in the morning?", "preference", end_time, {}, d},
                           {plant(any_session(0, sessions), "I always drink " + d + " in the morning.")}});
    }
    // Knowledge updates: the later statement is the evidence.
    {
        auto city = shuffled(rng, cities);
        auto car = shuffled(rng, cars);
        auto phone = shuffled(rng, phones);
        int a = any_session(0, sessions / 3), b = any_session(sessions / 2, sessions);
        plant(a, std::string("I live in ") + city[0] + " at the moment, near the river.");
        pending.push_back({{"Which city do I live in now?", "knowledge-update", end_time, {}, city[1]},
                           {plant(b, std::string("Big news: I moved, now I live in ") + city[1] + ".")}});
        a = any_session(0, sessions / 3), b = any_session(sessions / 2, sessions);
        plant(a, std::string("I drive an old ") + car[0] + ", it still runs fine.");
        pending.push_back({{"What car do I drive now?", "knowledge-update", end_time, {}, car[1]},
                           {plant(b, std::string("I sold my old car and now I drive a ") + car[1] + ".")}});
        a = any_session(0, sessions / 3), b = any_session(sessions / 2, sessions);
        plant(a, std::string("My phone is a ") + phone[0] + ", the battery is terrible.");
        pending.push_back({{"What phone do I use now?", "knowledge-update", end_time, {}, phone[1]},
                           {plant(b, std::string("I switched phones, I use a ") + phone[1] + " now.")}});
    }
    // Multi-hop: a gift from a friend, and where that friend moved.
    {
        auto friends = shuffled(rng, names);
        auto gift = shuffled(rng, gifts);
        auto city = shuffled(rng, cities);
        for (size_t i = 0; i < 3; ++i) {
            int a = any_session(0, sessions / 2), b = any_session(sessions / 2, sessions);
            auto e1 = plant(a, std::string("My friend ") + friends[i] + " gave me a " + gift[i] + " for my birthday.");
            auto e2 = plant(b, std::string(friends[i]) + " told me that she moved to " + city[i] + " last month.");
            pending.push_back({{std::string("Which city did the friend who gave me a ") + gift[i] + " move to?",
                                "multi-hop",
                                end_time,
                                {},
                                city[i]},
                               {e1, e2}});
        }
    }
    // Temporal: dated events, asked about relative to a later reference time.
    {
        auto activity = shuffled(rng, activities);
        for (size_t i = 0; i < 6; ++i) {
            int s = any_session(1, sessions - 1);
            auto e = plant(s, std::string("Today I ") + activity[i] + ".");
            const int64_t when = session_start[size_t(s)];
            std::string question;
            int64_t asked = 0;
            if (i % 3 == 0) {
                question = "What did I do yesterday?";
                asked = when + day;
            } else if (i % 3 == 1) {
                int n = 2 + int(rng.below(5));
                question = "What did I do " + std::to_string(n) + " days ago?";
                asked = when + n * day;
            } else {
                question = "What did I do last week?";
                asked = when + 7 * day;
            }
            pending.push_back({{question, "temporal", asked, {}, activity[i]}, {e}});
        }
        auto trip = shuffled(rng, trips);
        std::vector<int> used_months;
        for (size_t i = 0; i < 2; ++i) {
            int s = any_session(0, sessions);
            std::time_t raw = std::time_t(session_start[size_t(s)]);
            std::tm tm{};
            gmtime_r(&raw, &tm);
            if (std::find(used_months.begin(), used_months.end(), tm.tm_mon) != used_months.end())
                continue;
            used_months.push_back(tm.tm_mon);
            auto e = plant(s, std::string("I went on a trip to ") + trip[i] + " and loved it.");
            pending.push_back({{std::string("Where did I go on a trip in ") + month_names[size_t(tm.tm_mon)] + "?",
                                "temporal",
                                end_time,
                                {},
                                trip[i]},
                               {e}});
        }
    }

    // Conversational: the user answers the companion's question, and only the question names the
    // topic ("What did you name the puppy?" "Biscuit!"), as in real dialogue.
    {
        struct Exchange {
            const char* prompt;
            const char* answer_before;
            std::array<const char*, 4> answers;
            const char* answer_after;
            const char* question;
        };
        const std::array<Exchange, 6> exchanges = {{
            {"What did you end up naming the new puppy?",
             "",
             {"Biscuit", "Pepper", "Waffles", "Juniper"},
             "! He already chewed my slippers.",
             "What is the name of my puppy?"},
            {"How did the job interview at the museum go?",
             "Really well, they offered me the ",
             {"curator", "archivist", "guide", "restorer"},
             " position and I start soon!",
             "How did my museum interview go?"},
            {"Which instrument are you learning at the music school?",
             "The ",
             {"cello", "oboe", "harp", "trumpet"},
             ", my teacher is very patient with me.",
             "What instrument am I learning?"},
            {"Where are you two going for the honeymoon?",
             "",
             {"Iceland", "Patagonia", "Zanzibar", "Hokkaido"},
             "! We booked a little cabin near the sea.",
             "Where am I going on my honeymoon?"},
            {"What did the doctor say about your knee?",
             "A torn ",
             {"ligament", "meniscus", "tendon", "cartilage"},
             ", so six weeks of physiotherapy for me.",
             "What did the doctor say about my knee?"},
            {"What is the title of the novel you are writing?",
             "It is called The ",
             {"Salt Road", "Glass Orchard", "Quiet Harbour", "Paper Moon"},
             ", about a lighthouse keeper.",
             "What is the title of my novel?"},
        }};
        for (const Exchange& x : exchanges) {
            std::string answer = x.answers[rng.below(x.answers.size())];
            std::string line = x.answer_before;
            line.append(answer).append(x.answer_after);
            auto e = plant(any_session(0, sessions), std::move(line), x.prompt);
            pending.push_back({{x.question, "conversational", end_time, {}, answer}, {e}});
        }
    }

    // Lay out the sessions: filler small talk with the planted turns among it.
    EvalSet set;
    for (int s = 0; s < sessions; ++s) {
        std::vector<std::pair<std::string, Plant*>> user_lines;
        for (int f = 0; f < options.filler_per_session / 2; ++f)
            user_lines.push_back({rng.pick(user_small_talk), nullptr});
        for (Plant& p : planted[size_t(s)])
            user_lines.insert(user_lines.begin() + long(rng.below(user_lines.size() + 1)), {p.text, &p});
        int64_t time = session_start[size_t(s)];
        int turn = 0;
        const std::string conversation = "s" + std::to_string(s + 1);
        auto say_assistant = [&](std::string text) {
            set.turns.push_back({conversation + "-t" + std::to_string(++turn), conversation, "assistant", "assistant",
                                 time, std::move(text)});
            time += 60 + int64_t(rng.below(120));
        };
        // The companion's turn before a line that answers a question is that question.
        auto prompt_of = [&](size_t i) {
            return i < user_lines.size() && user_lines[i].second ? user_lines[i].second->prompt : std::string();
        };
        if (!prompt_of(0).empty())
            say_assistant(prompt_of(0));
        for (size_t i = 0; i < user_lines.size(); ++i) {
            auto& [text, plant_ptr] = user_lines[i];
            std::string id = conversation + "-t" + std::to_string(++turn);
            set.turns.push_back({id, conversation, "user", "user", time, text});
            if (plant_ptr)
                plant_ptr->id = id;
            time += 45;
            std::string next_prompt = prompt_of(i + 1);
            say_assistant(next_prompt.empty() ? rng.pick(assistant_replies) : next_prompt);
        }
    }
    for (Pending& p : pending) {
        for (auto [s, index] : p.evidence)
            p.question.evidence.push_back(planted[size_t(s)][index].id);
        set.questions.push_back(std::move(p.question));
    }
    return set;
}

std::vector<EpisodeInput> generate_filler_turns(uint64_t seed, size_t count, int64_t begin, int64_t end,
                                                const std::string& prefix) {
    Rng rng{seed ^ 0xF111E5ull};
    static const std::array<const char*, 64> common = {
        "today",   "work",     "home",      "friend",   "really",  "think", "time",    "good",  "little",  "dinner",
        "coffee",  "weekend",  "music",     "walk",     "tired",   "happy", "morning", "night", "city",    "train",
        "book",    "film",     "family",    "phone",    "weather", "rain",  "sunny",   "cook",  "garden",  "office",
        "meeting", "email",    "sleep",     "lunch",    "park",    "shop",  "bought",  "read",  "watched", "played",
        "called",  "visited",  "quiet",     "busy",     "nice",    "funny", "strange", "late",  "early",   "again",
        "maybe",   "probably", "yesterday", "tomorrow", "week",    "month", "plan",    "idea",  "car",     "dog",
        "cat",     "kitchen",  "sister",    "travel"};
    static const std::array<const char*, 16> syllables = {"ka", "lo", "mi", "ru", "te",  "sa", "no", "vi",
                                                          "de", "po", "ga", "li", "shu", "re", "to", "ba"};
    std::vector<EpisodeInput> out;
    out.reserve(count);
    const int64_t span = std::max<int64_t>(1, end - begin);
    for (size_t i = 0; i < count; ++i) {
        std::string text;
        size_t length = 6 + rng.below(11);
        for (size_t w = 0; w < length; ++w) {
            if (!text.empty())
                text += ' ';
            // Roughly Zipf: a few frequent words, a long tail of rare made-up ones.
            if (rng.unit() < 0.45) {
                text += common[rng.below(common.size())];
            } else {
                size_t rank = size_t(std::exp(rng.unit() * std::log(4096.0)));
                text += syllables[rank % 16];
                text += syllables[(rank / 16) % 16];
                if (rank >= 256)
                    text += syllables[(rank / 256) % 16];
            }
        }
        text += '.';
        int64_t time = begin + int64_t(double(span) * double(i) / double(count));
        std::string conversation = prefix + "c" + std::to_string(i / 20);
        bool user = i % 2 == 0;
        out.push_back({prefix + std::to_string(i), conversation, user ? "user" : "assistant",
                       user ? "user" : "assistant", time, std::move(text)});
    }
    return out;
}

UtcOffset eval_set_zone() {
    return fixed_utc_offset(std::chrono::seconds(0));
}

}  // namespace os1::memory
