// Unit tests of the clause splitter: clauses handed out as soon as they are complete, a pause
// only after a long enough clause, no cut inside numbers or abbreviations, UTF-8 safe, and
// nothing lost or added.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "voice/clause-splitter.h"

namespace {

using os1::voice::ClauseSplitter;

// Pushes the text in pieces of `piece_size` bytes; returns every clause, the rest included.
std::vector<std::string> split(std::string_view text, size_t piece_size = 1) {
    ClauseSplitter splitter;
    std::vector<std::string> clauses;
    for (size_t at = 0; at < text.size(); at += piece_size) {
        for (std::string& clause : splitter.push(text.substr(at, piece_size)))
            clauses.push_back(std::move(clause));
    }
    std::string rest = splitter.finish();
    if (!rest.empty())
        clauses.push_back(rest);
    return clauses;
}

std::string joined(const std::vector<std::string>& clauses) {
    std::string text;
    for (const std::string& clause : clauses)
        text += clause;
    return text;
}

TEST(ClauseSplitter, SentencesAreClauses) {
    EXPECT_EQ(split("Hello there. How are you? I'm fine!"),
              (std::vector<std::string>{"Hello there.", " How are you?", " I'm fine!"}));
}

TEST(ClauseSplitter, AClauseIsHandedOutOnceWhatFollowsShowsItIsComplete) {
    ClauseSplitter splitter;
    EXPECT_TRUE(splitter.push("Sure thing").empty());
    EXPECT_TRUE(splitter.push(".").empty());  // could still become "Sure thing.com"
    EXPECT_EQ(splitter.push(" Let"), std::vector<std::string>{"Sure thing."});
    EXPECT_TRUE(splitter.push("'s go").empty());
    EXPECT_EQ(splitter.finish(), " Let's go");
    EXPECT_EQ(splitter.finish(), "");
}

TEST(ClauseSplitter, APauseEndsOnlyALongEnoughClause) {
    EXPECT_EQ(split("Oh, I see. Well, that is interesting, because I thought otherwise; never mind."),
              (std::vector<std::string>{"Oh, I see.", " Well, that is interesting,", " because I thought otherwise;",
                                        " never mind."}));
    EXPECT_EQ(split("Honestly, yes: it works."), (std::vector<std::string>{"Honestly, yes: it works."}));
}

TEST(ClauseSplitter, AVeryLongClauseWithNoMarkEndsAtASpace) {
    // 20 words of four letters: 80 letters are reached inside the 20th word, so the cut comes
    // at the space after it, and the rest waits for its own end.
    std::string text;
    for (int word = 0; word < 30; ++word)
        text += word == 0 ? "word" : " word";
    std::vector<std::string> clauses = split(text);
    ASSERT_EQ(clauses.size(), 2u);
    EXPECT_EQ(clauses[0].size(), 20 * 5 - 1u);
    EXPECT_EQ(joined(clauses), text);
}

TEST(ClauseSplitter, NumbersAbbreviationsAndInitialsDoNotEndASentence) {
    EXPECT_EQ(split("It costs 3.5 dollars, e.g. at the store. Ask Dr. Smith and J. Doe about it."),
              (std::vector<std::string>{"It costs 3.5 dollars,", " e.g. at the store.",
                                        " Ask Dr. Smith and J. Doe about it."}));
    EXPECT_EQ(split("We had 1,000 visitors and counting, which is a lot."),
              (std::vector<std::string>{"We had 1,000 visitors and counting,", " which is a lot."}));
}

TEST(ClauseSplitter, EllipsesQuotesAndDashes) {
    EXPECT_EQ(
        split("Well\xE2\x80\xA6 I don't know. She said \"go home.\" And so I did!"),
        (std::vector<std::string>{"Well\xE2\x80\xA6", " I don't know.", " She said \"go home.\"", " And so I did!"}));
    EXPECT_EQ(split("Wait... what? Really?!"), (std::vector<std::string>{"Wait...", " what?", " Really?!"}));
    EXPECT_EQ(split("I remember that evening clearly\xE2\x80\x94the rain, the music."),
              (std::vector<std::string>{"I remember that evening clearly\xE2\x80\x94", "the rain, the music."}));
}

TEST(ClauseSplitter, PiecesEndingInsideACharacterAreSafe) {
    std::string text =
        "Caf\xC3\xA9 au lait, s'il vous pla\xC3\xAEt\xE2\x80\xA6 Merci beaucoup \xF0\x9F\x98\x8A. Au revoir!";
    std::vector<std::string> whole = split(text, text.size());
    for (size_t piece = 1; piece <= 4; piece++)
        EXPECT_EQ(split(text, piece), whole) << "pieces of " << piece << " bytes";
    EXPECT_EQ(joined(whole), text);
    EXPECT_EQ(whole.size(), 3u);
}

TEST(ClauseSplitter, NothingIsLostOrAdded) {
    std::string text = "  First line\nSecond line, with more words in it; and a third part. Done?!  \n";
    for (size_t piece = 1; piece <= 7; piece++)
        EXPECT_EQ(joined(split(text, piece)), text);
    EXPECT_TRUE(split("").empty());
}

}  // namespace
