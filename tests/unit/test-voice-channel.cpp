// The voice WebSocket's session driver (server/voice-channel.h) without a network: a fake peer
// stands for the socket, the user's side is real flite speech, the companion's voice is real
// flite, and the recogniser and the replies are doubles (support/voice-doubles.h). The test
// drives the microphone in lock-step: each chunk is sent once the audio for the one before came
// back, as a browser's microphone paces itself in real time.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <condition_variable>
#include <mutex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "server/voice-api.h"
#include "server/voice-channel.h"
#include "support/temp-dir.h"
#include "support/voice-audio.h"
#include "support/voice-doubles.h"
#include "voice/energy-detector.h"
#include "voice/flite-synthesizer.h"

namespace {

using namespace os1;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr size_t k_chunk = 320;  // 20 ms
using Scripts = std::vector<std::vector<std::string>>;

// The socket's far side: what the channel sent, and how it closed.
class FakePeer : public server::SocketPeer {
public:
    bool send(server::SocketMessage message) override {
        std::lock_guard lock(m_mutex);
        if (m_closed)
            return false;
        if (message.binary) {
            EXPECT_EQ(message.bytes.size() % 2, 0u);
            for (size_t i = 0; i + 1 < message.bytes.size(); i += 2)
                audio.push_back(int16_t(uint16_t(uint8_t(message.bytes[i])) | uint16_t(uint8_t(message.bytes[i + 1])) << 8));
        } else {
            events.push_back(json::parse(message.bytes));
        }
        m_changed.notify_all();
        return true;
    }
    void close(uint16_t code, std::string reason) override {
        std::lock_guard lock(m_mutex);
        if (m_closed)
            return;
        m_closed = true;
        close_code = code;
        close_reason = std::move(reason);
        m_changed.notify_all();
    }

    // Waits up to a minute for `done` (called under the lock); false on the timeout.
    template <typename Done>
    bool wait(Done done) {
        std::unique_lock lock(m_mutex);
        return m_changed.wait_for(lock, 60s, [&] { return done(); });
    }
    size_t audio_samples() {
        std::lock_guard lock(m_mutex);
        return audio.size();
    }
    bool has_event(const std::string& type) {
        std::lock_guard lock(m_mutex);
        return std::any_of(events.begin(), events.end(), [&](const json& e) { return e["type"] == type; });
    }
    json event(const std::string& type) {
        std::lock_guard lock(m_mutex);
        for (const json& e : events)
            if (e["type"] == type)
                return e;
        return {};
    }
    size_t voiced_samples() {
        std::lock_guard lock(m_mutex);
        return size_t(std::count_if(audio.begin(), audio.end(), [](int16_t s) { return s != 0; }));
    }

    std::vector<int16_t> audio;
    std::vector<json> events;
    uint16_t close_code = 0;
    std::string close_reason;

    std::mutex& mutex() { return m_mutex; }

private:
    std::mutex m_mutex;
    std::condition_variable m_changed;
    bool m_closed = false;
};

std::vector<std::string> words(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string word; in >> word;)
        out.push_back(word);
    return out;
}

// flite, counting the clauses it has synthesised, so that the test's microphone can wait for the
// first one as a person waits for an answer (the session's virtual time would otherwise run past
// a reply that a loaded machine is slow to synthesise).
class CountingSynthesizer : public voice::SpeechSynthesizer {
public:
    struct Count {
        std::mutex mutex;
        std::condition_variable changed;
        size_t done = 0;
        bool wait_for(size_t count) {
            std::unique_lock lock(mutex);
            return changed.wait_for(lock, 60s, [&] { return done >= count; });
        }
    };
    CountingSynthesizer(std::unique_ptr<voice::SpeechSynthesizer> inner, std::shared_ptr<Count> count)
        : m_inner(std::move(inner)), m_count(std::move(count)) {}
    ErrorOr<voice::AudioClip> synthesize(std::string_view text, const affect::ProsodyHints& prosody) override {
        auto clip = m_inner->synthesize(text, prosody);
        {
            std::lock_guard lock(m_count->mutex);
            ++m_count->done;
        }
        m_count->changed.notify_all();
        return clip;
    }

private:
    std::unique_ptr<voice::SpeechSynthesizer> m_inner;
    std::shared_ptr<Count> m_count;
};

