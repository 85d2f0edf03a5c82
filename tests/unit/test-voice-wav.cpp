// WAV files into the pipeline's 16 kHz mono clips: every PCM and float encoding, plain and
// WAVE_FORMAT_EXTENSIBLE, several channels and rates (files made by hand and by sox), and the
// damaged files that must be refused with a message naming them.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <numbers>

#include "support/subprocess.h"
#include "support/temp-dir.h"
#include "support/voice-audio.h"
#include "voice/wav-file.h"

using namespace os1;
using namespace os1::voice;
namespace fs = std::filesystem;

namespace {

void put_u16(std::string& out, uint32_t value) {
    out.push_back(static_cast<char>(value & 0xFF));
    out.push_back(static_cast<char>((value >> 8) & 0xFF));
}

void put_u32(std::string& out, uint32_t value) {
    put_u16(out, value & 0xFFFF);
    put_u16(out, value >> 16);
}

struct WavSpec {
    uint16_t tag = 1;  // 1 PCM, 3 float
    uint16_t channels = 1;
    uint32_t rate = 16000;
    uint16_t bits = 16;
    bool extensible = false;
};

// A WAV of `seconds` of a sine at `hz` and amplitude `amplitude` (of full scale) on every channel.
std::string sine_wav(const WavSpec& spec, double hz, double seconds, double amplitude = 0.5) {
    const uint32_t frames = static_cast<uint32_t>(spec.rate * seconds);
    std::string data;
    for (uint32_t i = 0; i < frames; ++i) {
        const double value = amplitude * std::sin(2 * std::numbers::pi * hz * i / spec.rate);
        for (uint16_t c = 0; c < spec.channels; ++c) {
            if (spec.tag == 3 && spec.bits == 32) {
                const float f = static_cast<float>(value);
                uint32_t raw;
                std::memcpy(&raw, &f, 4);
                put_u32(data, raw);
            } else if (spec.tag == 3) {
                uint64_t raw;
                std::memcpy(&raw, &value, 8);
                put_u32(data, static_cast<uint32_t>(raw));
                put_u32(data, static_cast<uint32_t>(raw >> 32));
            } else if (spec.bits == 8) {
                data.push_back(static_cast<char>(static_cast<uint8_t>(std::lround(128 + value * 127))));
            } else {
                const int64_t full = int64_t{1} << (spec.bits - 1);
                const auto scaled = static_cast<int64_t>(std::llround(value * static_cast<double>(full - 1)));
                for (int byte = 0; byte < spec.bits / 8; ++byte)
                    data.push_back(static_cast<char>((scaled >> (8 * byte)) & 0xFF));
            }
        }
    }
    const uint16_t block = static_cast<uint16_t>(spec.channels * spec.bits / 8);
    std::string fmt;
    put_u16(fmt, spec.extensible ? 0xFFFE : spec.tag);
    put_u16(fmt, spec.channels);
    put_u32(fmt, spec.rate);
    put_u32(fmt, spec.rate * block);
    put_u16(fmt, block);
    put_u16(fmt, spec.bits);
    if (spec.extensible) {
        put_u16(fmt, 22);
        put_u16(fmt, spec.bits);
        put_u32(fmt, spec.channels == 2 ? 3 : 4);
        put_u16(fmt, spec.tag);
        fmt += std::string("\x00\x00\x00\x00\x10\x00\x80\x00\x00\xAA\x00\x38\x9B\x71", 14);
    }
    std::string wav = "RIFF";
    put_u32(wav, static_cast<uint32_t>(4 + 8 + fmt.size() + 8 + data.size()));
    wav += "WAVEfmt ";
    put_u32(wav, static_cast<uint32_t>(fmt.size()));
    wav += fmt;
    wav += "data";
    put_u32(wav, static_cast<uint32_t>(data.size()));
    wav += data;
    return wav;
}

// The tone's frequency, from its rising zero crossings over the middle of the clip.
double frequency_of(const AudioClip& clip) {
    const size_t begin = clip.samples.size() / 10;
    const size_t end = clip.samples.size() - begin;
    size_t crossings = 0, first = 0, last = 0;
    for (size_t i = begin + 1; i < end; ++i) {
        if (clip.samples[i - 1] < 0 && clip.samples[i] >= 0) {
            if (crossings++ == 0)
                first = i;
            last = i;
        }
    }
    return crossings < 2 ? 0 : static_cast<double>(crossings - 1) * k_sample_rate / static_cast<double>(last - first);
}

int peak_of(const AudioClip& clip) {
    int peak = 0;
    for (Sample s : clip.samples)
        peak = std::max(peak, std::abs(static_cast<int>(s)));
    return peak;
}

fs::path write_file(const fs::path& dir, const std::string& name, const std::string& bytes) {
    std::ofstream(dir / name, std::ios::binary) << bytes;
    return dir / name;
}

std::string error_of(const fs::path& path) {
    auto clip = read_wav(path);
    EXPECT_FALSE(clip) << path << " was read as a recording";
    return clip ? std::string() : clip.error().message;
}

}  // namespace

