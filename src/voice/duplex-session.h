// The full-duplex spoken dialogue: it listens while it speaks. A machine driven in 10 ms ticks,
// so the same code serves a live device (tick every 10 ms from the audio callback's thread) and
// a file simulation (tick as fast as the driver likes, waiting with wait_for_output() while the
// reply is computed, so that virtual time stands still meanwhile).
//
// Listening: the microphone goes through voice activity, the endpointer and the recogniser
// (fed while the user speaks). The recogniser's final pass runs during the hangover's last
// stretch (DuplexSettings::early_finish), so the words are ready when the hangover ends; if the
// user speaks again first, what follows is recognised as a new part of the same utterance. At
// the end of speech with words, the turn starts: Thinking.
// A worker thread asks the ReplySource for the reply, pulls its pieces, cuts them into clauses
// and synthesises each, queueing its audio piece by piece as it is made, so that speech starts
// with the first piece of the first clause: Speaking. tick() plays from that queue.
//
// Barge-in: while Thinking or Speaking, the microphone minus the echo of what was played
// (echo-canceller.h) goes through voice activity. When speech starts, playback pauses at once;
// when it lasts barge_in_min_speech (or barge_in_min_speech_with_words and the recogniser hears
// words), the interruption counts: the reply is cancelled with Reply::interrupt(spoken), where
// `spoken` is exactly the text played aloud (the clauses heard whole and, of the clause cut
// short, its words in proportion to the share of its audio heard), and the session listens to
// the rest of the user's utterance. If the user falls silent first (a cough, "mm-hmm"),
// playback resumes where it paused and nothing is cancelled.
//
// What was heard: by default, each frame tick() returns counts as heard at once (a device that
// plays it right away). A listener behind a buffer (a browser's jitter buffer) reports how far
// it has heard with listener_heard(); then the stored text, the end of a reply played through,
// and the echo canceller's reference all follow those reports. A pause for a possible barge-in
// emits PlaybackCleared: the listener drops what it holds, and playback resumes from the first
// sample it had not heard.
//
// Reply contract (reply-source.h): reply_to(), prosody(), next(), interrupt() and
// played_through() are all called on the session's worker thread, one at a time. A reply is
// stored only when its fate is known: played_through() once its last clause was played, or
// interrupt(spoken) on a barge-in, which may come after the last piece (done) while the reply
// is still being played. The worker calls either just after the tick that ended the turn (its
// TurnEnded event); destroying the session waits for it.
//
// Thread-safety: tick() and wait_for_output() from one driver thread; take_events() and
// state() from any thread. The destructor (driver thread) cancels a reply in progress with
// what was spoken so far and joins the worker.
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "voice/audio-clip.h"
#include "voice/clause-splitter.h"
#include "voice/echo-canceller.h"
#include "voice/endpointer.h"
#include "voice/playback-queue.h"
#include "voice/reply-source.h"
#include "voice/speech-recognizer.h"
#include "voice/speech-synthesizer.h"
#include "voice/voice-activity.h"

