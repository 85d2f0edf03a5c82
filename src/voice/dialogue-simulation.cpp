#include "voice/dialogue-simulation.h"

#include <algorithm>
#include <cmath>

namespace os1::voice {

namespace {

using std::chrono::milliseconds;

constexpr int64_t frames_in(milliseconds duration) { return duration.count() / 10; }

// Where the user's side stands: which recording plays, and what the companion did last.
struct Timeline {
    size_t next_input = 0;
    std::optional<size_t> playing;  // the recording now heard
    size_t position = 0;            // in samples, within it
    int64_t input_ended_at = 0;     // frame the last recording ended
    int64_t reply_started_at = -1;  // frame the companion began its latest reply (-1: none since)
    int64_t reply_ended_at = -1;    // frame its latest turn ended (-1: none since)
};

Sample saturate(double value) {
    return static_cast<Sample>(std::clamp(std::lround(value), -32768L, 32767L));
}

}  // namespace

ErrorOr<SimulationResult> simulate_dialogue(DuplexSession& session, const std::vector<SimulatedInput>& inputs,
                                            const SimulationSettings& settings,
                                            const std::function<void(const DuplexEvent&)>& on_event) {
    SimulationResult result;
    Timeline timeline;
    const int64_t echo_delay_frames = std::max<int64_t>(0, frames_in(settings.echo_delay));
    const size_t echo_delay_samples = static_cast<size_t>(echo_delay_frames) * k_frame_samples;
    const int64_t tail_frames = frames_in(settings.tail);
    bool turn_open = false;  // between the end of the user's speech and the end of the reply
    std::array<Sample, k_frame_samples> microphone{};

    for (int64_t frame = 0;; ++frame) {
        // The next recording starts when its cue has come.
        if (!timeline.playing && timeline.next_input < inputs.size()) {
            const SimulatedInput& input = inputs[timeline.next_input];
            // A recording that drew no reply (silence, noise) gives way after the tail.
            const bool no_reply = !turn_open && timeline.reply_started_at < 0 && timeline.reply_ended_at < 0 &&
                                  frame - timeline.input_ended_at >= tail_frames;
            bool cue = timeline.next_input == 0 || no_reply;
            if (!cue && input.into_reply)
                cue = timeline.reply_started_at >= 0 && frame - timeline.reply_started_at >= frames_in(*input.into_reply);
            else if (!cue)
                cue = !turn_open && timeline.reply_ended_at >= 0 && frame - timeline.reply_ended_at >= frames_in(input.gap);
            if (cue) {
                timeline.playing = timeline.next_input++;
                timeline.position = 0;
                timeline.reply_started_at = -1;
                timeline.reply_ended_at = -1;
            }
        }
        if (!timeline.playing && timeline.next_input == inputs.size() && !turn_open &&
            session.state() == DuplexState::Listening && frame - timeline.input_ended_at >= tail_frames)
            break;

        // What the microphone hears: the user, and the companion's own voice coming back.
        microphone.fill(0);
        if (timeline.playing) {
            const std::vector<Sample>& samples = inputs[*timeline.playing].clip.samples;
            const size_t count = std::min<size_t>(k_frame_samples, samples.size() - timeline.position);
            std::copy_n(samples.begin() + static_cast<std::ptrdiff_t>(timeline.position), count, microphone.begin());
            timeline.position += count;
            if (timeline.position >= samples.size()) {
                timeline.playing.reset();
                timeline.input_ended_at = frame;
            }
        }
        if (settings.echo_gain > 0) {
            const size_t now = result.companion.samples.size();
            for (size_t i = 0; i < k_frame_samples; ++i) {
                if (now + i >= echo_delay_samples)
                    microphone[i] = saturate(microphone[i] + settings.echo_gain *
                                                                 result.companion.samples[now + i - echo_delay_samples]);
            }
        }

        // While the session computes, virtual time stands still.
        if (session.state() != DuplexState::Listening && !session.wait_for_output(settings.stall_limit))
            return make_error(ErrorKind::Unavailable, "the reply produced no audio for " +
                                                          std::to_string(settings.stall_limit.count() / 1000) + " s");
        const std::array<Sample, k_frame_samples> played = session.tick(Frame(microphone));
        result.companion.samples.insert(result.companion.samples.end(), played.begin(), played.end());

        for (DuplexEvent& event : session.take_events()) {
            if (on_event)
                on_event(event);
            switch (event.kind) {
            case DuplexEvent::Kind::StateChanged:
                if (event.state == DuplexState::Thinking)
                    turn_open = true;
                if (event.state == DuplexState::Speaking && timeline.reply_started_at < 0)
                    timeline.reply_started_at = frame;
                break;
            case DuplexEvent::Kind::TurnEnded:
                turn_open = false;
                timeline.reply_ended_at = frame;
                result.turns.push_back(std::move(event.turn));
                break;
            case DuplexEvent::Kind::Error:
                result.errors.push_back(std::move(event.text));
                break;
            case DuplexEvent::Kind::Transcript:
            case DuplexEvent::Kind::ReplyText:
            case DuplexEvent::Kind::PlaybackCleared:  // what it plays is heard at once
                break;
            }
        }
    }
    result.duration = result.companion.duration();
    return result;
}

}  // namespace os1::voice
