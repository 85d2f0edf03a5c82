// Unit tests of the flite synthesizer: real speech of a plausible length, and the mood's
// prosody heard in it (rate in the duration, pitch in the measured F0, volume in the level).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/voice-mixing.h"
#include "voice/flite-synthesizer.h"

namespace {

using namespace os1;
using namespace os1::voice;

std::unique_ptr<FliteSynthesizer> synthesizer() {
    auto created = FliteSynthesizer::create();
    EXPECT_TRUE(created) << created.error().message;
    return created.release_value();
}

AudioClip speak(SpeechSynthesizer& synth, std::string_view text, affect::ProsodyHints prosody = {}) {
    auto clip = synth.synthesize(text, prosody);
    EXPECT_TRUE(clip) << clip.error().message;
    return clip ? clip.release_value() : AudioClip{};
}

// The median fundamental frequency of the voiced 40 ms windows, by autocorrelation (70-400 Hz).
double median_f0(const std::vector<Sample>& samples) {
    constexpr size_t window = 640;
    constexpr size_t min_lag = k_sample_rate / 400;
    constexpr size_t max_lag = k_sample_rate / 70;
    std::vector<double> f0s;
    for (size_t start = 0; start + window + max_lag < samples.size(); start += window / 2) {
        const Sample* x = samples.data() + start;
        if (os1::test::rms_of(x, window) < 1000)
            continue;
        double energy = 0;
        for (size_t i = 0; i < window; i++)
            energy += static_cast<double>(x[i]) * x[i];
        std::vector<double> correlation(max_lag + 2, 0.0);
        double best = 0;
        for (size_t lag = min_lag - 1; lag <= max_lag + 1; lag++) {
            for (size_t i = 0; i < window; i++)
                correlation[lag] += static_cast<double>(x[i]) * x[i + lag];
            if (lag >= min_lag && lag <= max_lag)
                best = std::max(best, correlation[lag]);
        }
        if (best < 0.5 * energy)
            continue;  // not clearly periodic: unvoiced
        // The shortest lag that correlates almost as well as the best: the period, not a
        // multiple of it.
        for (size_t lag = min_lag; lag <= max_lag; lag++) {
            bool peak = correlation[lag] >= correlation[lag - 1] && correlation[lag] >= correlation[lag + 1];
            if (peak && correlation[lag] >= 0.85 * best) {
                f0s.push_back(static_cast<double>(k_sample_rate) / static_cast<double>(lag));
                break;
            }
        }
    }
    if (f0s.empty())
        return 0;
    std::nth_element(f0s.begin(), f0s.begin() + static_cast<ptrdiff_t>(f0s.size() / 2), f0s.end());
    return f0s[f0s.size() / 2];
}

const std::string k_sentence = "I was thinking about what you told me yesterday, and I think you were right.";

TEST(FliteSynthesizer, SpeaksASentenceAsSpeechOfAPlausibleLength) {
    auto synth = synthesizer();
    AudioClip clip = speak(*synth, k_sentence);
    // 14 words at a conversational 2 to 4 words a second.
    EXPECT_GT(clip.duration(), std::chrono::milliseconds(3000));
    EXPECT_LT(clip.duration(), std::chrono::milliseconds(8000));
    // Speech: loud enough, with quiet gaps (not a tone or noise), and a female voice's pitch.
    EXPECT_GT(os1::test::rms_of(clip.samples), 1000);
    size_t quiet_frames = 0;
    size_t frames = clip.samples.size() / k_frame_samples;
    for (size_t f = 0; f < frames; f++)
        quiet_frames += os1::test::rms_of(clip.samples.data() + f * k_frame_samples, k_frame_samples) < 300;
    EXPECT_GT(quiet_frames, frames / 20);
    EXPECT_LT(quiet_frames, frames / 2);
    double f0 = median_f0(clip.samples);
    EXPECT_GT(f0, 120);
    EXPECT_LT(f0, 300);
}

// The same clause sounds the same, sample for sample, whatever was said before it and whatever
// else used the C library's random numbers: replies, their echo and the tests that hear them
// are reproducible.
TEST(FliteSynthesizer, AClauseSoundsTheSameEveryTime) {
    auto synth = synthesizer();
    const AudioClip first = speak(*synth, k_sentence);
    speak(*synth, "Something else, spoken faster and higher.", {.rate = 1.2, .pitch_semitones = 3});
    (void)std::rand();
    const AudioClip again = speak(*synth, k_sentence);
    ASSERT_FALSE(first.samples.empty());
    EXPECT_EQ(first.samples, again.samples);
}

TEST(FliteSynthesizer, AFasterRateIsShorter) {
    auto synth = synthesizer();
    AudioClip fast = speak(*synth, k_sentence, {.rate = 1.15});
    AudioClip slow = speak(*synth, k_sentence, {.rate = 0.85});
    AudioClip usual = speak(*synth, k_sentence);
    EXPECT_LT(fast.samples.size(), usual.samples.size());
    EXPECT_LT(usual.samples.size(), slow.samples.size());
    // Durations scale with the rate: 0.85 / 1.15 = 0.74, give or take the pauses.
    double ratio = static_cast<double>(fast.samples.size()) / static_cast<double>(slow.samples.size());
    EXPECT_GT(ratio, 0.65);
    EXPECT_LT(ratio, 0.85);
}

TEST(FliteSynthesizer, PitchFollowsTheSemitones) {
    auto synth = synthesizer();
    double high = median_f0(speak(*synth, k_sentence, {.pitch_semitones = 2}).samples);
    double low = median_f0(speak(*synth, k_sentence, {.pitch_semitones = -2}).samples);
    ASSERT_GT(low, 0);
    // Four semitones apart: a factor of 1.26.
    EXPECT_GT(high / low, 1.12);
    EXPECT_LT(high / low, 1.45);
}

TEST(FliteSynthesizer, VolumeIsAGainThatSaturates) {
    auto synth = synthesizer();
    // flite's excitation has a random part, so two syntheses differ in detail: compare levels.
    AudioClip usual = speak(*synth, k_sentence);
    AudioClip louder = speak(*synth, k_sentence, {.volume = 1.15});
    AudioClip quieter = speak(*synth, k_sentence, {.volume = 0.85});
    ASSERT_EQ(usual.samples.size(), louder.samples.size());
    EXPECT_NEAR(os1::test::rms_of(louder.samples) / os1::test::rms_of(usual.samples), 1.15, 0.03);
    EXPECT_NEAR(os1::test::rms_of(quieter.samples) / os1::test::rms_of(usual.samples), 0.85, 0.03);
    // A gain far past full scale clips at the rails rather than wrapping around: the loud
    // parts sit at full scale, and no sample leaps from one rail to the other.
    AudioClip clipped = speak(*synth, k_sentence, {.volume = 4.0});
    size_t at_rails = 0;
    int max_step = 0;
    for (size_t i = 0; i < clipped.samples.size(); i++) {
        at_rails += clipped.samples[i] == 32767 || clipped.samples[i] == -32768;
        if (i > 0)
            max_step = std::max(max_step, std::abs(clipped.samples[i] - clipped.samples[i - 1]));
    }
    EXPECT_GT(at_rails, clipped.samples.size() / 100);
    EXPECT_LT(max_step, 50000);
}

// The vocoder's output is handed over as it is made, in many pieces, so that playback can
// start long before the clause is done; a sink that says stop ends the synthesis there.
TEST(FliteSynthesizer, StreamsAClauseInPiecesAndStopsWhenAsked) {
    auto synth = synthesizer();
    const std::string text = "You have the kindest way of noticing small things.";
    std::vector<size_t> pieces;
    std::vector<Sample> streamed;
    ASSERT_TRUE(synth->synthesize_streaming(text, {}, [&](std::span<const Sample> audio) {
        pieces.push_back(audio.size());
        streamed.insert(streamed.end(), audio.begin(), audio.end());
        return true;
    }));
    const AudioClip whole = speak(*synth, text);
    EXPECT_EQ(streamed, whole.samples);
    ASSERT_GT(pieces.size(), 20u);
    EXPECT_LT(pieces.front(), whole.samples.size() / 10) << "the first piece is not a small part of the clause";

    size_t calls = 0;
    size_t handed = 0;
    ASSERT_TRUE(synth->synthesize_streaming(text, {}, [&](std::span<const Sample> audio) {
        calls++;
        handed += audio.size();
        return handed < whole.samples.size() / 4;
    }));
    EXPECT_LT(handed, whole.samples.size() / 2);
    EXPECT_EQ(calls, size_t(std::find_if(pieces.begin(), pieces.end(),
                                         [&, sum = size_t(0)](size_t piece) mutable {
                                             sum += piece;
                                             return sum >= whole.samples.size() / 4;
                                         }) - pieces.begin()) + 1) << "pieces were handed over after stop";
    // And the voice is left as it was: the next clause is whole.
    EXPECT_EQ(speak(*synth, text).samples, whole.samples);
}

TEST(FliteSynthesizer, NothingToSayIsNoAudio) {
    auto synth = synthesizer();
    EXPECT_TRUE(speak(*synth, "").samples.empty());
    EXPECT_TRUE(speak(*synth, " ... !? ").samples.empty());
    EXPECT_FALSE(speak(*synth, "Hi!").samples.empty());
}

TEST(FliteSynthesizer, SpeaksFromSeveralThreadsOneAtATime) {
    auto synth = synthesizer();
    AudioClip expected = speak(*synth, "Good morning.");
    std::vector<AudioClip> clips(3);
    std::vector<std::thread> threads;
    for (AudioClip& clip : clips)
        threads.emplace_back([&] { clip = speak(*synth, "Good morning."); });
    for (std::thread& thread : threads)
        thread.join();
    // Each is the whole phrase (the same length, the same level), not a mix of two.
    for (const AudioClip& clip : clips) {
        EXPECT_EQ(clip.samples.size(), expected.samples.size());
        EXPECT_NEAR(os1::test::rms_of(clip.samples), os1::test::rms_of(expected.samples),
                    0.05 * os1::test::rms_of(expected.samples));
    }
}

}  // namespace
