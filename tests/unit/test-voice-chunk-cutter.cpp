// Where a long utterance is cut into chunks for a recogniser: at a pause once a chunk is long
// enough, at the limit regardless, at the same places however the audio is split into pieces,
// and each chunk knows whether it held speech. On speech that flite makes at test time.
#include <gtest/gtest.h>

#include <cmath>

#include "support/temp-dir.h"
#include "support/voice-audio.h"
#include "voice/chunk-cutter.h"

using namespace os1;
using namespace os1::voice;
using namespace std::chrono_literals;

namespace {

struct Cut {
    size_t at = 0;  // in the whole clip
    bool had_speech = false;
    bool operator==(const Cut&) const = default;
};

// Feeds `clip` in pieces of `piece` samples and returns the cuts, as offsets into the clip.
std::vector<Cut> cut(ChunkCutter& cutter, const AudioClip& clip, size_t piece) {
    cutter.reset();
    std::vector<Cut> cuts;
    const std::span<const Sample> audio = clip.samples;
    for (size_t at = 0; at < audio.size(); at += piece) {
        for (const ChunkCutter::ChunkEnd& end : cutter.cuts(audio.subspan(at, std::min(piece, audio.size() - at))))
            cuts.push_back({at + end.offset, end.had_speech});
    }
    return cuts;
}

}  // namespace

TEST(VoiceChunkCutter, CutsAtAPauseOnceTheChunkIsLongEnough) {
    const auto dir = test::unique_temp_dir("voice-chunk-cutter");
    AudioClip monologue;
    std::vector<std::pair<size_t, size_t>> pauses;  // [begin, end) of each silence
    for (const char* sentence : {"I have been reading a good book about the history of tea.",
                                 "My train was late again this morning.",
                                 "Could you remind me to call my sister tomorrow evening."}) {
        const AudioClip speech = test::flite_speech(dir, sentence, "rms");
        // flite ends on a quiet tail of its own: the pause begins after the last 10 ms frame
        // louder than -35 dBFS.
        size_t speech_end = 0;
        for (size_t frame = 0; frame + k_frame_samples <= speech.samples.size(); frame += k_frame_samples) {
            double power = 0;
            for (size_t i = frame; i < frame + k_frame_samples; ++i)
                power += double(speech.samples[i]) * speech.samples[i];
            if (std::sqrt(power / k_frame_samples) > 580)
                speech_end = frame + k_frame_samples;
        }
        const size_t begin = monologue.samples.size() + speech_end;
        monologue = test::concatenate(monologue, speech);
        monologue = test::concatenate(monologue, test::silence(500));
        pauses.emplace_back(begin, monologue.samples.size());
    }
    ChunkCutter cutter(2s, 30s);
    const std::vector<Cut> cuts = cut(cutter, monologue, samples_for(100ms));
    // Every sentence is over 2 s, so each pause ends a chunk: inside the pause, not at a word's
    // end (a pause is 150 ms of quiet frames).
    ASSERT_EQ(cuts.size(), pauses.size());
    for (size_t i = 0; i < cuts.size(); ++i) {
        EXPECT_GE(cuts[i].at, pauses[i].first + samples_for(100ms)) << i;
        EXPECT_LT(cuts[i].at, pauses[i].second) << i;
        EXPECT_TRUE(cuts[i].had_speech) << i;
    }
    // The same cuts whatever the pieces' sizes: a frame spans pieces.
    EXPECT_EQ(cut(cutter, monologue, 37), cuts);
    EXPECT_EQ(cut(cutter, monologue, monologue.samples.size()), cuts);
    // With a longer minimum, the first pause is too early to cut at.
    ChunkCutter patient(std::chrono::milliseconds(pauses[0].second * 1000 / k_sample_rate + 100), 30s);
    const std::vector<Cut> fewer = cut(patient, monologue, samples_for(100ms));
    ASSERT_FALSE(fewer.empty());
    EXPECT_GT(fewer.front().at, pauses[0].second);
}

TEST(VoiceChunkCutter, CutsAtTheLimitWithoutAPause) {
    const auto dir = test::unique_temp_dir("voice-chunk-cutter-limit");
    const AudioClip speech = test::flite_speech(
        dir, "Could you remind me to call my sister tomorrow evening about the history of tea and the late train.");
    ASSERT_GT(speech.duration(), 4s);
    ChunkCutter cutter(60s, 2s);
    const std::vector<Cut> cuts = cut(cutter, speech, samples_for(100ms));
    ASSERT_EQ(cuts.size(), speech.samples.size() / samples_for(2s));
    for (size_t i = 0; i < cuts.size(); ++i)
        EXPECT_EQ(cuts[i].at, (i + 1) * samples_for(2s)) << i;
    EXPECT_TRUE(cuts.front().had_speech);
}

TEST(VoiceChunkCutter, ChunksOfSilenceHoldNoSpeech) {
    ChunkCutter cutter(1s, 2s);
    const std::vector<Cut> cuts = cut(cutter, test::silence(5000), samples_for(100ms));
    ASSERT_FALSE(cuts.empty());
    for (const Cut& c : cuts)
        EXPECT_FALSE(c.had_speech);
    EXPECT_FALSE(cutter.chunk_has_speech());
}