// A reply of twelve sentences, far longer than any test lets it play.
std::vector<std::string> long_story() {
    std::vector<std::string> sentences;
    for (int i = 0; i < 12; ++i)
        sentences.push_back("This is sentence number " + std::to_string(i + 1) + " of a long answer. ");
    return sentences;
}

server::SocketMessage pcm(const int16_t* samples, size_t count) {
    std::string bytes(count * 2, '\0');
    for (size_t i = 0; i < count; ++i) {
        bytes[2 * i] = char(uint16_t(samples[i]) & 0xff);
        bytes[2 * i + 1] = char(uint16_t(samples[i]) >> 8);
    }
    return {true, std::move(bytes)};
}

class VoiceChannelTest : public ::testing::Test {
protected:
    void SetUp() override {
        m_dir = test::unique_temp_dir("voice-channel");
        ASSERT_FALSE(m_dir.empty());
    }

    std::shared_ptr<server::VoiceChannel> channel(test::ScriptedReplySource replies, std::vector<std::string> heard,
                                                  server::VoiceChannelOptions options = {}) {
        return std::make_shared<server::VoiceChannel>(
            [replies, heard, count = m_synthesized]() -> ErrorOr<server::VoiceParts> {
                server::VoiceParts parts;
                parts.detector = std::make_unique<voice::EnergyDetector>();
                parts.recognizer = std::make_unique<test::FixedWordsRecognizer>(heard);
                parts.synthesizer =
                    std::make_unique<CountingSynthesizer>(OS1_TRY(voice::FliteSynthesizer::create()), count);
                parts.replies = std::make_unique<test::ScriptedReplySource>(replies);
                parts.conversation = 7;
                return parts;
            },
            options);
    }

    // Sends `samples` in 20 ms chunks, each once the audio for the last one came back, and once
    // a turn has started, not before its first clause is synthesised; stops early when `done()`
    // holds. False when the channel stopped answering.
    template <typename Done>
    bool speak(server::VoiceChannel& channel, FakePeer& peer, const std::vector<int16_t>& samples, Done done) {
        for (size_t at = 0; at < samples.size(); at += k_chunk) {
            const size_t count = std::min(k_chunk, samples.size() - at);
            m_sent += count;
            channel.received(pcm(samples.data() + at, count));
            if (m_heard_report)
                channel.received({false, json{{"type", "heard"}, {"position", m_heard_report()}}.dump()});
            const size_t expected = m_sent - m_sent % voice::k_frame_samples;
            if (!peer.wait([&] { return peer.audio.size() >= expected; }))
                return false;
            if (peer.has_event("transcript") && !m_synthesized->wait_for(1))
                return false;
            if (done())
                return true;
        }
        return true;
    }

