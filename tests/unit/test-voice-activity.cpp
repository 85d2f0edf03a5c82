// The energy detector and the endpointer on real speech (flite and espeak-ng, made at test
// time) in silence and in sox's white and pink noise at 20 and 10 dB SNR; pure silence and pure
// noise are never a turn; and the endpointer's hangover adapts to the words.
#include <gtest/gtest.h>

#include <cmath>
#include <optional>

#include "support/temp-dir.h"
#include "support/voice-audio.h"
#include "voice/clip-turns.h"
#include "voice/endpointer.h"
#include "voice/energy-detector.h"
#include "voice/noise-mix.h"

using namespace os1;
using namespace os1::voice;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr int k_frame_ms = 10;

struct Speech {
    std::string name;
    AudioClip clean;  // 1 s of silence, the sentence, 1.5 s of silence
    int start_ms;
    int end_ms;
};

class VoiceActivity : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        dir = new fs::path(test::unique_temp_dir("voice-activity"));
        const std::string sentence = "I went to the market this morning, and bought fresh bread for breakfast.";
        speeches = new std::vector<Speech>;
        for (auto [name, clip] : {std::pair{std::string("flite slt"), test::flite_speech(*dir, sentence, "slt")},
                                  std::pair{std::string("flite rms"), test::flite_speech(*dir, sentence, "rms")},
                                  std::pair{std::string("espeak-ng 175"), test::espeak_speech(*dir, sentence, 175)}}) {
            AudioClip padded = test::concatenate(test::concatenate(test::silence(1000), clip), test::silence(1500));
            const SpeechSpan span = speech_span(padded);
            speeches->push_back({name, std::move(padded), span.start_ms, span.end_ms});
        }
        white = new AudioClip(test::sox_noise(*dir, "whitenoise", 5));
        pink = new AudioClip(test::sox_noise(*dir, "pinknoise", 5));
    }
    static void TearDownTestSuite() {
        delete dir;
        delete speeches;
        delete white;
        delete pink;
    }

    static fs::path* dir;
    static std::vector<Speech>* speeches;
    static AudioClip* white;
    static AudioClip* pink;
};

fs::path* VoiceActivity::dir;
std::vector<Speech>* VoiceActivity::speeches;
AudioClip* VoiceActivity::white;
AudioClip* VoiceActivity::pink;

}  // namespace

TEST_F(VoiceActivity, FindsEachSentenceAsOneTurnInSilenceAndNoise) {
    const EndpointerSettings settings;
    for (const Speech& speech : *speeches) {
        const std::vector<std::pair<std::string, const AudioClip*>> noises = {
            {"none", nullptr}, {"white", white}, {"pink", pink}};
        for (const auto& [noise_name, noise] : noises) {
            for (double snr : {20.0, 10.0}) {
                if (!noise && snr == 10.0)
                    continue;
                SCOPED_TRACE(speech.name + ", noise " + noise_name + (noise ? " at " + std::to_string(int(snr)) + " dB" : ""));
                const AudioClip clip = noise ? mix_at_snr(speech.clean, *noise, snr) : speech.clean;
                const std::vector<ClipTurn> turns = turns_in(clip, settings);
                ASSERT_EQ(turns.size(), 1u);
                // It starts once min_speech of the speech was heard (a little later in noise, which
                // hides the sentence's quiet onset), not in the noise before it.
                EXPECT_GE(turns[0].start_ms, speech.start_ms);
                EXPECT_LE(turns[0].start_ms, speech.start_ms + settings.min_speech.count() + 150);
                // It ends after the sentence does, within the hangover and a little.
                ASSERT_GE(turns[0].end_ms, 0) << "the turn never ended";
                EXPECT_GE(turns[0].end_ms, speech.end_ms - 150);
                EXPECT_LE(turns[0].end_ms, speech.end_ms + settings.hangover.count() + 150);
            }
        }
    }
}

TEST_F(VoiceActivity, PureSilenceAndPureNoiseAreNoTurn) {
    EnergyDetector detector;
    const AudioClip quiet = test::silence(3000);
    for (size_t at = 0; at + k_frame_samples <= quiet.samples.size(); at += k_frame_samples)
        EXPECT_FALSE(detector.is_speech(Frame(quiet.samples.data() + at, k_frame_samples)));
    EXPECT_TRUE(turns_in(quiet).empty());
    EXPECT_TRUE(turns_in(*white).empty());
    EXPECT_TRUE(turns_in(*pink).empty());
    // Noise that starts loud with no quiet before it is learnt within the first frames.
    AudioClip loud_pink = *pink;
    for (Sample& s : loud_pink.samples)
        s = static_cast<Sample>(std::clamp(s * 1.8, -32768.0, 32767.0));
    EXPECT_TRUE(turns_in(loud_pink).empty());
}

