// Resampling to the pipeline's 16 kHz mono: a tone keeps its frequency and length from
// 44.1 kHz stereo, a stream converted in uneven chunks (as a microphone delivers it) matches
// the one-shot conversion, and impossible formats are refused.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "voice/resampler.h"

using namespace os1;
using namespace os1::voice;

namespace {

// `seconds` of a sine at `hz` on `channels` interleaved channels (the right one inverted and
// halved, so mixing down is tested too).
std::vector<float> tone(int rate, int channels, double hz, double seconds) {
    std::vector<float> samples;
    const int frames = static_cast<int>(rate * seconds);
    for (int i = 0; i < frames; ++i) {
        const float value = static_cast<float>(0.5 * std::sin(2 * std::numbers::pi * hz * i / rate));
        samples.push_back(value);
        for (int c = 1; c < channels; ++c)
            samples.push_back(c == 1 ? value * 0.5f : value);
    }
    return samples;
}

double frequency_of(const std::vector<Sample>& samples) {
    const size_t begin = samples.size() / 10, end = samples.size() - begin;
    size_t crossings = 0, first = 0, last = 0;
    for (size_t i = begin + 1; i < end; ++i) {
        if (samples[i - 1] < 0 && samples[i] >= 0) {
            if (crossings++ == 0)
                first = i;
            last = i;
        }
    }
    return crossings < 2 ? 0 : static_cast<double>(crossings - 1) * k_sample_rate / static_cast<double>(last - first);
}

}  // namespace

TEST(VoiceResampler, A440HzToneAt44100StereoKeepsItsFrequencyAndLength) {
    const std::vector<float> input = tone(44100, 2, 440, 2.0);
    auto clip = resample_to_clip(input, 44100, 2);
    ASSERT_TRUE(clip) << clip.error().message;
    EXPECT_EQ(clip->samples.size(), 32000u);
    EXPECT_NEAR(frequency_of(clip->samples), 440, 0.5);
    // Mixed down: (0.5 + 0.25) / 2 of full scale.
    const auto peak = *std::max_element(clip->samples.begin() + 1000, clip->samples.end() - 1000);
    EXPECT_NEAR(peak, 0.375 * 32768, 200);
}

TEST(VoiceResampler, AStreamInUnevenChunksMatchesTheWholeConversion) {
    const std::vector<float> input = tone(48000, 2, 440, 1.5);
    auto whole = resample_to_clip(input, 48000, 2);
    ASSERT_TRUE(whole);
    auto resampler = Resampler::create(48000, 2);
    ASSERT_TRUE(resampler);
    std::vector<Sample> streamed;
    const std::span<const float> all = input;
    size_t at = 0;
    for (size_t chunk_frames : {1u, 7u, 480u, 1023u, 4096u, 64u}) {
        for (int repeat = 0; repeat < 3 && at < all.size(); ++repeat) {
            const size_t take = std::min(chunk_frames * 2, all.size() - at);
            ASSERT_TRUE((*resampler)->push(all.subspan(at, take), streamed));
            at += take;
        }
    }
    ASSERT_TRUE((*resampler)->push(all.subspan(at), streamed));
    ASSERT_TRUE((*resampler)->flush(streamed));
    ASSERT_EQ(streamed.size(), whole->samples.size());
    int worst = 0;
    for (size_t i = 0; i < streamed.size(); ++i)
        worst = std::max(worst, std::abs(streamed[i] - whole->samples[i]));
    EXPECT_LE(worst, 2);

    // After flush the resampler starts a new stream of its own.
    std::vector<Sample> again;
    ASSERT_TRUE((*resampler)->push(input, again));
    ASSERT_TRUE((*resampler)->flush(again));
    EXPECT_EQ(again, whole->samples);
}

TEST(VoiceResampler, SixteenKilohertzMonoPassesThroughAndLoudSamplesClip) {
    const std::vector<float> input = {0.0f, 0.5f, -0.5f, 1.0f, -1.0f, 3.0f, -3.0f};
    auto clip = resample_to_clip(input, 16000, 1);
    ASSERT_TRUE(clip);
    EXPECT_EQ(clip->samples, (std::vector<Sample>{0, 16384, -16384, 32767, -32768, 32767, -32768}));
}

TEST(VoiceResampler, RefusesImpossibleFormats) {
    EXPECT_FALSE(Resampler::create(0, 1));
    EXPECT_FALSE(Resampler::create(48000, 0));
    EXPECT_FALSE(Resampler::create(1000000, 2));
    auto many = Resampler::create(16000, 65);
    ASSERT_FALSE(many);
    EXPECT_EQ(many.error().message, "65 channels is outside 1 to 64");
}
