// WAV files as the pipeline's clips (16 kHz mono, 16-bit). Reading takes PCM of 8, 16, 24 or
// 32 bits and IEEE float of 32 or 64 bits, plain or WAVE_FORMAT_EXTENSIBLE, with any channel
// count (mixed down) and any sample rate (resampled); loud input is clipped, as audio is.
// A file that is not a WAV, or is damaged (truncated chunks, sizes that lie, no channels), is
// refused with a message naming the file. Writing is atomic (a temporary file renamed over the
// target). Thread-safe: no shared state.
#pragma once

#include <filesystem>
#include <string_view>

#include "core/error.h"
#include "voice/audio-clip.h"

namespace os1::voice {

// The largest WAV file read: 1 GiB is over 90 minutes of 48 kHz stereo float, far more than a
// conversation turn or a benchmark recording; a device such as /dev/zero is refused anyway.
inline constexpr size_t k_max_wav_bytes = size_t{1} << 30;

// The recording in `path` at the pipeline's format. NotFound when it is absent; InvalidInput
// when it is not a regular file, too large, not a WAV, in an unsupported encoding or damaged.
ErrorOr<AudioClip> read_wav(const std::filesystem::path& path);

// The same for the bytes of a WAV file; `name` names it in messages.
ErrorOr<AudioClip> parse_wav(std::string_view bytes, std::string_view name);

// Writes `clip` to `path` as 16 kHz mono 16-bit PCM, atomically: the file is either the old one
// or the whole new one, never half written.
ErrorOr<void> write_wav(const std::filesystem::path& path, const AudioClip& clip);

}  // namespace os1::voice