namespace os1::voice {

enum class DuplexState { Listening, Thinking, Speaking };

// "listening", "thinking", "speaking".
const char* to_string(DuplexState state);

struct DuplexSettings {
    // Speech during playback pauses it after this much (a click is not speech)...
    std::chrono::milliseconds barge_in_onset{30};
    // ...and interrupts the reply after this much speech, or after the shorter one with words.
    std::chrono::milliseconds barge_in_min_speech{350};
    std::chrono::milliseconds barge_in_min_speech_with_words{200};
    // Silence this long after a pause that did not count resumes playback.
    std::chrono::milliseconds resume_after_silence{200};
    // The recogniser finishes the utterance this long before the hangover would end it (or as
    // long as its final pass takes, when that is longer), so that its final pass runs while the
    // endpointer still waits; speech that resumes in between starts a new part of the same
    // utterance. Never before `final_pass_min_silence` of silence, though: shorter gaps fall
    // within and between words.
    std::chrono::milliseconds early_finish{100};
    std::chrono::milliseconds final_pass_min_silence{150};
    // How long the worker waits for a reply piece before it looks for a cancellation again.
    std::chrono::milliseconds piece_poll{20};
    // Output a reporting listener has not heard yet counts as heard once it is this old, so
    // that a listener that stops reporting cannot hold a reply open.
    std::chrono::milliseconds most_unheard{1000};
    EndpointerSettings endpointer;
    ClauseSplitterSettings clauses;
    EchoCancellerSettings echo;
};

// The stages from the end of the user's speech to the first audio out.
struct TurnTimings {
    std::chrono::milliseconds endpoint{0};     // the hangover: silence before speech counted as over
    std::chrono::milliseconds stt_final{0};    // SpeechRecognizer::finish(), wall
    std::chrono::milliseconds first_token{0};  // end of speech to the first reply piece, wall
    std::chrono::milliseconds first_audio{0};  // end of speech to the first audio synthesised, wall
    // Of first_audio, the synthesis of that audio (the first piece of the first clause).
    std::chrono::milliseconds first_clause_synthesis{0};
};

// One turn, as `os1 talk --json` reports it.
struct TurnSummary {
    std::string transcript;  // what the user said
    std::string reply;       // what was generated (up to the interruption, when there was one)
    std::string spoken;      // what was played aloud, and stored
    bool interrupted = false;
    TurnTimings timings;
};

struct DuplexEvent {
    enum class Kind {
        StateChanged,  // `state`
        Transcript,    // `text`: the user's words of a turn
        ReplyText,     // `text`: a piece of the reply as it streams
        TurnEnded,     // `turn`: played through, interrupted, or failed (then also an Error)
        Error,         // `text`: the reply failed (nothing stored) or synthesis failed
        // Playback paused: the listener drops what it holds of the output before `position`;
        // what it had not heard is played again if the reply resumes.
        PlaybackCleared,
    };
    Kind kind = Kind::StateChanged;
    DuplexState state = DuplexState::Listening;
    std::string text;
    uint64_t position = 0;  // in the output stream: samples tick() returned before it
    TurnSummary turn;
};

class DuplexSession {
public:
    // The session owns the detector and the recogniser; `synthesizer` and `replies` must outlive it.
    DuplexSession(std::unique_ptr<VoiceActivityDetector> detector, std::unique_ptr<SpeechRecognizer> recognizer,
                  SpeechSynthesizer& synthesizer, ReplySource& replies, DuplexSettings settings = {});
    ~DuplexSession();
    DuplexSession(const DuplexSession&) = delete;
    DuplexSession& operator=(const DuplexSession&) = delete;

    // One 10 ms frame from the microphone; returns the frame to play now (silence when nothing).
    std::array<Sample, k_frame_samples> tick(Frame microphone);

    // The listener had heard the output up to `position` (samples tick() returned, counted from
    // the session's start) when the microphone frame of the next tick() ended. Reports that
    // move back, or ahead of the output, are clamped.
    void listener_heard(uint64_t position);

    // For a simulation: waits until tick() has reply audio to play, or no reply is pending
    // (listening, or the reply ended), or `timeout` passes; false on the timeout. Returns at
    // once when nothing is being computed.
    bool wait_for_output(std::chrono::milliseconds timeout);

    // The events since the last call, in order.
    std::vector<DuplexEvent> take_events();
    DuplexState state() const;

private:
    enum class ReplyEnd { None, Finished, Failed };

