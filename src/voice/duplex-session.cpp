#include "voice/duplex-session.h"

#include <algorithm>
#include <utility>

namespace os1::voice {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr size_t k_preroll_frames = 30;    // 300 ms
constexpr int k_partial_every_frames = 5;  // the recogniser's partial words, every 50 ms

int frames_in(milliseconds duration) {
    return std::max<int>(1, static_cast<int>((duration.count() + 9) / 10));
}

milliseconds elapsed_since(Clock::time_point start) {
    return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

std::string trimmed(std::string_view text) {
    size_t begin = text.find_first_not_of(" \t\r\n");
    if (begin == std::string_view::npos)
        return {};
    size_t end = text.find_last_not_of(" \t\r\n");
    return std::string(text.substr(begin, end - begin + 1));
}

DuplexEvent make_event(DuplexEvent::Kind kind, std::string text = {}) {
    DuplexEvent event;
    event.kind = kind;
    event.text = std::move(text);
    return event;
}

}  // namespace

const char* to_string(DuplexState state) {
    switch (state) {
        case DuplexState::Listening:
            return "listening";
        case DuplexState::Thinking:
            return "thinking";
        case DuplexState::Speaking:
            return "speaking";
    }
    return "listening";
}

DuplexSession::DuplexSession(std::unique_ptr<VoiceActivityDetector> detector,
                             std::unique_ptr<SpeechRecognizer> recognizer, SpeechSynthesizer& synthesizer,
                             ReplySource& replies, DuplexSettings settings)
    : m_settings(settings),
      m_synthesizer(synthesizer),
      m_replies(replies),
      m_detector(std::move(detector)),
      m_recognizer(std::move(recognizer)),
      m_endpointer(settings.endpointer),
      m_echo(settings.echo),
      m_worker([this] { run_worker(); }) {}

DuplexSession::~DuplexSession() {
    {
        std::lock_guard lock(m_mutex);
        if (m_turn_active)
            end_turn(true);  // what was said so far is what is stored
        m_stopping = true;
    }
    m_changed.notify_all();
    m_worker.join();
}

DuplexState DuplexSession::state() const {
    std::lock_guard lock(m_mutex);
    return m_state;
}

std::vector<DuplexEvent> DuplexSession::take_events() {
    std::lock_guard lock(m_mutex);
    return std::exchange(m_events, {});
}

void DuplexSession::emit(DuplexEvent event) {
    m_events.push_back(std::move(event));
}

void DuplexSession::set_state(DuplexState state) {
    if (m_state == state)
        return;
    m_state = state;
    DuplexEvent event = make_event(DuplexEvent::Kind::StateChanged);
    event.state = state;
    emit(std::move(event));
    m_changed.notify_all();
}

bool DuplexSession::is_current(uint64_t turn_id) const {
    return m_turn_active && turn_id == m_turn_id;
}

void DuplexSession::listener_heard(uint64_t position) {
    m_listener_heard = std::max(position, m_listener_heard.value_or(0));
}

uint64_t DuplexSession::heard_position() const {
    if (!m_listener_heard)
        return m_emitted;
    const uint64_t most_unheard = samples_for(m_settings.most_unheard);
    const uint64_t oldest = m_emitted > most_unheard ? m_emitted - most_unheard : 0;
    return std::clamp(*m_listener_heard, oldest, m_emitted);
}

std::array<Sample, k_frame_samples> DuplexSession::heard_frame() const {
    // m_recent_output ends at m_emitted; the frame wanted ends at the heard position, and is
    // silence before the output began.
    std::array<Sample, k_frame_samples> frame{};
    const uint64_t end = heard_position();
    const uint64_t unheard = m_emitted - end;
    for (size_t i = 0; i < frame.size(); ++i) {
        const uint64_t back = unheard + frame.size() - i;  // samples before m_emitted
        if (back <= m_recent_output.size())
            frame[i] = m_recent_output[m_recent_output.size() - static_cast<size_t>(back)];
    }
    return frame;
}

std::array<Sample, k_frame_samples> DuplexSession::tick(Frame microphone) {
    const auto reference = heard_frame();
    EchoCanceller::Result echo = m_echo.process(microphone, Frame(reference));
    Frame residual(echo.residual);
    bool speech = m_detector->is_speech(residual) && echo.may_be_user;
    m_preroll.push_back(echo.residual);
    m_preroll_speech.push_back(speech);
    if (m_preroll.size() > k_preroll_frames) {
        m_preroll.pop_front();
        m_preroll_speech.pop_front();
    }

    bool turn_active;
    {
        std::lock_guard lock(m_mutex);
        turn_active = m_turn_active;
    }
    if (turn_active)
        watch_for_barge_in(residual, speech);
    else
        listen(residual, speech);
    const auto out = play();
    m_recent_output.insert(m_recent_output.end(), out.begin(), out.end());
    const size_t kept = samples_for(m_settings.most_unheard) + k_frame_samples;
    if (m_recent_output.size() > kept)
        m_recent_output.erase(m_recent_output.begin(),
                              m_recent_output.begin() + static_cast<ptrdiff_t>(m_recent_output.size() - kept));
    return out;
}

void DuplexSession::refresh_partial() {
    if (!m_recognizing) {
        m_partial.clear();
        return;
    }
    if (++m_frames_since_partial < k_partial_every_frames)
        return;
    m_frames_since_partial = 0;
    m_partial = m_recognizer->partial();
}

void DuplexSession::recognition_failed(const Error& error) {
    m_recognizing = false;
    m_part_finished = false;
    std::lock_guard lock(m_mutex);
    emit(make_event(DuplexEvent::Kind::Error, error.message));
}

bool DuplexSession::begin_part() {
    if (auto begun = m_recognizer->begin(); !begun) {
        recognition_failed(begun.error());
        return false;
    }
    for (const auto& frame : m_preroll) {
        if (auto fed = m_recognizer->feed(frame); !fed) {
            recognition_failed(fed.error());
            return false;
        }
    }
    m_recognizing = true;
    m_part_finished = false;
    m_frames_since_partial = 0;
    m_partial.clear();
    return true;
}

ErrorOr<std::string> DuplexSession::finish_part(milliseconds& took) {
    m_recognizing = false;
    m_partial.clear();
    const Clock::time_point started = Clock::now();
    ErrorOr<std::string> words = m_recognizer->finish();
    took = elapsed_since(started);
    return words;
}

void DuplexSession::listen(Frame residual, bool speech) {
    refresh_partial();
    const bool was_recognizing = m_recognizing;
    const std::string words_so_far = join_words(m_heard, trimmed(m_partial));
    Endpointer::Event event = m_endpointer.push(speech, words_so_far);
    if (was_recognizing) {
        if (auto fed = m_recognizer->feed(residual); !fed)
            return recognition_failed(fed.error());
    }
    if (event == Endpointer::Event::SpeechStarted) {
        m_heard.clear();
        begin_part();
        return;
    }
    if (event == Endpointer::Event::None && m_endpointer.in_speech()) {
        const milliseconds lead = std::max(m_settings.early_finish, m_recognizer->final_pass_time());
        const milliseconds final_pass_at =
            std::max(m_endpointer.hangover_for(words_so_far) - lead, m_settings.final_pass_min_silence);
        if (m_recognizing && !speech && m_endpointer.silence() >= final_pass_at) {
            // Probably the end: finish now, while the hangover runs out.
            m_early_finish_silence = m_endpointer.silence();
            ErrorOr<std::string> words = finish_part(m_early_finish_cost);
            if (!words)
                return recognition_failed(words.error());
            m_heard = join_words(m_heard, trimmed(*words));
            m_part_finished = true;
        } else if (m_part_finished && speech) {
            // The user went on: the rest is a new part of the same utterance.
            begin_part();
        }
        return;
    }
    if (event != Endpointer::Event::SpeechEnded || (!m_recognizing && !m_part_finished))
        return;
    std::string words = std::exchange(m_heard, {});
    milliseconds stt_final{0};
    if (m_recognizing) {
        ErrorOr<std::string> last = finish_part(stt_final);
        if (!last)
            return recognition_failed(last.error());
        words = join_words(words, trimmed(*last));
    } else {
        // Finished early: only what that finish took beyond the rest of the hangover is a wait.
        const milliseconds overlapped = m_endpointer.last_hangover() - m_early_finish_silence;
        stt_final = std::max(milliseconds{0}, m_early_finish_cost - overlapped);
    }
    m_part_finished = false;
    if (trimmed(words).empty())
        return;  // silence or noise: no turn
    start_turn(trimmed(words), m_endpointer.last_hangover(), stt_final);
}

void DuplexSession::start_turn(std::string words, milliseconds hangover, milliseconds stt_final) {
    {
        std::lock_guard lock(m_mutex);
        m_turn_id++;
        m_turn_active = true;
        m_turn = TurnSummary{};
        m_turn.transcript = words;
        m_turn.timings.endpoint = hangover;
        m_turn.timings.stt_final = stt_final;
        // The end of speech in wall time: the hangover has just passed, in ticks; what comes
        // after is the recogniser's finalisation, the model and the synthesis.
        m_turn_started = Clock::now() - stt_final;
        m_first_token_seen = false;
        m_first_audio_seen = false;
        m_playback.clear();
        m_reply_end = ReplyEnd::None;
        m_request = words;
        emit(make_event(DuplexEvent::Kind::Transcript, words));
        set_state(DuplexState::Thinking);
    }
    m_paused = false;
    m_barge_in_frames = 0;
    m_endpointer.reset();
    m_changed.notify_all();
}

void DuplexSession::watch_for_barge_in(Frame residual, bool speech) {
    if (!m_paused) {
        m_barge_in_frames = speech ? m_barge_in_frames + 1 : 0;
        if (m_barge_in_frames < frames_in(m_settings.barge_in_onset))
            return;
        // Speech over the reply: pause at once, and listen to it from its onset.
        pause_playback();
        m_paused_speech_frames = m_barge_in_frames;
        m_paused_silent_frames = 0;
        m_endpointer.reset();
        for (bool frame_speech : m_preroll_speech)
            m_endpointer.push(frame_speech, "");
        m_recognizing = false;
        m_part_finished = false;
        m_heard.clear();
        if (m_recognizer->begin()) {
            m_recognizing = true;
            for (const auto& frame : m_preroll) {
                if (!m_recognizer->feed(frame)) {
                    m_recognizing = false;
                    break;
                }
            }
        }
        m_frames_since_partial = 0;
        m_partial.clear();
        return;
    }

    if (m_recognizing && !m_recognizer->feed(residual))
        m_recognizing = false;
    refresh_partial();
    m_endpointer.push(speech, m_partial);
    if (speech) {
        m_paused_speech_frames++;
        m_paused_silent_frames = 0;
    } else {
        m_paused_silent_frames++;
    }
    bool heard_words = !trimmed(m_partial).empty();
    bool counts = m_paused_speech_frames >= frames_in(m_settings.barge_in_min_speech) ||
                  (heard_words && m_paused_speech_frames >= frames_in(m_settings.barge_in_min_speech_with_words));
    if (counts) {
        // The interruption stands: cancel the reply with what was said, and go on listening to
        // the user's utterance (the endpointer and recogniser are already in it).
        m_paused = false;
        {
            std::lock_guard lock(m_mutex);
            end_turn(true);
        }
        m_changed.notify_all();
        return;
    }
    if (m_paused_silent_frames >= frames_in(m_settings.resume_after_silence)) {
        // A cough, a "mm-hmm": go on where playback paused.
        m_paused = false;
        m_barge_in_frames = 0;
        m_recognizing = false;
        m_part_finished = false;
        m_heard.clear();
        m_partial.clear();
        m_endpointer.reset();
    }
}

void DuplexSession::pause_playback() {
    m_paused = true;
    std::lock_guard lock(m_mutex);
    m_playback.rewind_to_heard();
    DuplexEvent event = make_event(DuplexEvent::Kind::PlaybackCleared);
    event.position = m_emitted;
    emit(std::move(event));
}

void DuplexSession::end_turn(bool interrupted) {
    m_turn.interrupted = interrupted;
    m_turn.spoken = trimmed(m_playback.spoken());
    if (interrupted && m_worker_turn == m_turn_id)
        m_interrupt = m_turn.spoken;  // the worker hands it to Reply::interrupt()
    m_ended_turn_id = m_turn_id;
    if (!interrupted && m_reply_end == ReplyEnd::Finished)
        m_played_through_turn = m_turn_id;
    m_turn_active = false;
    m_playback.clear();
    DuplexEvent event = make_event(DuplexEvent::Kind::TurnEnded);
    event.turn = m_turn;
    emit(std::move(event));
    set_state(DuplexState::Listening);
    m_changed.notify_all();
}

std::array<Sample, k_frame_samples> DuplexSession::play() {
    std::array<Sample, k_frame_samples> out{};
    const uint64_t position = m_emitted;
    m_emitted += out.size();
    std::lock_guard lock(m_mutex);
    if (!m_turn_active)
        return out;
    if (!m_paused && m_playback.emit(out, position) > 0)
        set_state(DuplexState::Speaking);
    m_playback.heard_up_to(heard_position());
    // Played through, once the last clause was heard. When synthesis failed, the reply
    // generated was not all spoken: it is stored as interrupted, with what was spoken.
    if (m_playback.all_heard() && m_reply_end != ReplyEnd::None)
        end_turn(m_reply_end == ReplyEnd::Failed && m_worker_turn == m_turn_id);
    return out;
}

bool DuplexSession::wait_for_output(milliseconds timeout) {
    if (m_paused)
        return true;  // the user is speaking over the reply: the microphone matters, not the queue
    std::unique_lock lock(m_mutex);
    return m_changed.wait_for(lock, timeout,
                              [&] {
                                  return !m_turn_active || m_playback.ready_to_emit(k_frame_samples) ||
                                         m_reply_end != ReplyEnd::None;
                              });
}

void DuplexSession::run_worker() {
    for (;;) {
        std::string words;
        uint64_t turn_id;
        {
            std::unique_lock lock(m_mutex);
            m_changed.wait(lock, [&] { return m_request.has_value() || m_stopping; });
            if (m_stopping)
                return;
            words = std::move(*m_request);
            m_request.reset();
            turn_id = m_turn_id;
            m_worker_turn = turn_id;
        }
        run_reply(words, turn_id);
        std::lock_guard lock(m_mutex);
        m_worker_turn = 0;
        m_interrupt.reset();  // for a reply that failed first: nothing to cut
    }
}

void DuplexSession::run_reply(const std::string& words, uint64_t turn_id) {
    auto fail = [&](std::string message) {
        std::lock_guard lock(m_mutex);
        if (!is_current(turn_id))
            return;
        m_reply_end = ReplyEnd::Failed;
        emit(make_event(DuplexEvent::Kind::Error, std::move(message)));
        m_changed.notify_all();
    };
    {
        std::lock_guard lock(m_mutex);
        if (!is_current(turn_id))
            return;  // interrupted before it began
    }
    ErrorOr<std::unique_ptr<Reply>> started = m_replies.reply_to(words);
    if (!started)
        return fail(started.error().message);
    std::unique_ptr<Reply> reply = started.release_value();
    // Hands the interruption over, if one came; true when it did (or the session stops).
    auto interrupted = [&]() {
        std::optional<std::string> spoken;
        {
            std::lock_guard lock(m_mutex);
            if (m_interrupt) {
                spoken = std::move(m_interrupt);
                m_interrupt.reset();
            } else if (m_stopping || !is_current(turn_id)) {
                return true;
            }
        }
        if (!spoken)
            return false;
        reply->interrupt(*spoken);
        return true;
    };

    affect::ProsodyHints prosody = reply->prosody();
    ClauseSplitter splitter(m_settings.clauses);
    for (bool done = false; !done;) {
        if (interrupted())
            return;
        ErrorOr<std::optional<Reply::Piece>> piece = reply->next(m_settings.piece_poll);
        if (!piece)
            return fail(piece.error().message);
        if (!piece->has_value())
            continue;
        Reply::Piece& got = **piece;
        done = got.done;
        if (!got.text.empty()) {
            std::lock_guard lock(m_mutex);
            if (is_current(turn_id)) {
                if (!m_first_token_seen) {
                    m_first_token_seen = true;
                    m_turn.timings.first_token = elapsed_since(m_turn_started);
                }
                m_turn.reply += got.text;
                emit(make_event(DuplexEvent::Kind::ReplyText, got.text));
            }
        }
        std::vector<std::string> clauses = splitter.push(got.text);
        if (done)
            clauses.push_back(splitter.finish());
        for (std::string& clause : clauses) {
            if (!queue_clause(std::move(clause), prosody, turn_id))
                break;  // the next round hands over the interruption
        }
    }
    {
        std::lock_guard lock(m_mutex);
        if (is_current(turn_id) && m_reply_end == ReplyEnd::None)
            m_reply_end = ReplyEnd::Finished;
        m_changed.notify_all();
    }
    // The reply is stored whole; keep it until its playback ends, since a barge-in may still
    // cut it to what was spoken.
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [&] { return m_interrupt.has_value() || m_stopping || m_ended_turn_id >= turn_id; });
    std::optional<std::string> spoken = std::move(m_interrupt);
    m_interrupt.reset();
    // Played to its end, unless a synthesis failed (the reply, dropped unconfirmed, then keeps
    // what was generated, marked interrupted). A session that stops right after the last
    // sample was played still played it through.
    const bool played = !spoken && m_played_through_turn == turn_id;
    lock.unlock();
    if (spoken)
        reply->interrupt(*spoken);
    else if (played)
        reply->played_through();
}

