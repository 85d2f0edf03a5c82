// Unit tests of the full-duplex session, simulated in virtual time: the user's side is real
// speech (espeak-ng) and noise (sox) on a timeline, the companion's side is real flite speech,
// and what is played comes back into the microphone through a simulated echo path (a gain and
// a delay). The recogniser and the replies are doubles (support/voice-doubles.h).
#include <algorithm>
#include <cstdio>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/temp-dir.h"
#include "support/voice-audio.h"
#include "support/voice-doubles.h"
#include "support/voice-mixing.h"
#include "voice/clause-splitter.h"
#include "voice/duplex-session.h"
#include "voice/energy-detector.h"
#include "voice/flite-synthesizer.h"

namespace {

using namespace os1;
using namespace os1::voice;
using namespace std::chrono_literals;
using os1::test::mix_into;
using os1::test::onset_of;

constexpr size_t k_second = k_sample_rate;

// Real sounds, made in a folder of this test program's own.
const std::filesystem::path& sound_dir() {
    static const std::filesystem::path dir = os1::test::unique_temp_dir("voice-duplex");
    return dir;
}
std::vector<Sample> espeak(const std::string& text) {
    return os1::test::espeak_speech(sound_dir(), text).samples;
}
std::vector<Sample> noise(const std::string& colour, double seconds) {
    return os1::test::sox_noise(sound_dir(), colour, seconds).samples;
}

std::string joined(const std::vector<std::string>& pieces) {
    std::string text;
    for (const std::string& piece : pieces)
        text += piece;
    return text;
}

std::string trimmed(const std::string& text) {
    size_t begin = text.find_first_not_of(' ');
    size_t end = text.find_last_not_of(' ');
    return begin == std::string::npos ? "" : text.substr(begin, end - begin + 1);
}

// The session in a loop of virtual time: each 10 ms the microphone hears the user's timeline
// plus the echo of what the speaker played, and the driver waits (wall time, not virtual)
// whenever the session is computing its reply. The speaker plays what the session returns a
// frame later, or later still behind a jitter buffer that it reports on as a browser does
// (voice-channel.h): it then holds `buffer` of audio before it plays, and drops what it holds
// when the session clears playback.
struct Echo {
    double gain = 0;
    std::chrono::milliseconds delay{0};   // beyond the one frame a device always adds
    std::chrono::milliseconds buffer{0};  // the listener's jitter buffer
};

// Makes the session's recogniser; `frames` is the simulation's clock, in frames.
using RecognizerFactory = std::function<std::unique_ptr<SpeechRecognizer>(const size_t& frames)>;

class Simulation {
public:
    // Without `make_recognizer`, the recogniser hears `transcripts` (FixedWordsRecognizer).
    Simulation(std::vector<std::vector<std::string>> scripts, std::vector<std::string> transcripts, Echo echo = {},
               size_t hold_from = SIZE_MAX, const RecognizerFactory& make_recognizer = {})
        : replies(std::move(scripts), hold_from), m_echo(echo) {
        auto synth = FliteSynthesizer::create();
        EXPECT_TRUE(synth);
        synthesizer = synth.release_value();
        DuplexSettings settings;
        settings.echo.taps = 1536;  // 96 ms: the simulated delays go to 60 ms
        std::unique_ptr<SpeechRecognizer> recognizer =
            make_recognizer ? make_recognizer(frames)
                            : std::make_unique<os1::test::FixedWordsRecognizer>(std::move(transcripts));
        session = std::make_unique<DuplexSession>(std::make_unique<EnergyDetector>(), std::move(recognizer),
                                                  *synthesizer, replies, settings);
    }

    // Runs until `done()` holds after a frame, or `max` of virtual time; false when it ran out.
    template <typename Done>
    bool run_until(Done done, std::chrono::milliseconds max) {
        size_t end = frames + static_cast<size_t>(max.count() / 10);
        while (frames < end) {
            if (!session->wait_for_output(60s)) {
                ADD_FAILURE() << "the session computed for over a minute";
                return false;
            }
            step();
            if (done())
                return true;
        }
        return false;
    }
    void run_for(std::chrono::milliseconds duration) {
        run_until([] { return false; }, duration);
    }

