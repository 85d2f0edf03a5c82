// Unit tests of the playback queue: what is emitted against what the listener has heard.
#include <numeric>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "voice/playback-queue.h"

namespace {

using namespace os1::voice;

// `count` samples numbered from `first`, so that where each came from can be checked.
std::vector<Sample> numbered(size_t count, Sample first) {
    std::vector<Sample> samples(count);
    std::iota(samples.begin(), samples.end(), first);
    return samples;
}

// Emits `count` samples at `position`; returns what came out.
std::vector<Sample> emit(PlaybackQueue& queue, size_t count, uint64_t position) {
    std::vector<Sample> out(count, -1);
    out.resize(queue.emit(out, position));
    return out;
}

TEST(PlaybackQueue, HeardAtOnceIsSpokenClauseByClause) {
    PlaybackQueue queue;
    queue.push("One two.", numbered(100, 0));
    queue.push(" Three four five.", numbered(300, 1000));
    EXPECT_TRUE(queue.ready_to_emit(1));
    EXPECT_EQ(emit(queue, 160, 0), [] {
        auto expected = numbered(100, 0);
        auto next = numbered(60, 1000);
        expected.insert(expected.end(), next.begin(), next.end());
        return expected;
    }());
    queue.heard_up_to(160);
    EXPECT_EQ(queue.spoken(), "One two.");  // and none of the next: 60 of 300 is a fifth of a word short
    EXPECT_EQ(emit(queue, 160, 160), numbered(160, 1060));
    queue.heard_up_to(320);
    EXPECT_EQ(queue.spoken(), "One two. Three four");  // 220 of 300: two words of three
    EXPECT_EQ(emit(queue, 160, 320), numbered(80, 1220));
    EXPECT_FALSE(queue.ready_to_emit(1));
    EXPECT_FALSE(queue.all_heard());
    queue.heard_up_to(480);
    EXPECT_TRUE(queue.all_heard());
    EXPECT_EQ(queue.spoken(), "One two. Three four five.");
}

TEST(PlaybackQueue, WhatIsBufferedAheadOfTheListenerIsNotSpoken) {
    PlaybackQueue queue;
    queue.push("First clause here.", numbered(200, 0));
    queue.push(" Second one.", numbered(200, 1000));
    // Silence went out before the reply: the reply starts at 1,000 in the stream.
    EXPECT_EQ(emit(queue, 400, 1000).size(), 400u);
    EXPECT_FALSE(queue.ready_to_emit(1));
    queue.heard_up_to(1000);
    EXPECT_EQ(queue.spoken(), "");
    queue.heard_up_to(1100);
    EXPECT_EQ(queue.spoken(), "First");  // half of three words: one
    queue.heard_up_to(1250);
    EXPECT_EQ(queue.spoken(), "First clause here.");
    EXPECT_FALSE(queue.all_heard());
    queue.heard_up_to(1200);  // a report that moves back changes nothing
    EXPECT_EQ(queue.spoken(), "First clause here.");
}

TEST(PlaybackQueue, RewindingPlaysAgainWhatWasNotHeard) {
    PlaybackQueue queue;
    queue.push("Alpha beta.", numbered(100, 0));
    queue.push(" Gamma delta.", numbered(100, 1000));
    EXPECT_EQ(emit(queue, 160, 0).size(), 160u);
    queue.heard_up_to(50);
    queue.rewind_to_heard();
    EXPECT_TRUE(queue.ready_to_emit(1));
    // After a pause, the stream has moved on; the reply goes on from the 51st sample.
    EXPECT_EQ(emit(queue, 50, 500), numbered(50, 50));
    EXPECT_EQ(emit(queue, 100, 550), numbered(100, 1000));
    queue.heard_up_to(540);  // the first 40 of those again, and nothing from before the pause
    EXPECT_EQ(queue.spoken(), "Alpha");
    queue.heard_up_to(650);
    EXPECT_TRUE(queue.all_heard());
    EXPECT_EQ(queue.spoken(), "Alpha beta. Gamma delta.");
}

TEST(PlaybackQueue, AClauseWithoutAudioIsSpokenOnceReachedAndWhatCameBeforeWasHeard) {
    PlaybackQueue queue;
    queue.push("Hm", {});
    queue.heard_up_to(0);
    EXPECT_EQ(queue.spoken(), "") << "not reached: nothing was emitted yet";
    EXPECT_TRUE(queue.ready_to_emit(1));
    queue.push(" well", numbered(100, 0));
    queue.push(",", {});
    queue.push(" yes.", numbered(100, 200));
    EXPECT_EQ(emit(queue, 100, 0).size(), 100u);
    queue.heard_up_to(99);
    EXPECT_EQ(queue.spoken(), "Hm");
    queue.heard_up_to(100);
    EXPECT_EQ(queue.spoken(), "Hm well,");
    EXPECT_TRUE(queue.ready_to_emit(1));
    queue.clear();
    EXPECT_TRUE(queue.all_heard());
    EXPECT_FALSE(queue.ready_to_emit(1));
    EXPECT_EQ(queue.spoken(), "");
}

// A clause queued while it is synthesised: emission waits at the end of what was made, and
// none of its words count until its length is known.
TEST(PlaybackQueue, AClauseStillBeingMadeIsPlayedAsItComes) {
    PlaybackQueue queue;
    queue.begin_clause("Made while playing.");
    EXPECT_FALSE(queue.ready_to_emit(1)) << "nothing made yet";
    const auto first = numbered(100, 0);
    queue.add_audio(first);
    EXPECT_TRUE(queue.ready_to_emit(100));
    EXPECT_FALSE(queue.ready_to_emit(160)) << "a whole frame would run dry inside the clause";
    EXPECT_EQ(emit(queue, 160, 0), first);
    queue.heard_up_to(160);
    EXPECT_EQ(queue.spoken(), "") << "its length is not known yet";
    EXPECT_FALSE(queue.all_heard());
    const auto rest = numbered(200, 100);
    queue.add_audio(rest);
    queue.end_clause();
    EXPECT_TRUE(queue.ready_to_emit(160));
    EXPECT_EQ(emit(queue, 160, 160), numbered(160, 100));
    queue.heard_up_to(320);
    EXPECT_EQ(queue.spoken(), "Made while");  // 260 of 300: two words of three
    EXPECT_TRUE(queue.ready_to_emit(160)) << "the rest of a finished clause is ready, short as it is";
    EXPECT_EQ(emit(queue, 160, 320).size(), 40u);
    queue.heard_up_to(480);
    EXPECT_TRUE(queue.all_heard());
    EXPECT_EQ(queue.spoken(), "Made while playing.");
}

}  // namespace
