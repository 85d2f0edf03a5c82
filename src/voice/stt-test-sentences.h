// Everyday sentences for measuring speech recognition (`os1 bench voice-stt`): the kind of
// thing a user says to a companion, written for os1 (no outside corpus). Thread-safe: constants.
#pragma once

#include <array>
#include <string_view>

namespace os1::voice {

inline constexpr std::array<std::string_view, 30> k_stt_test_sentences = {
    "Good morning, I slept really well last night.",
    "Could you remind me to call my sister tomorrow evening?",
    "The weather is lovely today, so I might go for a walk.",
    "I have been reading a good book about the history of tea.",
    "My train was late again this morning.",
    "What should I cook for dinner tonight?",
    "I feel a bit tired after such a long week at work.",
    "We went to the beach on Sunday and the water was cold.",
    "Can you tell me a story before I go to sleep?",
    "My friend is moving to another city next month.",
    "I need to buy bread, milk and some apples.",
    "The meeting went better than I expected.",
    "Do you remember what I told you about my garden?",
    "It has been raining all day and the streets are wet.",
    "I started learning to play the piano last year.",
    "Please wake me up at seven in the morning.",
    "My brother called me this afternoon to say hello.",
    "I think I will stay at home and watch a film.",
    "The coffee in that little shop is very good.",
    "I am nervous about my interview on Friday.",
    "Let us talk about something happy for a while.",
    "I lost my keys again and found them in my coat.",
    "The children were playing in the park until dark.",
    "How was your day, did anything interesting happen?",
    "I would like to visit my parents next weekend.",
    "The doctor said I should drink more water.",
    "We cleaned the whole house before the guests arrived.",
    "I miss the summer evenings when the sun set late.",
    "Thank you for listening to me, it really helps.",
    "Tell me something you find beautiful.",
};

}  // namespace os1::voice