    void listen(Frame residual, bool speech);
    // Begins a part of the utterance and feeds it the preroll; false (and an Error event) when
    // the recogniser fails.
    bool begin_part();
    // Ends the open part: its words, and in `took` how long the recogniser's final pass took.
    ErrorOr<std::string> finish_part(std::chrono::milliseconds& took);
    // Drops the utterance, with an Error event.
    void recognition_failed(const Error& error);
    void watch_for_barge_in(Frame residual, bool speech);
    std::array<Sample, k_frame_samples> play();
    // How far the listener has heard the output, now.
    uint64_t heard_position() const;
    // The frame the listener was hearing as the microphone frame of this tick was captured.
    std::array<Sample, k_frame_samples> heard_frame() const;
    void pause_playback();
    void start_turn(std::string words, std::chrono::milliseconds hangover, std::chrono::milliseconds stt_final);
    void refresh_partial();
    void end_turn(bool interrupted);    // the caller holds m_mutex
    void set_state(DuplexState state);  // the caller holds m_mutex
    void emit(DuplexEvent event);       // the caller holds m_mutex
    void run_worker();
    void run_reply(const std::string& words, uint64_t turn_id);
    // Synthesises and queues a clause of turn `turn_id`; false when the turn is over (or
    // synthesis failed, which ends it).
    bool queue_clause(std::string text, const affect::ProsodyHints& prosody, uint64_t turn_id);
    bool is_current(uint64_t turn_id) const;  // the caller holds m_mutex

    DuplexSettings m_settings;
    SpeechSynthesizer& m_synthesizer;
    ReplySource& m_replies;

    // Driver thread only.
    std::unique_ptr<VoiceActivityDetector> m_detector;
    std::unique_ptr<SpeechRecognizer> m_recognizer;
    Endpointer m_endpointer;
    EchoCanceller m_echo;
    uint64_t m_emitted = 0;                  // samples tick() returned
    std::optional<uint64_t> m_listener_heard;  // the listener's latest report, if it reports
    std::deque<Sample> m_recent_output;        // the last most_unheard (and a frame) of the output
    bool m_recognizing = false;
    std::string m_partial;  // the recogniser's words so far, refreshed every few frames
    // The utterance's parts finished early, while the endpointer waited out the hangover.
    std::string m_heard;
    bool m_part_finished = false;  // the recogniser's last part was finished; none is open
    std::chrono::milliseconds m_early_finish_cost{0};     // that finish, wall
    std::chrono::milliseconds m_early_finish_silence{0};  // the silence when it started
    int m_frames_since_partial = 0;
    int m_barge_in_frames = 0;  // consecutive speech frames while playback runs
    bool m_paused = false;      // playback paused for a possible barge-in
    int m_paused_speech_frames = 0;
    int m_paused_silent_frames = 0;
    // The last few frames and their speech decisions, so that the recogniser and endpointer
    // hear an utterance from its onset, before it was recognised as one.
    std::deque<std::array<Sample, k_frame_samples>> m_preroll;
    std::deque<bool> m_preroll_speech;

    // Shared with the worker, under m_mutex.
    mutable std::mutex m_mutex;
    std::condition_variable m_changed;
    DuplexState m_state = DuplexState::Listening;
    std::vector<DuplexEvent> m_events;
    std::optional<std::string> m_request;  // words for a new turn, for the worker
    uint64_t m_turn_id = 0;                // the latest turn's number
    uint64_t m_ended_turn_id = 0;          // the latest turn that ended (played through or cut)
    uint64_t m_played_through_turn = 0;    // the latest turn whose whole reply was played
    bool m_turn_active = false;            // from start_turn() until end_turn()
    uint64_t m_worker_turn = 0;            // the turn whose reply the worker handles (0: none)
    PlaybackQueue m_playback;              // this turn's clauses, synthesised
    ReplyEnd m_reply_end = ReplyEnd::None;
    std::optional<std::string> m_interrupt;  // spoken text, for the worker to pass to interrupt()
    bool m_stopping = false;
    TurnSummary m_turn;
    std::chrono::steady_clock::time_point m_turn_started;  // the end of the user's speech, wall
    bool m_first_token_seen = false;
    bool m_first_audio_seen = false;

    std::thread m_worker;  // last: starts after everything above exists
};

}  // namespace os1::voice
