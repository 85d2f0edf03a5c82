// Real speech and noise for the voice tests, made at test time by the programs Debian ships:
// flite and espeak-ng speak a sentence, sox makes noise (in its repeatable mode, so a run is
// the same every time). Files go in the folder the caller gives (a test::unique_temp_dir).
#pragma once

#include <filesystem>
#include <string>

#include "voice/audio-clip.h"

namespace os1::test {

// The full path of a program on $PATH (the test's run_process executes a path, not a name),
// or the name itself when it is not found (the run then fails, naming it).
std::string program_path(const std::string& name);

// `text` spoken by flite's `voice` (slt, rms, awb, kal), at 16 kHz. Fails the test when flite fails.
voice::AudioClip flite_speech(const std::filesystem::path& dir, const std::string& text,
                              const std::string& voice = "slt");
// `text` spoken by espeak-ng at `words_per_minute`, resampled to 16 kHz.
voice::AudioClip espeak_speech(const std::filesystem::path& dir, const std::string& text, int words_per_minute = 160);
// `seconds` of sox's "whitenoise" or "pinknoise" at 16 kHz.
voice::AudioClip sox_noise(const std::filesystem::path& dir, const std::string& colour, double seconds);
// `milliseconds` of digital silence.
voice::AudioClip silence(int milliseconds);
// `a` then `b`.
voice::AudioClip concatenate(const voice::AudioClip& a, const voice::AudioClip& b);

}  // namespace os1::test