bool DuplexSession::queue_clause(std::string text, const affect::ProsodyHints& prosody, uint64_t turn_id) {
    if (text.empty())
        return true;
    const std::string to_say = text;
    {
        std::lock_guard lock(m_mutex);
        if (!is_current(turn_id) || m_interrupt)
            return false;
        // Queued at once, and played as its audio comes. A clause with nothing to say is
        // queued all the same: its text belongs to what is spoken.
        m_playback.begin_clause(std::move(text));
    }
    const auto synthesis_started = Clock::now();
    ErrorOr<void> spoken = m_synthesizer.synthesize_streaming(to_say, prosody, [&](std::span<const Sample> audio) {
        std::lock_guard lock(m_mutex);
        if (!is_current(turn_id) || m_interrupt)
            return false;
        if (!m_first_audio_seen) {
            m_first_audio_seen = true;
            m_turn.timings.first_audio = elapsed_since(m_turn_started);
            m_turn.timings.first_clause_synthesis = elapsed_since(synthesis_started);
        }
        m_playback.add_audio(audio);
        m_changed.notify_all();
        return true;
    });
    std::lock_guard lock(m_mutex);
    if (!is_current(turn_id))
        return false;
    m_playback.end_clause();  // after a failure, with what audio was made
    if (!spoken) {
        m_reply_end = ReplyEnd::Failed;
        emit(make_event(DuplexEvent::Kind::Error, spoken.error().message));
        m_changed.notify_all();
        return false;
    }
    m_changed.notify_all();
    return true;
}

}  // namespace os1::voice