TEST(VoiceWav, ReadsEveryEncodingAsThePipelinesFormat) {
    const fs::path dir = test::unique_temp_dir("voice-wav");
    const std::vector<std::pair<std::string, WavSpec>> encodings = {
        {"pcm8", {1, 1, 16000, 8, false}},          {"pcm16", {1, 1, 16000, 16, false}},
        {"pcm24", {1, 1, 16000, 24, false}},        {"pcm32", {1, 1, 16000, 32, false}},
        {"float32", {3, 1, 16000, 32, false}},      {"float64", {3, 1, 16000, 64, false}},
        {"ext-pcm16-stereo", {1, 2, 16000, 16, true}}, {"ext-float32-6ch", {3, 6, 16000, 32, true}},
        {"pcm16-48k-stereo", {1, 2, 48000, 16, false}}, {"pcm24-44k1-stereo", {1, 2, 44100, 24, false}},
        {"pcm16-8k", {1, 1, 8000, 16, false}},      {"float32-22k05-3ch", {3, 3, 22050, 32, false}},
    };
    for (const auto& [name, spec] : encodings) {
        SCOPED_TRACE(name);
        const fs::path path = write_file(dir, name + ".wav", sine_wav(spec, 440, 1.0, 0.5));
        auto clip = read_wav(path);
        ASSERT_TRUE(clip) << clip.error().message;
        EXPECT_NEAR(static_cast<double>(clip->samples.size()), k_sample_rate, 2.0);
        EXPECT_NEAR(frequency_of(*clip), 440, 2.0);
        // Half of full scale; 8-bit and the resampler's ripple move it a little.
        EXPECT_NEAR(peak_of(*clip), 16384, 400);
    }
}

TEST(VoiceWav, ReadsWhatSoxWrites) {
    const fs::path dir = test::unique_temp_dir("voice-wav-sox");
    for (const std::vector<std::string>& format : {std::vector<std::string>{"-r", "44100", "-c", "2", "-b", "24"},
                                                   {"-r", "48000", "-c", "2", "-e", "floating-point", "-b", "32"},
                                                   {"-r", "11025", "-c", "1", "-e", "unsigned", "-b", "8"}}) {
        std::vector<std::string> args = {test::program_path("sox"), "-n"};
        args.insert(args.end(), format.begin(), format.end());
        args.insert(args.end(), {(dir / "tone.wav").string(), "synth", "0.5", "sine", "440", "vol", "0.5"});
        ASSERT_EQ(test::run_process(args).exit_code, 0);
        auto clip = read_wav(dir / "tone.wav");
        ASSERT_TRUE(clip) << clip.error().message;
        EXPECT_NEAR(static_cast<double>(clip->samples.size()), 8000, 2.0);
        EXPECT_NEAR(frequency_of(*clip), 440, 2.0);
    }
}

