// The computer's microphone and speaker, through SDL2, at the pipeline's format (16 kHz mono,
// 16-bit; SDL converts from whatever the hardware offers). Capture fills a bounded buffer that
// read_frame() drains; playback plays what play() queued, and clear_playback() silences it
// within one device period (barge-in).
//
// SDL_AUDIODRIVER chooses the driver as usual ("disk" reads the microphone from
// SDL_DISKAUDIOFILEIN and writes the speaker to SDL_DISKAUDIOFILE, raw samples in real time).
//
// Thread-safety: one thread reads frames, any thread may play or clear; SDL's audio thread
// runs the callbacks.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "core/error.h"
#include "voice/audio-clip.h"

namespace os1::voice {

class AudioDevice {
public:
    // Opens the default microphone and speaker. Unavailable, with a message that says what is
    // missing, when there is no audio system or no device to open.
    static ErrorOr<std::unique_ptr<AudioDevice>> open();
    ~AudioDevice();
    AudioDevice(const AudioDevice&) = delete;
    AudioDevice& operator=(const AudioDevice&) = delete;

    // The next 10 ms captured, waiting at most `timeout` for it (nullopt when none came).
    // Unavailable when a device was lost (unplugged) or stopped.
    ErrorOr<std::optional<std::array<Sample, k_frame_samples>>> read_frame(std::chrono::milliseconds timeout);
    // Queues audio for the speaker.
    void play(std::span<const Sample> audio);
    // Drops what is queued for the speaker; silence from the next device period.
    void clear_playback();
    // Samples queued for the speaker and not yet handed to the device.
    size_t queued_playback() const;
    // Samples of all that play() queued that the device has taken or clear_playback() dropped.
    uint64_t played_samples() const;
    // "PulseAudio: Built-in Audio", for the display.
    std::string description() const;

    struct Impl;

private:
    explicit AudioDevice(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace os1::voice