    // The first frame at or after `from` whose output (the session's, or the speaker's) is
    // not silent.
    std::optional<size_t> first_sound_from(size_t from) const { return first_sound_in(played, from); }
    std::optional<size_t> first_sound_in(const std::vector<Sample>& output, size_t from) const {
        for (size_t f = from; f < frames; f++)
            if (!silent_in(output, f))
                return f;
        return std::nullopt;
    }
    bool silent(size_t frame) const { return silent_in(played, frame); }
    static bool silent_in(const std::vector<Sample>& output, size_t frame) {
        return std::all_of(output.begin() + static_cast<ptrdiff_t>(frame * k_frame_samples),
                           output.begin() + static_cast<ptrdiff_t>((frame + 1) * k_frame_samples),
                           [](Sample s) { return s == 0; });
    }
    std::vector<TurnSummary> turns() const {
        std::vector<TurnSummary> result;
        for (const auto& [frame, event] : events)
            if (event.kind == DuplexEvent::Kind::TurnEnded)
                result.push_back(event.turn);
        return result;
    }
    size_t count(DuplexEvent::Kind kind) const {
        return static_cast<size_t>(std::count_if(events.begin(), events.end(),
                                                 [&](const auto& stamped) { return stamped.second.kind == kind; }));
    }

    std::vector<Sample> user;                            // the user's side of the microphone, in virtual time
    std::vector<Sample> played;                          // everything the session returned
    std::vector<Sample> heard;                           // everything the speaker played
    std::vector<std::pair<size_t, DuplexEvent>> events;  // with the frame they came in
    size_t frames = 0;                                   // ticked so far; the frame being ticked
    os1::test::ScriptedReplySource replies;
    std::unique_ptr<FliteSynthesizer> synthesizer;
    std::unique_ptr<DuplexSession> session;

private:
    void step() {
        std::array<Sample, k_frame_samples> microphone{};
        size_t start = frames * k_frame_samples;
        // A device plays a frame after it is handed over: its echo comes a frame later at least.
        size_t lag = k_frame_samples + samples_for(m_echo.delay);
        for (size_t i = 0; i < k_frame_samples; i++) {
            size_t at = start + i;
            double mixed = at < user.size() ? user[at] : 0;
            if (m_echo.gain > 0 && at >= lag && at - lag < heard.size())
                mixed += m_echo.gain * heard[at - lag];
            microphone[i] = static_cast<Sample>(std::clamp(std::lround(mixed), -32768L, 32767L));
        }
        if (m_echo.buffer > 0ms)
            session->listener_heard(m_speaker_took);
        auto out = session->tick(Frame(microphone));
        played.insert(played.end(), out.begin(), out.end());
        for (DuplexEvent& event : session->take_events()) {
            if (event.kind == DuplexEvent::Kind::PlaybackCleared && m_echo.buffer > 0ms) {
                const size_t dropped = std::min<size_t>(m_speaker_queue.size(), event.position - m_speaker_took);
                m_speaker_queue.erase(m_speaker_queue.begin(), m_speaker_queue.begin() + static_cast<ptrdiff_t>(dropped));
                m_speaker_took += dropped;
                m_speaker_playing = false;
            }
            events.emplace_back(frames, std::move(event));
        }
        m_speaker_queue.insert(m_speaker_queue.end(), out.begin(), out.end());
        // The speaker starts (and restarts after a clear) once its buffer is full, then plays a
        // frame each tick.
        if (m_speaker_queue.size() >= samples_for(m_echo.buffer) + k_frame_samples)
            m_speaker_playing = true;
        if (m_speaker_playing) {
            heard.insert(heard.end(), m_speaker_queue.begin(), m_speaker_queue.begin() + k_frame_samples);
            m_speaker_queue.erase(m_speaker_queue.begin(), m_speaker_queue.begin() + k_frame_samples);
            m_speaker_took += k_frame_samples;
        } else {
            heard.resize(heard.size() + k_frame_samples, 0);
        }
        frames++;
    }

