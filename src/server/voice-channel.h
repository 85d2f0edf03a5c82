// A spoken conversation over a WebSocket (GET /api/voice): the browser's microphone streams in,
// the companion's voice streams back, and a voice::DuplexSession in between hears, answers and
// is interrupted exactly as in `os1 talk`. The browser's microphone is the clock: the session
// is ticked once per 10 ms of audio received, and each tick's frame to play goes back at once.
//
// Protocol (all audio is 16-bit little-endian mono PCM at 16 kHz):
//   browser -> server  binary: microphone audio, in chunks of any whole number of samples
//                      (20-40 ms is usual); silence (zeros) while a push-to-talk button is up,
//                      so that the session's clock keeps running.
//                      text: {"type":"heard","position":N} after a chunk: when its last sample
//                      was captured, the speaker had taken N samples of what the server sent
//                      (played, or dropped by a clear). Optional; without it, audio counts as
//                      heard when it is sent. It is what makes a cut reply stored with exactly
//                      what was heard through the browser's jitter buffer. Other text is ignored.
//   server -> browser  binary: what to play, exactly as many samples as were received (silence
//                      included, so that playback stays in step with what the echo canceller
//                      takes as played); text: one JSON object per event, by "type":
//     {"type":"ready","sample_rate":16000,"conversation":ID}    the session listens; send audio
//     {"type":"state","state":"listening"|"thinking"|"speaking"}
//     {"type":"transcript","text":...}                         what the user said, per turn
//     {"type":"reply","text":...}                              a piece of the reply as generated
//     {"type":"turn","transcript","reply","spoken","interrupted","timings":{"endpoint_ms",
//      "stt_final_ms","first_token_ms","first_audio_ms"}}      a turn ended; `spoken` was stored
//     {"type":"clear","until":N}      playback paused for a possible barge-in: drop what is
//                                     queued of the first N samples sent; what was not heard
//                                     is sent again if the reply resumes
//     {"type":"error","message":...}                           a turn failed, or the session ends
// The server closes the socket with 1003 for audio that is not whole samples, 1008 when audio
// arrives faster than it can be heard (more than 10 s waiting) or the client does not read what
// is sent, 1011 when the voice cannot start, and 1001 when it stops. Closing the socket ends the
// session: a reply being spoken is cut, and only what was played is stored.
//
// Thread-safety: the SocketHandler calls come from a network thread and never block; the
// session runs on the channel's own thread, started when the socket opens.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/error.h"
#include "server/http-types.h"
#include "voice/reply-source.h"
#include "voice/speech-recognizer.h"
#include "voice/speech-synthesizer.h"
#include "voice/voice-activity.h"

namespace os1::server {

// What a session is made of, opened on the channel's thread (loading a recogniser takes a while).
struct VoiceParts {
    std::unique_ptr<voice::VoiceActivityDetector> detector;
    std::unique_ptr<voice::SpeechRecognizer> recognizer;
    std::unique_ptr<voice::SpeechSynthesizer> synthesizer;
    std::unique_ptr<voice::ReplySource> replies;
    std::shared_ptr<void> keep;  // what `replies` needs alive (the conversation), released last
    int64_t conversation = 0;    // for the ready event
};

struct VoiceChannelOptions {
    size_t max_waiting_samples = 10 * 16000;  // received and not yet heard
};

class VoiceChannel : public SocketHandler {
public:
    using Open = std::function<ErrorOr<VoiceParts>()>;
    explicit VoiceChannel(Open open, VoiceChannelOptions options = {});
    // Ends the session if it still runs, and waits for its thread.
    ~VoiceChannel() override;

    void opened(std::shared_ptr<SocketPeer> peer) override;
    void received(SocketMessage message) override;
    void closed() override;

    // Ends the session (the socket is closed with 1001) and waits for its thread to finish.
    void stop_and_join();
    // True once the session's thread has finished, or when it never started and nobody but the
    // caller can start it any more.
    bool finished() const;
    bool started() const;
    // True once the session was asked to end (its socket closed, or stop_and_join()).
    bool ending() const;

private:
    void run(std::shared_ptr<SocketPeer> peer);
    void refuse(uint16_t code, std::string reason);  // the caller holds m_mutex

    Open m_open;
    VoiceChannelOptions m_options;
    mutable std::mutex m_mutex;
    std::condition_variable m_changed;
    std::deque<int16_t> m_waiting;  // microphone samples for the session
    uint64_t m_received = 0;        // microphone samples received in all
    // The browser's reports: how far it had heard the output when the microphone sample
    // numbered `microphone` had been captured.
    struct HeardReport {
        uint64_t microphone = 0;
        uint64_t heard = 0;
    };
    std::deque<HeardReport> m_heard_reports;
    bool m_stop = false;
    uint16_t m_close_code = 1000;
    std::string m_close_reason;
    bool m_started = false;
    bool m_finished = false;
    std::thread m_thread;
};

}  // namespace os1::server
