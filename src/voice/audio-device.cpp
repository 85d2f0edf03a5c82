#include "voice/audio-device.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>

#include <SDL2/SDL.h>

namespace os1::voice {

namespace {

// A minute of microphone audio at most waits to be read; older audio is dropped first.
constexpr size_t k_capture_limit = static_cast<size_t>(k_sample_rate) * 60;
// Small device periods keep barge-in quick: 256 samples are 16 ms.
constexpr Uint16 k_period_samples = 256;

std::string sdl_error() {
    const char* error = SDL_GetError();
    return error && *error ? error : "unknown error";
}

}  // namespace

struct AudioDevice::Impl {
    SDL_AudioDeviceID capture = 0;
    SDL_AudioDeviceID playback = 0;
    std::string description;

    mutable std::mutex mutex;
    std::condition_variable captured_ready;
    std::deque<Sample> captured;
    std::deque<Sample> to_play;
    uint64_t played = 0;  // of all queued: taken by the device or dropped

    ~Impl() {
        // Closing waits for a running callback to return, so the buffers outlive it.
        if (capture)
            SDL_CloseAudioDevice(capture);
        if (playback)
            SDL_CloseAudioDevice(playback);
        SDL_QuitSubSystem(SDL_INIT_AUDIO);
    }

    static void on_captured(void* self, Uint8* bytes, int length) {
        auto& impl = *static_cast<Impl*>(self);
        const auto* samples = reinterpret_cast<const Sample*>(bytes);
        const size_t count = static_cast<size_t>(length) / sizeof(Sample);
        {
            std::lock_guard lock(impl.mutex);
            impl.captured.insert(impl.captured.end(), samples, samples + count);
            if (impl.captured.size() > k_capture_limit)
                impl.captured.erase(impl.captured.begin(),
                                    impl.captured.begin() + static_cast<std::ptrdiff_t>(impl.captured.size() - k_capture_limit));
        }
        impl.captured_ready.notify_one();
    }

    static void on_playback(void* self, Uint8* bytes, int length) {
        auto& impl = *static_cast<Impl*>(self);
        auto* samples = reinterpret_cast<Sample*>(bytes);
        const size_t count = static_cast<size_t>(length) / sizeof(Sample);
        std::lock_guard lock(impl.mutex);
        const size_t available = std::min(count, impl.to_play.size());
        std::copy_n(impl.to_play.begin(), available, samples);
        impl.to_play.erase(impl.to_play.begin(), impl.to_play.begin() + static_cast<std::ptrdiff_t>(available));
        impl.played += available;
        std::fill(samples + available, samples + count, Sample{0});
    }
};

ErrorOr<std::unique_ptr<AudioDevice>> AudioDevice::open() {
    if (SDL_InitSubSystem(SDL_INIT_AUDIO) != 0)
        return make_error(ErrorKind::Unavailable, "no audio system could be started (" + sdl_error() + ")");
    auto impl = std::make_unique<Impl>();

    SDL_AudioSpec wanted{};
    wanted.freq = k_sample_rate;
    wanted.format = AUDIO_S16SYS;
    wanted.channels = 1;
    wanted.samples = k_period_samples;
    wanted.userdata = impl.get();

    // No allowed changes: SDL converts between this format and the hardware's.
    wanted.callback = &Impl::on_captured;
    SDL_AudioSpec obtained{};
    impl->capture = SDL_OpenAudioDevice(nullptr, 1, &wanted, &obtained, 0);
    if (impl->capture == 0)
        return make_error(ErrorKind::Unavailable, "no microphone could be opened (" + sdl_error() + ")");
    wanted.callback = &Impl::on_playback;
    impl->playback = SDL_OpenAudioDevice(nullptr, 0, &wanted, &obtained, 0);
    if (impl->playback == 0)
        return make_error(ErrorKind::Unavailable, "no speaker could be opened (" + sdl_error() + ")");

    const char* driver = SDL_GetCurrentAudioDriver();
    impl->description = driver ? driver : "audio";
    SDL_PauseAudioDevice(impl->capture, 0);
    SDL_PauseAudioDevice(impl->playback, 0);
    return std::unique_ptr<AudioDevice>(new AudioDevice(std::move(impl)));
}

AudioDevice::AudioDevice(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

AudioDevice::~AudioDevice() = default;

ErrorOr<std::optional<std::array<Sample, k_frame_samples>>> AudioDevice::read_frame(std::chrono::milliseconds timeout) {
    Impl& impl = *m_impl;
    std::unique_lock lock(impl.mutex);
    const bool ready = impl.captured_ready.wait_for(lock, timeout, [&] { return impl.captured.size() >= k_frame_samples; });
    if (!ready) {
        lock.unlock();
        // SDL stops a device that disappears (unplugged, or the sound server went away).
        if (SDL_GetAudioDeviceStatus(impl.capture) == SDL_AUDIO_STOPPED ||
            SDL_GetAudioDeviceStatus(impl.playback) == SDL_AUDIO_STOPPED)
            return make_error(ErrorKind::Unavailable, "the audio device was disconnected");
        return std::optional<std::array<Sample, k_frame_samples>>{};
    }
    std::array<Sample, k_frame_samples> frame;
    std::copy_n(impl.captured.begin(), k_frame_samples, frame.begin());
    impl.captured.erase(impl.captured.begin(), impl.captured.begin() + k_frame_samples);
    return std::optional{frame};
}

void AudioDevice::play(std::span<const Sample> audio) {
    std::lock_guard lock(m_impl->mutex);
    m_impl->to_play.insert(m_impl->to_play.end(), audio.begin(), audio.end());
}

void AudioDevice::clear_playback() {
    std::lock_guard lock(m_impl->mutex);
    m_impl->played += m_impl->to_play.size();
    m_impl->to_play.clear();
}

uint64_t AudioDevice::played_samples() const {
    std::lock_guard lock(m_impl->mutex);
    return m_impl->played;
}

size_t AudioDevice::queued_playback() const {
    std::lock_guard lock(m_impl->mutex);
    return m_impl->to_play.size();
}

std::string AudioDevice::description() const { return m_impl->description; }

}  // namespace os1::voice
