// Who a question is about. Questions about conversations name the speaker in the third person
// ("What are Kate's hobbies?"), while the answer is that speaker's own turn in the first person
// ("I love skiing"), which never contains the name. Matching the name against the speakers of
// the stored turns lets search prefer what that person said. Names are matched as people spell
// them: case-insensitively, by any word of the speaker's name, and with one letter off or a
// letter doubled ("Muhammad" for "Muhhamed", "Aqib" for "Akib"). Internal to the memory module.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace os1::memory {

struct NamedSpeakers {
    std::vector<std::string> speakers;  // the stored speaker names the query names, as stored
    std::vector<std::string> words;     // the query's words that named them, lowercased
};

// The speakers among `speakers` that a capitalised word of `query` names: equal to a word of
// the speaker's name (case-insensitively), or, for words of four letters or more, the same
// but for one letter, with doubled letters counted once. Lowercase words never name anyone, so
// "rose" stays a flower while "Rose" may be a person.
NamedSpeakers named_speakers(std::string_view query, const std::vector<std::string>& speakers);

// True for a turn in the first person ("I", "my", "me", "I'm", ...): how people tell what they
// do, like and have.
bool speaks_in_first_person(std::string_view text);

}  // namespace os1::memory