    // Opens the session, asks for a story, and speaks on (silence) until half a second of the
    // reply has come back.
    void ask_for_a_story(server::VoiceChannel& session, const std::shared_ptr<FakePeer>& peer) {
        session.opened(peer);
        ASSERT_TRUE(peer->wait([&] { return !peer->events.empty(); }));
        auto speech = test::concatenate(test::silence(300), test::flite_speech(m_dir, "tell me a story please"));
        speech = test::concatenate(speech, test::silence(30'000));
        ASSERT_TRUE(speak(session, *peer, speech.samples, [&] { return peer->voiced_samples() > 8000; }));
        ASSERT_GT(peer->voiced_samples(), 8000u);
    }

    std::filesystem::path m_dir;
    size_t m_sent = 0;
    std::function<uint64_t()> m_heard_report;  // sent after each chunk when set
    std::shared_ptr<CountingSynthesizer::Count> m_synthesized = std::make_shared<CountingSynthesizer::Count>();
};

TEST_F(VoiceChannelTest, AnswersSpeechAndSendsBackAsMuchAudioAsItHeard) {
    test::ScriptedReplySource replies(Scripts{{"Hello again.", " Nice to hear you."}});
    auto session = channel(replies, {"hello there"});
    auto peer = std::make_shared<FakePeer>();
    session->opened(peer);
    ASSERT_TRUE(peer->wait([&] { return !peer->events.empty(); }));
    EXPECT_EQ(peer->events.front()["type"], "ready");
    EXPECT_EQ(peer->events.front()["sample_rate"], 16000);
    EXPECT_EQ(peer->events.front()["conversation"], 7);

    auto speech = test::concatenate(test::silence(500), test::flite_speech(m_dir, "hello there, how are you today"));
    speech = test::concatenate(speech, test::silence(30'000));
    ASSERT_TRUE(speak(*session, *peer, speech.samples, [&] { return peer->has_event("turn"); }));
    ASSERT_TRUE(peer->has_event("turn")) << "no turn in 30 s of silence after the speech";

    // Exactly as much audio came back as was sent, in whole frames.
    EXPECT_EQ(peer->audio_samples(), m_sent - m_sent % voice::k_frame_samples);
    EXPECT_GT(peer->voiced_samples(), size_t(voice::k_sample_rate / 2)) << "the reply was not spoken";
    EXPECT_EQ(peer->event("transcript")["text"], "hello there");
    EXPECT_TRUE(peer->has_event("reply"));
    const json turn = peer->event("turn");
    EXPECT_EQ(turn["transcript"], "hello there");
    EXPECT_EQ(turn["interrupted"], false);
    EXPECT_NE(turn["spoken"].get<std::string>().find("Nice to hear you."), std::string::npos) << turn.dump();
    EXPECT_TRUE(turn["timings"].contains("first_audio_ms"));
    std::vector<std::string> states;
    for (const json& e : peer->events)
        if (e["type"] == "state")
            states.push_back(e["state"]);
    EXPECT_NE(std::find(states.begin(), states.end(), "thinking"), states.end());
    EXPECT_NE(std::find(states.begin(), states.end(), "speaking"), states.end());
    EXPECT_EQ(replies.wait_for_played_through(1), 1u);
    EXPECT_EQ(replies.heard(), std::vector<std::string>{"hello there"});

    session->closed();
    session->stop_and_join();
    EXPECT_EQ(peer->close_code, 1000);
}

TEST_F(VoiceChannelTest, ClosingMidReplyStoresOnlyWhatWasSpoken) {
    const std::vector<std::string> long_reply = long_story();
    test::ScriptedReplySource replies(Scripts{long_reply});
    auto session = channel(replies, {"tell me a story"});
    auto peer = std::make_shared<FakePeer>();
    // Half a second of the reply played, then the client goes away.
    ASSERT_NO_FATAL_FAILURE(ask_for_a_story(*session, peer));
    EXPECT_FALSE(peer->has_event("turn"));
    session->closed();
    session->stop_and_join();

    const auto interrupted = replies.wait_for_interruptions(1);
    ASSERT_EQ(interrupted.size(), 1u);
    std::string whole;
    for (const std::string& piece : long_reply)
        whole += piece;
    const auto spoken = words(interrupted[0]);
    const auto generated = words(whole);
    ASSERT_FALSE(spoken.empty());
    EXPECT_LT(spoken.size(), generated.size() / 2) << interrupted[0];
    EXPECT_TRUE(std::equal(spoken.begin(), spoken.end(), generated.begin())) << interrupted[0];
    EXPECT_EQ(replies.played_through(), 0u);
}

// A browser whose jitter buffer still holds all of the voice it was sent: it reports having
// heard the silence before the reply and none of the reply. Speech over the reply pauses it and
// tells the browser to drop its buffer; the reply, cut, is stored with nothing spoken, although
// half a second of it had been sent.
TEST_F(VoiceChannelTest, AReplyStillInTheBrowsersBufferWasNotSpoken) {
    test::ScriptedReplySource replies(Scripts{long_story()});
    auto session = channel(replies, {"tell me a story", "wait a moment"});
    auto peer = std::make_shared<FakePeer>();
    m_heard_report = [&] {
        std::lock_guard lock(peer->mutex());
        const auto voice = std::find_if(peer->audio.begin(), peer->audio.end(), [](int16_t s) { return s != 0; });
        return uint64_t(voice - peer->audio.begin());
    };
    ASSERT_NO_FATAL_FAILURE(ask_for_a_story(*session, peer));
    const uint64_t reply_start = m_heard_report();
    auto interruption = test::concatenate(test::flite_speech(m_dir, "wait a moment"), test::silence(3000));
    ASSERT_TRUE(speak(*session, *peer, interruption.samples, [&] { return peer->has_event("clear"); }));
    const json clear = peer->event("clear");
    ASSERT_FALSE(clear.is_null()) << "no clear after speech over the reply";
    EXPECT_GT(clear["until"].get<uint64_t>(), reply_start);
    EXPECT_LE(clear["until"].get<uint64_t>(), peer->audio_samples());
    session->closed();
    session->stop_and_join();

    const auto interrupted = replies.wait_for_interruptions(1);
    ASSERT_EQ(interrupted.size(), 1u);
    EXPECT_EQ(interrupted[0], "") << "stored as spoken, though never heard";
    EXPECT_EQ(replies.played_through(), 0u);
}

TEST_F(VoiceChannelTest, RefusesAudioThatIsNotWholeSamples) {
    test::ScriptedReplySource replies(Scripts{{"Hi."}});
    auto session = channel(replies, {"hi"});
    auto peer = std::make_shared<FakePeer>();
    session->opened(peer);
    session->received({true, std::string(641, '\0')});
    ASSERT_TRUE(peer->wait([&] { return peer->close_code != 0; }));
    EXPECT_EQ(peer->close_code, 1003);
    EXPECT_TRUE(peer->has_event("error"));
    session->stop_and_join();
}

TEST_F(VoiceChannelTest, RefusesAudioFasterThanItCanBeHeard) {
    test::ScriptedReplySource replies(Scripts{{"Hi."}});
    server::VoiceChannelOptions options;
    options.max_waiting_samples = 1600;
    auto session = channel(replies, {"hi"}, options);
    auto peer = std::make_shared<FakePeer>();
    session->opened(peer);
    const std::vector<int16_t> flood(2000, 0);
    session->received(pcm(flood.data(), flood.size()));
    ASSERT_TRUE(peer->wait([&] { return peer->close_code != 0; }));
    EXPECT_EQ(peer->close_code, 1008);
    EXPECT_NE(peer->close_reason.find("real time"), std::string::npos) << peer->close_reason;
    session->stop_and_join();
}

TEST_F(VoiceChannelTest, TextMessagesAreIgnored) {
    test::ScriptedReplySource replies(Scripts{{"Hi."}});
    auto session = channel(replies, {"hi"});
    auto peer = std::make_shared<FakePeer>();
    session->opened(peer);
    session->received({false, R"({"type":"hello","mode":"push-to-talk"})"});
    const std::vector<int16_t> quiet(k_chunk, 0);
    session->received(pcm(quiet.data(), quiet.size()));
    ASSERT_TRUE(peer->wait([&] { return peer->audio.size() >= k_chunk; }));
    EXPECT_EQ(peer->close_code, 0);
    session->stop_and_join();
    EXPECT_EQ(peer->close_code, 1001);
}

TEST(VoiceSessions, OnePerUserAndAFewInAll) {
    server::VoiceOptions options;
    options.max_sessions = 2;
    server::VoiceSessions sessions(options);
    auto never = []() -> ErrorOr<server::VoiceParts> { return make_error(ErrorKind::Internal, "not opened"); };
    auto first = sessions.start("ann", never);
    ASSERT_TRUE(std::holds_alternative<std::shared_ptr<server::VoiceChannel>>(first));
    auto again = sessions.start("ann", never);
    ASSERT_TRUE(std::holds_alternative<std::string>(again));
    EXPECT_NE(std::get<std::string>(again).find("already talking"), std::string::npos);
    auto second = sessions.start("bob", never);
    ASSERT_TRUE(std::holds_alternative<std::shared_ptr<server::VoiceChannel>>(second));
    auto third = sessions.start("cat", never);
    ASSERT_TRUE(std::holds_alternative<std::string>(third));
    EXPECT_NE(std::get<std::string>(third).find("try again later"), std::string::npos);

    // A session whose upgrade never happened (nobody holds it any more) frees its place...
    second = std::string();
    auto cat = sessions.start("cat", never);
    EXPECT_TRUE(std::holds_alternative<std::shared_ptr<server::VoiceChannel>>(cat));
    // ...and so does one whose socket closed.
    std::get<std::shared_ptr<server::VoiceChannel>>(first)->closed();
    EXPECT_TRUE(std::holds_alternative<std::shared_ptr<server::VoiceChannel>>(sessions.start("ann", never)));
}

}  // namespace