    Echo m_echo;
    std::deque<Sample> m_speaker_queue;
    uint64_t m_speaker_took = 0;
    bool m_speaker_playing = false;
};

// The clauses the session speaks for a reply of these pieces (clause-splitter.h, tested on its own).
std::vector<std::string> clauses_of(const std::vector<std::string>& pieces) {
    ClauseSplitter splitter;
    std::vector<std::string> clauses;
    for (const std::string& piece : pieces)
        for (std::string& clause : splitter.push(piece))
            clauses.push_back(std::move(clause));
    clauses.push_back(splitter.finish());
    return clauses;
}

// The lengths of the clauses of `reply` as the session speaks them.
std::vector<size_t> clause_lengths(SpeechSynthesizer& synth, const std::vector<std::string>& clauses) {
    std::vector<size_t> lengths;
    for (const std::string& clause : clauses) {
        auto clip = synth.synthesize(clause, {});
        EXPECT_TRUE(clip);
        lengths.push_back(clip ? clip->samples.size() : 0);
    }
    return lengths;
}

const std::vector<std::string> k_question_words = {"what should i cook tonight"};

// A FixedWordsRecognizer that notes the simulation frame of each finish(), and says its final
// pass takes `final_pass_time`.
class FinishNotingRecognizer final : public SpeechRecognizer {
public:
    FinishNotingRecognizer(std::vector<std::string> transcripts, const size_t& clock, std::vector<size_t>& finished_at,
                           std::chrono::milliseconds final_pass_time = 0ms)
        : m_inner(std::move(transcripts)), m_clock(clock), m_finished_at(finished_at),
          m_final_pass_time(final_pass_time) {}
    ErrorOr<void> begin() override { return m_inner.begin(); }
    ErrorOr<void> feed(std::span<const Sample> audio) override { return m_inner.feed(audio); }
    std::string partial() override { return m_inner.partial(); }
    ErrorOr<std::string> finish() override {
        m_finished_at.push_back(m_clock);
        return m_inner.finish();
    }
    std::chrono::milliseconds final_pass_time() const override { return m_final_pass_time; }

private:
    os1::test::FixedWordsRecognizer m_inner;
    const size_t& m_clock;
    std::vector<size_t>& m_finished_at;
    std::chrono::milliseconds m_final_pass_time;
};

size_t frame_of_first(const Simulation& sim, DuplexEvent::Kind kind) {
    for (const auto& [frame, event] : sim.events)
        if (event.kind == kind)
            return frame;
    ADD_FAILURE() << "no such event";
    return 0;
}

TEST(DuplexSession, SilenceAndQuietNoiseAreNoTurn) {
    Simulation sim({{"Hello."}}, k_question_words);
    mix_into(sim.user, noise("whitenoise", 4), 0, 0.003);  // hiss at about -55 dBFS
    sim.user.resize(sim.user.size() + 2 * k_second, 0);    // then digital silence
    sim.run_for(6s);
    EXPECT_TRUE(sim.replies.heard().empty());
    EXPECT_EQ(sim.count(DuplexEvent::Kind::Transcript), 0u);
    EXPECT_EQ(sim.count(DuplexEvent::Kind::TurnEnded), 0u);
    EXPECT_EQ(sim.first_sound_from(0), std::nullopt);
    EXPECT_EQ(sim.session->state(), DuplexState::Listening);
}

TEST(DuplexSession, ATurnIsSpokenStartingWithItsFirstClause) {
    std::vector<std::string> pieces = {"How about",      " a risotto? It", " is warm and",
                                       " easy to make.", " You could add", " mushrooms, if you like them."};
    // The reply holds back its pieces after the second until speech is heard.
    Simulation sim({pieces}, k_question_words, {}, 2);
    sim.user.resize(k_second / 2, 0);
    mix_into(sim.user, espeak("What should I cook tonight?"), sim.user.size());
    sim.user.resize(sim.user.size() + 5 * k_second, 0);

    ASSERT_TRUE(sim.run_until([&] { return sim.first_sound_from(0).has_value(); }, 10s));
    // Speaking the first clause while the rest of the reply has not even been generated.
    EXPECT_EQ(sim.session->state(), DuplexState::Speaking);
    EXPECT_EQ(sim.replies.pieces_taken(), 2u);
    EXPECT_EQ(sim.replies.heard(), k_question_words);
    sim.replies.release();
    ASSERT_TRUE(sim.run_until([&] { return !sim.turns().empty(); }, 20s));

    TurnSummary turn = sim.turns().front();
    EXPECT_EQ(turn.transcript, k_question_words.front());
    EXPECT_EQ(turn.reply, joined(pieces));
    EXPECT_EQ(turn.spoken, trimmed(joined(pieces)));
    EXPECT_FALSE(turn.interrupted);
    EXPECT_EQ(sim.replies.wait_for_played_through(1), 1u) << "a reply played to its end is stored whole";
    EXPECT_TRUE(sim.replies.interruptions().empty());
    EXPECT_GE(turn.timings.endpoint, 100ms);
    EXPECT_LE(turn.timings.endpoint, 1000ms);
    EXPECT_GE(turn.timings.first_audio, turn.timings.first_token);
    EXPECT_EQ(sim.session->state(), DuplexState::Listening);
    std::printf("timings: endpoint %lld ms, stt_final %lld ms, first_token %lld ms, first_audio %lld ms\n",
                static_cast<long long>(turn.timings.endpoint.count()),
                static_cast<long long>(turn.timings.stt_final.count()),
                static_cast<long long>(turn.timings.first_token.count()),
                static_cast<long long>(turn.timings.first_audio.count()));

    // All of it was played, clause after clause without gaps: the span of sound is the
    // clauses' length (each clause may start in a fresh frame).
    std::vector<size_t> lengths = clause_lengths(*sim.synthesizer, clauses_of(pieces));
    size_t total = 0;
    for (size_t length : lengths)
        total += length;
    size_t first = *sim.first_sound_from(0);
    size_t last = first;
    for (size_t f = first; f < sim.frames; f++)
        if (!sim.silent(f))
            last = f;
    size_t span = (last + 1 - first) * k_frame_samples;
    EXPECT_LE(span, total + lengths.size() * k_frame_samples);
    EXPECT_GE(span + 2 * k_frame_samples * lengths.size(), total);  // the clauses' quiet ends
}

// The recogniser's final pass (pocketsphinx's takes tens of milliseconds) runs while the
// endpointer waits out the last of the hangover, so the words are ready when it ends.
TEST(DuplexSession, TheRecognisersFinalPassRunsBeforeTheHangoverEnds) {
    std::vector<size_t> finished_at;
    Simulation sim({{"Something warm."}}, {}, {}, SIZE_MAX, [&](const size_t& frames) {
        return std::make_unique<FinishNotingRecognizer>(k_question_words, frames, finished_at);
    });
    sim.user.resize(k_second / 2, 0);
    mix_into(sim.user, espeak("What should I cook tonight?"), sim.user.size());
    sim.user.resize(sim.user.size() + 3 * k_second, 0);
    ASSERT_TRUE(sim.run_until([&] { return sim.count(DuplexEvent::Kind::Transcript) > 0; }, 10s));

    ASSERT_EQ(finished_at.size(), 1u);
    const size_t speech_ended = frame_of_first(sim, DuplexEvent::Kind::Transcript);
    const DuplexSettings defaults;
    EXPECT_EQ(speech_ended - finished_at.front(), size_t(defaults.early_finish / 10ms));
    ASSERT_TRUE(sim.run_until([&] { return !sim.turns().empty(); }, 20s));
    EXPECT_EQ(sim.replies.heard(), k_question_words);
    EXPECT_EQ(sim.turns().front().timings.endpoint, defaults.endpointer.hangover_complete);
}

// A slower recogniser (whisper.cpp's pass takes hundreds of milliseconds) is finished as much
// earlier as its pass takes, but never in the first 150 ms of a pause, which may be within a word.
TEST(DuplexSession, ASlowRecognisersFinalPassStartsAsEarlyAsItTakes) {
    const DuplexSettings defaults;
    for (const auto& [words, hangover] :
         {std::pair{std::string("what should i cook and"), defaults.endpointer.hangover_continuing},
          std::pair{std::string("what should i cook tonight"), defaults.endpointer.hangover_complete}}) {
        std::vector<size_t> finished_at;
        Simulation sim({{"Something warm."}}, {}, {}, SIZE_MAX, [&](const size_t& frames) {
            return std::make_unique<FinishNotingRecognizer>(std::vector<std::string>{words}, frames, finished_at,
                                                            300ms);
        });
        sim.user.resize(k_second / 2, 0);
        mix_into(sim.user, espeak("What should I cook tonight?"), sim.user.size());
        sim.user.resize(sim.user.size() + 3 * k_second, 0);
        ASSERT_TRUE(sim.run_until([&] { return sim.count(DuplexEvent::Kind::Transcript) > 0; }, 10s));
        ASSERT_EQ(finished_at.size(), 1u) << words;
        const size_t speech_ended = frame_of_first(sim, DuplexEvent::Kind::Transcript);
        const auto expected_lead = std::min(300ms, hangover - defaults.final_pass_min_silence);
        EXPECT_EQ(speech_ended - finished_at.front(), size_t(expected_lead / 10ms)) << words;
    }
}

// Speech that resumes after the early final pass, before the hangover ends, goes on with the
// same utterance: one turn with the words of both parts, not a turn cut at the pause.
TEST(DuplexSession, SpeechResumedInTheHangoversLastStretchIsTheSameUtterance) {
    const std::vector<std::string> parts = {"what should i cook", "tonight with my sister"};
    std::vector<size_t> finished_at;
    Simulation sim({{"Something warm."}}, {}, {}, SIZE_MAX, [&](const size_t& frames) {
        return std::make_unique<FinishNotingRecognizer>(parts, frames, finished_at);
    });
    std::vector<Sample> before = espeak("What should I cook");
    before.resize(os1::test::end_of_sound(before));
    std::vector<Sample> after = espeak("tonight with my sister");
    after.erase(after.begin(), after.begin() + static_cast<ptrdiff_t>(onset_of(after)));
    // A pause past the point where the final pass starts, short of the hangover.
    const DuplexSettings defaults;
    const auto pause = defaults.endpointer.hangover_complete - defaults.early_finish / 4;
    sim.user.resize(k_second / 2, 0);
    mix_into(sim.user, before, sim.user.size());
    sim.user.resize(sim.user.size() + samples_for(pause), 0);
    mix_into(sim.user, after, sim.user.size());
    sim.user.resize(sim.user.size() + 3 * k_second, 0);
    ASSERT_TRUE(sim.run_until([&] { return !sim.turns().empty(); }, 20s));

    EXPECT_EQ(finished_at.size(), 2u) << "each part was finished";
    EXPECT_EQ(sim.count(DuplexEvent::Kind::Transcript), 1u);
    EXPECT_EQ(sim.replies.heard(), std::vector<std::string>{"what should i cook tonight with my sister"});
    EXPECT_EQ(sim.turns().front().transcript, "what should i cook tonight with my sister");
}

// A file's conversation ends the session as soon as the last reply has been played: that
// reply was heard whole, and is stored whole, however soon the session then stops.
TEST(DuplexSession, AReplyPlayedThroughIsStoredWholeWhenTheSessionEndsAtOnce) {
    Simulation sim({{"Hello there."}}, k_question_words);
    sim.user.resize(k_second / 2, 0);
    mix_into(sim.user, espeak("What should I cook tonight?"), sim.user.size());
    sim.user.resize(sim.user.size() + 10 * k_second, 0);
    ASSERT_TRUE(sim.run_until([&] { return !sim.turns().empty(); }, 20s));
    EXPECT_FALSE(sim.turns().front().interrupted);
    sim.session.reset();
    EXPECT_EQ(sim.replies.played_through(), 1u);
    EXPECT_TRUE(sim.replies.interruptions().empty());
}

// A reply of several sentences, each a clause, and the question that starts it.
const std::vector<std::string> k_long_reply = {
    "Risotto is a lovely choice for a cold evening.", " You start by warming the stock in a small pan.",
    " Then you toast the rice in butter until it smells nutty.", " After that, add the stock one ladle at a time.",
    " Keep stirring, and taste it as you go."};

// Where the reply's audio starts: the user asks, the session answers.
size_t start_reply(Simulation& sim) {
    sim.user.resize(k_second / 2, 0);
    mix_into(sim.user, espeak("What should I cook tonight?"), sim.user.size());
    sim.user.resize(sim.user.size() + 30 * k_second, 0);
    EXPECT_TRUE(sim.run_until([&] { return sim.first_sound_from(0).has_value(); }, 10s));
    return sim.first_sound_from(0).value_or(0);
}

// The samples of reply audio played before `sample` (each clause starts in a frame of its own,
// so clause k starts at most k frames after the sum of the lengths before it).
struct ClausePlan {
    std::vector<std::string> clauses;
    std::vector<size_t> starts;  // from the first sample played, at the earliest
    std::vector<size_t> ends;
};
ClausePlan plan_of(SpeechSynthesizer& synth, const std::vector<std::string>& pieces) {
    std::vector<std::string> clauses = clauses_of(pieces);
    ClausePlan plan;
    plan.clauses = clauses;
    size_t at = 0;
    for (size_t length : clause_lengths(synth, clauses)) {
        plan.starts.push_back(at);
        at += length;
        plan.ends.push_back(at);
    }
    return plan;
}

TEST(DuplexSession, BargeInStopsPlaybackAtOnceAndStoresExactlyWhatWasSpoken) {
    // The echo comes back at 0.6 after 20 ms; the user speaks over the reply 2.2 s into it.
    Simulation sim({k_long_reply, {"Oh, sure.", " Tell me more."}},
                   {"what should i cook tonight", "wait i have no rice"}, {.gain = 0.6, .delay = 20ms});
    size_t reply_start = start_reply(sim) * k_frame_samples;
    std::vector<Sample> interruption = espeak("Wait, I have no rice at home.");
    size_t at = reply_start + 2200 * k_second / 1000;
    mix_into(sim.user, interruption, at);
    size_t onset = at + onset_of(interruption);

    ASSERT_TRUE(sim.run_until([&] { return !sim.turns().empty(); }, 15s));
    TurnSummary cut = sim.turns().front();
    EXPECT_TRUE(cut.interrupted);
    ASSERT_EQ(sim.replies.wait_for_interruptions(1), std::vector<std::string>{cut.spoken});
    EXPECT_EQ(sim.replies.played_through(), 0u) << "an interrupted reply is not also stored whole";

    // Playback stopped within 100 ms of the onset of speech, and stayed silent while the user
    // spoke.
    size_t stop = (onset + samples_for(100ms)) / k_frame_samples + 1;
    size_t speech_end = (at + os1::test::end_of_sound(interruption)) / k_frame_samples;
    ASSERT_TRUE(sim.run_until([&] { return sim.frames > speech_end; }, 10s));
    for (size_t f = stop; f < speech_end; f++)
        ASSERT_TRUE(sim.silent(f)) << "sound " << (f * k_frame_samples - onset) * 1000 / k_second
                                   << " ms after the user started speaking";

    // What was stored is a prefix of the reply, word for word: every clause played through
    // before the user spoke, and nothing that started after playback stopped.
    std::string reply = joined(k_long_reply);
    EXPECT_EQ(cut.reply.substr(0, std::min(cut.reply.size(), reply.size())), cut.reply);
    ASSERT_FALSE(cut.spoken.empty());
    EXPECT_EQ(reply.find(cut.spoken), reply.find_first_not_of(' '));
    ClausePlan plan = plan_of(*sim.synthesizer, k_long_reply);
    size_t played_before_onset = onset - reply_start;
    size_t played_at_stop = stop * k_frame_samples - reply_start;
    size_t text_at = 0;
    for (size_t k = 0; k < plan.clauses.size(); k++) {
        size_t clause_end_text = text_at + plan.clauses[k].size();
        if (plan.ends[k] + (k + 1) * k_frame_samples <= played_before_onset) {
            EXPECT_GE(cut.spoken.size(), trimmed(reply.substr(0, clause_end_text)).size()) << "clause " << k;
        }
        if (plan.starts[k] > played_at_stop) {
            EXPECT_LE(cut.spoken.size(), trimmed(reply.substr(0, text_at)).size()) << "clause " << k;
        }
        text_at = clause_end_text;
    }

    // Then the user's utterance is the next turn, answered in full.
    ASSERT_TRUE(sim.run_until([&] { return sim.turns().size() == 2; }, 15s));
    EXPECT_EQ(sim.replies.heard(), (std::vector<std::string>{"what should i cook tonight", "wait i have no rice"}));
    EXPECT_FALSE(sim.turns()[1].interrupted);
    EXPECT_EQ(sim.turns()[1].spoken, "Oh, sure. Tell me more.");
}

TEST(DuplexSession, ACoughPausesPlaybackWhichThenResumesWithNothingLost) {
    Simulation sim({k_long_reply}, k_question_words, {.gain = 0.6, .delay = 20ms});
    size_t reply_start = start_reply(sim) * k_frame_samples;
    // 150 ms of noise as loud as the reply, 1.5 s into it.
    size_t at = reply_start + 1500 * k_second / 1000;
    mix_into(sim.user, noise("pinknoise", 0.15), at);

    ASSERT_TRUE(sim.run_until([&] { return !sim.turns().empty(); }, 40s));
    TurnSummary turn = sim.turns().front();
    EXPECT_FALSE(turn.interrupted);
    EXPECT_TRUE(sim.replies.interruptions().empty());
    EXPECT_EQ(turn.spoken, trimmed(joined(k_long_reply)));
    EXPECT_EQ(sim.replies.heard().size(), 1u);

    // Playback paused at the burst (within 100 ms) and went on after it.
    size_t first_pause = 0;
    for (size_t f = at / k_frame_samples; f < at / k_frame_samples + 10 && !first_pause; f++)
        if (sim.silent(f) && sim.silent(f + 1) && sim.silent(f + 2))
            first_pause = f;
    ASSERT_NE(first_pause, 0u) << "playback did not pause for the burst";
    ASSERT_TRUE(sim.first_sound_from(first_pause).has_value());
    size_t resumed = *sim.first_sound_from(first_pause);
    EXPECT_LT((resumed - first_pause) * 10, 600u) << "ms paused";

    // Nothing was skipped: the sound lasted as long as the clauses, plus the pause.
    ClausePlan plan = plan_of(*sim.synthesizer, k_long_reply);
    size_t last = resumed;
    for (size_t f = resumed; f < sim.frames; f++)
        if (!sim.silent(f))
            last = f;
    size_t span = (last + 1) * k_frame_samples - reply_start - (resumed - first_pause) * k_frame_samples;
    EXPECT_GE(span + 2 * k_frame_samples * plan.clauses.size(), plan.ends.back());
    EXPECT_LE(span, plan.ends.back() + 2 * k_frame_samples * plan.clauses.size());
}

// A browser holds the voice in a jitter buffer: the speaker plays what the session handed over
// 400 ms before. The user speaks up 400 ms before the end of the second clause as heard; by then
// all of that clause had been handed over, yet it is stored only as far as it was heard, and the
// speaker falls silent at once rather than playing out its buffer.
TEST(DuplexSession, BargeInBehindAJitterBufferStoresOnlyWhatWasHeard) {
    Simulation sim({k_long_reply, {"Oh, sure."}}, {"what should i cook tonight", "wait i have no rice"},
                   {.gain = 0.6, .delay = 20ms, .buffer = 400ms});
    start_reply(sim);
    ASSERT_TRUE(sim.run_until([&] { return sim.first_sound_in(sim.heard, 0).has_value(); }, 5s));
    const size_t reply_start = *sim.first_sound_in(sim.heard, 0) * k_frame_samples;
    const ClausePlan plan = plan_of(*sim.synthesizer, k_long_reply);
    std::vector<Sample> interruption = espeak("Wait, I have no rice at home.");
    const size_t onset = reply_start + plan.ends[1] - samples_for(400ms);
    const size_t at = onset - onset_of(interruption);
    ASSERT_GT(at, sim.frames * k_frame_samples);
    mix_into(sim.user, interruption, at);

    ASSERT_TRUE(sim.run_until([&] { return !sim.turns().empty(); }, 15s));
    TurnSummary cut = sim.turns().front();
    EXPECT_TRUE(cut.interrupted);
    ASSERT_EQ(sim.replies.wait_for_interruptions(1), std::vector<std::string>{cut.spoken});
    const std::string reply = joined(k_long_reply);
    EXPECT_EQ(reply.find(cut.spoken), reply.find_first_not_of(' '));
    std::printf("stored \"%s\"; clause lengths %zu, %zu samples\n", cut.spoken.c_str(), plan.ends[0],
                plan.ends[1] - plan.ends[0]);
    EXPECT_GE(cut.spoken.size(), trimmed(plan.clauses[0]).size()) << "the first clause was heard whole";
    EXPECT_LT(cut.spoken.size(), trimmed(plan.clauses[0] + plan.clauses[1]).size())
        << "the second clause was handed over whole but not heard whole: \"" << cut.spoken << '"';

    const size_t stop = (onset + samples_for(100ms)) / k_frame_samples + 1;
    const size_t speech_end = (at + os1::test::end_of_sound(interruption)) / k_frame_samples;
    ASSERT_TRUE(sim.run_until([&] { return sim.frames > speech_end; }, 10s));
    for (size_t f = stop; f < speech_end; f++)
        ASSERT_TRUE(Simulation::silent_in(sim.heard, f))
            << "heard " << (f * k_frame_samples - onset) * 1000 / k_second << " ms after the user started speaking";
}

// Behind the same buffer, a cough pauses the voice, the buffer is dropped, and the reply
// resumes from the first sample that had not been heard: every word is heard once.
TEST(DuplexSession, ACoughBehindAJitterBufferResumesWithNothingLost) {
    Simulation sim({k_long_reply}, k_question_words, {.gain = 0.6, .delay = 20ms, .buffer = 400ms});
    start_reply(sim);
    ASSERT_TRUE(sim.run_until([&] { return sim.first_sound_in(sim.heard, 0).has_value(); }, 5s));
    const size_t reply_start = *sim.first_sound_in(sim.heard, 0) * k_frame_samples;
    const size_t at = reply_start + 1500 * k_second / 1000;
    mix_into(sim.user, noise("pinknoise", 0.15), at);

    ASSERT_TRUE(sim.run_until([&] { return !sim.turns().empty(); }, 40s));
    TurnSummary turn = sim.turns().front();
    EXPECT_FALSE(turn.interrupted);
    EXPECT_EQ(turn.spoken, trimmed(joined(k_long_reply)));

    size_t first_pause = 0;
    for (size_t f = at / k_frame_samples; f < at / k_frame_samples + 10 && !first_pause; f++)
        if (Simulation::silent_in(sim.heard, f) && Simulation::silent_in(sim.heard, f + 1) &&
            Simulation::silent_in(sim.heard, f + 2))
            first_pause = f;
    ASSERT_NE(first_pause, 0u) << "the speaker did not fall silent for the burst";
    ASSERT_TRUE(sim.first_sound_in(sim.heard, first_pause).has_value());
    const size_t resumed = *sim.first_sound_in(sim.heard, first_pause);
    // The pause, and the buffer filling again.
    EXPECT_LT((resumed - first_pause) * 10, 1000u) << "ms paused";

    // What was heard, without the pause, lasted as long as the clauses: nothing that sat in the
    // dropped buffer was skipped, and nothing was heard twice.
    const ClausePlan plan = plan_of(*sim.synthesizer, k_long_reply);
    size_t last = resumed;
    for (size_t f = resumed; f < sim.frames; f++)
        if (!Simulation::silent_in(sim.heard, f))
            last = f;
    const size_t span = (last + 1) * k_frame_samples - reply_start - (resumed - first_pause) * k_frame_samples;
    EXPECT_GE(span + 2 * k_frame_samples * plan.clauses.size(), plan.ends.back());
    EXPECT_LE(span, plan.ends.back() + 2 * k_frame_samples * plan.clauses.size());
}

struct EchoPath {
    double gain;
    std::chrono::milliseconds delay;
    std::chrono::milliseconds buffer{0};
};

class EchoLoop : public testing::TestWithParam<EchoPath> {};

TEST_P(EchoLoop, ItsOwnVoiceNeverInterruptsOrPausesIt) {
    std::vector<std::string> reply = k_long_reply;
    reply.insert(reply.end(), k_long_reply.begin(), k_long_reply.end());  // about 20 s
    Simulation sim({reply}, k_question_words,
                   {.gain = GetParam().gain, .delay = GetParam().delay, .buffer = GetParam().buffer});
    start_reply(sim);
    ASSERT_TRUE(sim.run_until([&] { return sim.first_sound_in(sim.heard, 0).has_value(); }, 5s));
    const size_t reply_start = *sim.first_sound_in(sim.heard, 0) * k_frame_samples;
    ASSERT_TRUE(sim.run_until([&] { return !sim.turns().empty(); }, 60s));
    TurnSummary turn = sim.turns().front();
    EXPECT_FALSE(turn.interrupted);
    EXPECT_TRUE(sim.replies.interruptions().empty());
    EXPECT_EQ(turn.spoken, trimmed(joined(reply)));
    // And it never paused: the sound heard lasted exactly as long as the clauses.
    ClausePlan plan = plan_of(*sim.synthesizer, reply);
    size_t last = 0;
    for (size_t f = 0; f < sim.frames; f++)
        if (!Simulation::silent_in(sim.heard, f))
            last = f;
    size_t span = (last + 1) * k_frame_samples - reply_start;
    EXPECT_LE(span, plan.ends.back() + k_frame_samples * plan.clauses.size());
}

INSTANTIATE_TEST_SUITE_P(GainsAndDelays, EchoLoop,
                         testing::Values(EchoPath{0.5, 0ms}, EchoPath{0.8, 30ms}, EchoPath{1.0, 60ms},
                                         EchoPath{0.8, 30ms, 300ms}));

}  // namespace