TEST(VoiceWav, ClipsInsteadOfWrapping) {
    const fs::path dir = test::unique_temp_dir("voice-wav-clip");
    // A float file at twice full scale: clipped to the rails, never wrapped to the other sign.
    auto clip = read_wav(write_file(dir, "loud.wav", sine_wav({3, 1, 16000, 32, false}, 100, 0.5, 2.0)));
    ASSERT_TRUE(clip) << clip.error().message;
    EXPECT_EQ(*std::max_element(clip->samples.begin(), clip->samples.end()), 32767);
    EXPECT_EQ(*std::min_element(clip->samples.begin(), clip->samples.end()), -32768);
    EXPECT_NEAR(frequency_of(*clip), 100, 1.0);
}

TEST(VoiceWav, WritesAtomicallyAndReadsBackTheSameSamples) {
    const fs::path dir = test::unique_temp_dir("voice-wav-write");
    AudioClip clip;
    for (int i = 0; i < 3200; ++i)
        clip.samples.push_back(static_cast<Sample>((i * 37) % 65536 - 32768));
    ASSERT_TRUE(write_wav(dir / "out.wav", clip));
    auto back = read_wav(dir / "out.wav");
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->samples, clip.samples);
    // Overwriting replaces the file whole, and leaves no partial file beside it.
    ASSERT_TRUE(write_wav(dir / "out.wav", AudioClip{}));
    auto empty = read_wav(dir / "out.wav");
    ASSERT_TRUE(empty) << empty.error().message;
    EXPECT_TRUE(empty->samples.empty());
    EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);

    auto nowhere = write_wav(dir / "missing-folder" / "out.wav", clip);
    ASSERT_FALSE(nowhere);
    EXPECT_NE(nowhere.error().message.find("missing-folder/out.wav: cannot be written"), std::string::npos)
        << nowhere.error().message;
}

TEST(VoiceWav, RefusesWhatIsNotAWavNamingTheFile) {
    const fs::path dir = test::unique_temp_dir("voice-wav-not");
    const fs::path text = write_file(dir, "notes.wav", "these are notes, not a recording\n");
    EXPECT_EQ(error_of(text), text.string() + ": not a WAV file (no RIFF/WAVE header)");
    const fs::path empty = write_file(dir, "empty.wav", "");
    EXPECT_EQ(error_of(empty), empty.string() + ": not a WAV file (no RIFF/WAVE header)");

    EXPECT_EQ(error_of("/dev/zero"), "/dev/zero: is a device, not a regular file; the recording must be a file");
    EXPECT_EQ(error_of(dir), dir.string() + ": is a folder, not a regular file; the recording must be a file");
    ASSERT_EQ(::mkfifo((dir / "fifo.wav").c_str(), 0600), 0);
    EXPECT_NE(error_of(dir / "fifo.wav").find("is a FIFO"), std::string::npos);  // and no hang
    auto missing = read_wav(dir / "absent.wav");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().kind, ErrorKind::NotFound);
}