TEST_F(VoiceActivity, TheNoiseFloorFollowsTheRoom) {
    // Quiet, then a fan 30 dB louder for 5 s: the detector may take it for speech at first,
    // but once it has learnt the new floor (1.6 s) the fan is no longer speech, and a sentence
    // over it is.
    const Speech& speech = speeches->front();
    AudioClip fan = *white;
    for (Sample& s : fan.samples)
        s = static_cast<Sample>(s / 4);
    const AudioClip room = test::concatenate(test::silence(1000), fan);
    EnergyDetector detector;
    int speech_frames_late = 0;
    for (size_t at = 0; at + k_frame_samples <= room.samples.size(); at += k_frame_samples) {
        const bool speech_frame = detector.is_speech(Frame(room.samples.data() + at, k_frame_samples));
        if (at >= samples_for(3000ms))
            speech_frames_late += speech_frame;
    }
    EXPECT_EQ(speech_frames_late, 0);
    EXPECT_LT(detector.noise_floor_dbfs(), detector.last_level_dbfs() + 1);
    EXPECT_GT(detector.noise_floor_dbfs(), -60);

    const AudioClip over_fan = mix_at_snr(speech.clean, fan, 10);
    EXPECT_EQ(turns_in(test::concatenate(fan, over_fan)).size(), 1u);
}

TEST(VoiceEndpointer, AClickIsNotATurn) {
    Endpointer endpointer;
    for (int i = 0; i < 8; ++i)
        EXPECT_EQ(endpointer.push(true, ""), Endpointer::Event::None);
    for (int i = 0; i < 100; ++i)
        EXPECT_EQ(endpointer.push(false, ""), Endpointer::Event::None);
    EXPECT_FALSE(endpointer.in_speech());
    // Two clicks close together are not one long enough sound either.
    for (int i = 0; i < 8; ++i)
        endpointer.push(true, "");
    for (int i = 0; i < 10; ++i)
        endpointer.push(false, "");
    for (int i = 0; i < 8; ++i)
        EXPECT_EQ(endpointer.push(true, ""), Endpointer::Event::None);
}

TEST(VoiceEndpointer, SpeechStartsAfterTheMinimumDurationDespiteAStopConsonant) {
    Endpointer endpointer;  // 150 ms
    for (int i = 0; i < 10; ++i)
        endpointer.push(true, "");
    endpointer.push(false, "");  // the closure of a "t"
    endpointer.push(false, "");
    for (int i = 0; i < 4; ++i)
        EXPECT_EQ(endpointer.push(true, ""), Endpointer::Event::None);
    EXPECT_EQ(endpointer.push(true, ""), Endpointer::Event::SpeechStarted);
    EXPECT_TRUE(endpointer.in_speech());
}

namespace {

// The silence (ms) after which an utterance ends, when the recogniser has heard `words`.
int hangover_after(const std::string& words, EndpointerSettings settings = {}) {
    Endpointer endpointer(settings);
    for (int i = 0; i < 50; ++i)
        endpointer.push(true, words);
    EXPECT_TRUE(endpointer.in_speech());
    for (int frame = 1; frame <= 500; ++frame) {
        if (endpointer.push(false, words) == Endpointer::Event::SpeechEnded) {
            EXPECT_EQ(endpointer.last_hangover().count(), frame * k_frame_ms);
            return frame * k_frame_ms;
        }
    }
    return -1;
}

}  // namespace

TEST(VoiceEndpointer, TheHangoverAdaptsToTheWords) {
    const EndpointerSettings settings;
    // A complete-sounding sentence: short.
    EXPECT_EQ(hangover_after("i would like a cup of tea"), settings.hangover_complete.count());
    EXPECT_EQ(hangover_after("What time is it?"), settings.hangover_complete.count());
    // A trailing conjunction or filler: the speaker is going on.
    for (const char* words : {"i went to the shop and", "it was late so", "i wanted to but", "well i think um",
                              "it was uh", "it was like", "I'm tired, and"})
        EXPECT_EQ(hangover_after(words), settings.hangover_continuing.count()) << words;
    // Nothing recognised yet, too few words to judge, or a sentence that cannot end there.
    EXPECT_EQ(hangover_after(""), settings.hangover.count());
    EXPECT_EQ(hangover_after("yes"), settings.hangover.count());
    EXPECT_EQ(hangover_after("i want to go to the"), settings.hangover.count());
    // A word that merely contains "and" is not "and".
    EXPECT_EQ(hangover_after("we walked along the sand"), settings.hangover_complete.count());

    EndpointerSettings custom;
    custom.hangover_complete = 200ms;
    custom.hangover_continuing = 1200ms;
    EXPECT_EQ(hangover_after("see you tomorrow then", custom), 1200);
    EXPECT_EQ(hangover_after("see you tomorrow morning", custom), 200);
}

TEST(VoiceEndpointer, SpeechResumingWithinTheHangoverContinuesTheTurn) {
    Endpointer endpointer;
    for (int i = 0; i < 30; ++i)
        endpointer.push(true, "");
    for (int i = 0; i < 40; ++i)  // 400 ms, under the 450 ms hangover
        EXPECT_EQ(endpointer.push(false, ""), Endpointer::Event::None);
    for (int i = 0; i < 30; ++i)
        EXPECT_EQ(endpointer.push(true, ""), Endpointer::Event::None);
    EXPECT_TRUE(endpointer.in_speech());
    endpointer.reset();
    EXPECT_FALSE(endpointer.in_speech());
}

TEST(VoiceEndpointer, AnUtteranceEndsAtItsLimit) {
    EndpointerSettings settings;
    settings.max_utterance = 1s;
    Endpointer endpointer(settings);
    int ended_at = -1;
    for (int frame = 0; frame < 300 && ended_at < 0; ++frame)
        if (endpointer.push(true, "and so") == Endpointer::Event::SpeechEnded)
            ended_at = frame;
    // 15 frames to start, then 100 frames of utterance counted from its first speech frame.
    EXPECT_EQ(ended_at, 99);
}