TEST(VoiceWav, RefusesDamagedFiles) {
    const fs::path dir = test::unique_temp_dir("voice-wav-damaged");
    const std::string good = sine_wav({}, 440, 0.1);
    auto expect_refused = [&](const std::string& name, const std::string& bytes, const std::string& says) {
        const fs::path path = write_file(dir, name, bytes);
        const std::string message = error_of(path);
        EXPECT_EQ(message.rfind(path.string() + ": ", 0), 0u) << message;
        EXPECT_NE(message.find(says), std::string::npos) << name << ": " << message;
    };
    // Truncated: the header promises more than the file has.
    expect_refused("truncated.wav", good.substr(0, good.size() - 100), "truncated");
    expect_refused("header-only.wav", good.substr(0, 30), "truncated");
    // A data chunk that claims more than the RIFF chunk holds.
    std::string lying = good;
    lying.replace(40, 4, std::string("\xFF\xFF\xFF\x7F", 4));
    expect_refused("lying-data.wav", lying, "\"data\" chunk claims 2147483647 bytes");
    std::string lying_riff = good;
    lying_riff.replace(4, 4, std::string("\xFF\xFF\xFF\xFF", 4));
    expect_refused("lying-riff.wav", lying_riff, "its header claims");
    std::string no_channels = good;
    no_channels.replace(22, 2, std::string("\0\0", 2));
    expect_refused("no-channels.wav", no_channels, "no channels");
    std::string many_channels = good;
    many_channels.replace(22, 2, std::string("\xFF\xFF", 2));
    expect_refused("many-channels.wav", many_channels, "65535 channels");
    std::string zero_rate = good;
    zero_rate.replace(24, 4, std::string("\0\0\0\0", 4));
    expect_refused("zero-rate.wav", zero_rate, "a sample rate of 0 Hz");
    std::string bad_block = good;
    bad_block.replace(32, 2, std::string("\x07\0", 2));
    expect_refused("bad-block.wav", bad_block, "a block of 7 bytes");
    std::string odd_bits = good;
    odd_bits.replace(34, 2, std::string("\x0C\0", 2));
    expect_refused("12-bit.wav", odd_bits, "unsupported WAV encoding (12-bit PCM)");
    std::string adpcm = good;
    adpcm.replace(20, 2, std::string("\x02\0", 2));
    expect_refused("adpcm.wav", adpcm, "unsupported WAV encoding (Microsoft ADPCM)");
    // Half a frame at the end of the data.
    std::string half_frame = good.substr(0, good.size() - 1);
    half_frame.replace(40, 4, [&] {
        std::string size;
        put_u32(size, static_cast<uint32_t>(half_frame.size() - 44));
        return size;
    }());
    half_frame.replace(4, 4, [&] {
        std::string size;
        put_u32(size, static_cast<uint32_t>(half_frame.size() - 8));
        return size;
    }());
    expect_refused("half-frame.wav", half_frame, "not whole frames");
    // EXTENSIBLE with a subformat GUID that is not one of the standard ones.
    std::string odd_guid = sine_wav({1, 2, 16000, 16, true}, 440, 0.1);
    odd_guid[20 + 24 + 10] = 0x55;
    expect_refused("odd-guid.wav", odd_guid, "unknown extensible subformat");
    std::string short_extension = sine_wav({1, 2, 16000, 16, true}, 440, 0.1);
    short_extension.replace(16, 4, std::string("\x12\0\0\0", 4));  // fmt chunk of 18 bytes
    expect_refused("short-extension.wav", short_extension, "");
    // No data at all.
    expect_refused("no-data.wav", good.substr(0, 36).replace(4, 4, std::string("\x1C\0\0\0", 4)), "no data chunk");
    expect_refused("rf64.wav", "RF64" + good.substr(4), "unsupported WAV variant (RF64)");
}

TEST(VoiceWav, SkipsUnknownChunksAndTheirPadding) {
    const fs::path dir = test::unique_temp_dir("voice-wav-chunks");
    const std::string plain = sine_wav({}, 440, 0.2);
    // A LIST chunk of odd size (padded to even) between the format and the data.
    std::string with_list = plain.substr(0, 36) + "LIST" + std::string("\x03\0\0\0", 4) + "abc" + std::string(1, '\0') +
                            plain.substr(36);
    with_list.replace(4, 4, [&] {
        std::string size;
        put_u32(size, static_cast<uint32_t>(with_list.size() - 8));
        return size;
    }());
    auto clip = read_wav(write_file(dir, "list.wav", with_list));
    ASSERT_TRUE(clip) << clip.error().message;
    auto reference = read_wav(write_file(dir, "plain.wav", plain));
    ASSERT_TRUE(reference);
    EXPECT_EQ(clip->samples, reference->samples);
}
