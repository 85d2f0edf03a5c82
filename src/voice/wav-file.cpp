#include "voice/wav-file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "core/file-read.h"
#include "voice/resampler.h"

namespace os1::voice {

namespace fs = std::filesystem;

namespace {

constexpr uint16_t k_format_pcm = 1;
constexpr uint16_t k_format_float = 3;
constexpr uint16_t k_format_extensible = 0xFFFE;
// The tail shared by every KSDATAFORMAT_SUBTYPE GUID; its first two bytes are the format tag.
constexpr std::array<uint8_t, 14> k_subtype_tail = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
                                                    0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};
constexpr uint32_t k_max_channels = 64;
constexpr uint32_t k_max_rate = 768000;
// Frames converted at a time: the file's samples are never all held as floats at once.
constexpr size_t k_chunk_frames = 65536;

uint16_t read_u16(std::string_view bytes, size_t at) {
    return static_cast<uint16_t>(static_cast<uint8_t>(bytes[at]) | static_cast<uint8_t>(bytes[at + 1]) << 8);
}

uint32_t read_u32(std::string_view bytes, size_t at) {
    return static_cast<uint32_t>(read_u16(bytes, at)) | static_cast<uint32_t>(read_u16(bytes, at + 2)) << 16;
}

struct Format {
    uint16_t tag = 0;  // k_format_pcm or k_format_float, after unwrapping EXTENSIBLE
    uint32_t channels = 0;
    uint32_t rate = 0;
    uint32_t bits = 0;
    uint32_t block_align = 0;
};

std::string format_name(uint16_t tag) {
    switch (tag) {
        case 2:
            return "Microsoft ADPCM";
        case 6:
            return "A-law";
        case 7:
            return "mu-law";
        case 0x11:
            return "IMA ADPCM";
        case 0x55:
            return "MP3";
        default:
            return "format " + std::to_string(tag);
    }
}

ErrorOr<Format> parse_format(std::string_view chunk, const std::string& where) {
    if (chunk.size() < 16)
        return make_error(ErrorKind::InvalidInput,
                          where + "damaged WAV: its format chunk is " + std::to_string(chunk.size()) + " bytes, under 16");
    Format format;
    format.tag = read_u16(chunk, 0);
    format.channels = read_u16(chunk, 2);
    format.rate = read_u32(chunk, 4);
    format.block_align = read_u16(chunk, 12);
    format.bits = read_u16(chunk, 14);
    if (format.tag == k_format_extensible) {
        if (chunk.size() < 40 || read_u16(chunk, 16) < 22)
            return make_error(ErrorKind::InvalidInput,
                              where + "damaged WAV: WAVE_FORMAT_EXTENSIBLE without its 22 bytes of extension");
        const uint16_t valid_bits = read_u16(chunk, 18);
        const std::string_view guid = chunk.substr(24, 16);
        if (!std::equal(k_subtype_tail.begin(), k_subtype_tail.end(), guid.begin() + 2,
                        [](uint8_t a, char b) { return a == static_cast<uint8_t>(b); }))
            return make_error(ErrorKind::InvalidInput, where + "unsupported WAV encoding (an unknown extensible subformat)");
        format.tag = read_u16(guid, 0);
        // The container size decides the layout; fewer valid bits are the same samples, their
        // low bits zero, so they need nothing special.
        if (valid_bits > format.bits)
            return make_error(ErrorKind::InvalidInput, where + "damaged WAV: " + std::to_string(valid_bits) +
                                                           " valid bits in a " + std::to_string(format.bits) +
                                                           "-bit sample");
    }
    if (format.tag != k_format_pcm && format.tag != k_format_float)
        return make_error(ErrorKind::InvalidInput, where + "unsupported WAV encoding (" + format_name(format.tag) +
                                                       "); convert it to PCM, e.g. sox IN -e signed -b 16 OUT.wav");
    if (format.channels == 0)
        return make_error(ErrorKind::InvalidInput, where + "damaged WAV: it has no channels");
    if (format.channels > k_max_channels)
        return make_error(ErrorKind::InvalidInput, where + "damaged WAV: " + std::to_string(format.channels) +
                                                       " channels, over the limit of " + std::to_string(k_max_channels));
    if (format.rate == 0 || format.rate > k_max_rate)
        return make_error(ErrorKind::InvalidInput, where + "damaged WAV: a sample rate of " +
                                                       std::to_string(format.rate) + " Hz (outside 1 Hz to 768 kHz)");
    const bool pcm_bits = format.bits == 8 || format.bits == 16 || format.bits == 24 || format.bits == 32;
    const bool float_bits = format.bits == 32 || format.bits == 64;
    if ((format.tag == k_format_pcm && !pcm_bits) || (format.tag == k_format_float && !float_bits))
        return make_error(ErrorKind::InvalidInput, where + "unsupported WAV encoding (" + std::to_string(format.bits) +
                                                       "-bit " + (format.tag == k_format_pcm ? "PCM" : "float") + ")");
    if (format.block_align != format.channels * format.bits / 8)
        return make_error(ErrorKind::InvalidInput, where + "damaged WAV: a block of " +
                                                       std::to_string(format.block_align) + " bytes for " +
                                                       std::to_string(format.channels) + " channels of " +
                                                       std::to_string(format.bits) + " bits");
    return format;
}

// One sample of the data as a float in [-1, 1] (float files may exceed it; they are clipped later).
float decode_sample(const char* at, const Format& format) {
    const auto* bytes = reinterpret_cast<const uint8_t*>(at);
    if (format.tag == k_format_float) {
        if (format.bits == 32) {
            float value;
            std::memcpy(&value, bytes, sizeof value);
            return value;
        }
        double value;
        std::memcpy(&value, bytes, sizeof value);
        return static_cast<float>(value);
    }
    switch (format.bits) {
        case 8:  // unsigned, centred on 128
            return (static_cast<float>(bytes[0]) - 128.0f) / 128.0f;
        case 16:
            return static_cast<float>(static_cast<int16_t>(bytes[0] | bytes[1] << 8)) / 32768.0f;
        case 24: {
            const int32_t value = static_cast<int32_t>(static_cast<uint32_t>(bytes[0]) << 8 |
                                                       static_cast<uint32_t>(bytes[1]) << 16 |
                                                       static_cast<uint32_t>(bytes[2]) << 24) >> 8;
            return static_cast<float>(value) / 8388608.0f;
        }
        default: {
            const int32_t value = static_cast<int32_t>(static_cast<uint32_t>(bytes[0]) | static_cast<uint32_t>(bytes[1]) << 8 |
                                                       static_cast<uint32_t>(bytes[2]) << 16 |
                                                       static_cast<uint32_t>(bytes[3]) << 24);
            return static_cast<float>(static_cast<double>(value) / 2147483648.0);
        }
    }
}

ErrorOr<AudioClip> decode(std::string_view data, const Format& format) {
    auto resampler = OS1_TRY(Resampler::create(static_cast<int>(format.rate), static_cast<int>(format.channels)));
    const size_t bytes_per_sample = format.bits / 8;
    const size_t frames = data.size() / format.block_align;
    AudioClip clip;
    clip.samples.reserve(static_cast<size_t>(static_cast<double>(frames) * k_sample_rate / format.rate) + 16);
    std::vector<float> chunk;
    for (size_t first = 0; first < frames; first += k_chunk_frames) {
        const size_t count = std::min(k_chunk_frames, frames - first);
        chunk.resize(count * format.channels);
        const char* at = data.data() + first * format.block_align;
        for (float& sample : chunk) {
            sample = decode_sample(at, format);
            at += bytes_per_sample;
        }
        OS1_TRY(resampler->push(chunk, clip.samples));
    }
    OS1_TRY(resampler->flush(clip.samples));
    return clip;
}

std::string system_message(int error) {
    return std::error_code(error, std::generic_category()).message();
}

void put_u16(std::string& out, uint16_t value) {
    out.push_back(static_cast<char>(value & 0xFF));
    out.push_back(static_cast<char>(value >> 8));
}

void put_u32(std::string& out, uint32_t value) {
    put_u16(out, static_cast<uint16_t>(value & 0xFFFF));
    put_u16(out, static_cast<uint16_t>(value >> 16));
}

}  // namespace

ErrorOr<AudioClip> parse_wav(std::string_view bytes, std::string_view name) {
    const std::string where = std::string(name) + ": ";
    if (bytes.size() < 12 || bytes.substr(8, 4) != "WAVE" || (bytes.substr(0, 4) != "RIFF")) {
        if (bytes.size() >= 4 && (bytes.substr(0, 4) == "RIFX" || bytes.substr(0, 4) == "RF64"))
            return make_error(ErrorKind::InvalidInput, where + "unsupported WAV variant (" +
                                                           std::string(bytes.substr(0, 4)) + "); convert it with sox");
        return make_error(ErrorKind::InvalidInput, where + "not a WAV file (no RIFF/WAVE header)");
    }
    const uint64_t riff_size = read_u32(bytes, 4);
    if (riff_size < 4 || riff_size + 8 > bytes.size())
        return make_error(ErrorKind::InvalidInput, where + "damaged WAV: its header claims " +
                                                       std::to_string(riff_size + 8) + " bytes but the file has " +
                                                       std::to_string(bytes.size()) + " (truncated?)");
    // Whatever follows the RIFF chunk is not part of the recording.
    const std::string_view riff = bytes.substr(0, static_cast<size_t>(riff_size) + 8);

    std::optional<Format> format;
    for (size_t at = 12; at < riff.size();) {
        if (riff.size() - at < 8)
            return make_error(ErrorKind::InvalidInput, where + "damaged WAV: a truncated chunk header at byte " +
                                                           std::to_string(at));
        const std::string_view id = riff.substr(at, 4);
        const uint64_t size = read_u32(riff, at + 4);
        const size_t body = at + 8;
        if (size > riff.size() - body)
            return make_error(ErrorKind::InvalidInput, where + "damaged WAV: the \"" + std::string(id) + "\" chunk claims " +
                                                           std::to_string(size) + " bytes but only " +
                                                           std::to_string(riff.size() - body) + " follow (truncated?)");
        const std::string_view chunk = riff.substr(body, static_cast<size_t>(size));
        if (id == "fmt ") {
            if (format)
                return make_error(ErrorKind::InvalidInput, where + "damaged WAV: two format chunks");
            format = OS1_TRY(parse_format(chunk, where));
        } else if (id == "data") {
            if (!format)
                return make_error(ErrorKind::InvalidInput, where + "damaged WAV: its data comes before its format chunk");
            if (chunk.size() % format->block_align != 0)
                return make_error(ErrorKind::InvalidInput, where + "damaged WAV: " + std::to_string(chunk.size()) +
                                                               " bytes of data are not whole frames of " +
                                                               std::to_string(format->block_align) + " bytes");
            return decode(chunk, *format);
        }
        // Chunks are padded to an even size.
        at = body + static_cast<size_t>(size) + (size & 1);
    }
    return make_error(ErrorKind::InvalidInput,
                      where + (format ? "damaged WAV: no data chunk" : "damaged WAV: no format chunk"));
}

ErrorOr<AudioClip> read_wav(const fs::path& path) {
    const std::string bytes = OS1_TRY(read_file_limited(path, k_max_wav_bytes, "the recording"));
    return parse_wav(bytes, path.string());
}

ErrorOr<void> write_wav(const fs::path& path, const AudioClip& clip) {
    const std::string where = path.string() + ": ";
    const uint64_t data_bytes = clip.samples.size() * sizeof(Sample);
    if (data_bytes + 36 > UINT32_MAX)
        return make_error(ErrorKind::InvalidInput, where + "the recording is too long for a WAV file (4 GiB)");
    std::string out;
    out.reserve(static_cast<size_t>(data_bytes) + 44);
    out += "RIFF";
    put_u32(out, static_cast<uint32_t>(data_bytes + 36));
    out += "WAVEfmt ";
    put_u32(out, 16);
    put_u16(out, k_format_pcm);
    put_u16(out, 1);
    put_u32(out, k_sample_rate);
    put_u32(out, k_sample_rate * sizeof(Sample));
    put_u16(out, sizeof(Sample));
    put_u16(out, 16);
    out += "data";
    put_u32(out, static_cast<uint32_t>(data_bytes));
    for (Sample sample : clip.samples)
        put_u16(out, static_cast<uint16_t>(sample));

    const fs::path folder = path.has_parent_path() ? path.parent_path() : fs::path(".");
    std::string temporary = (folder / ("." + path.filename().string() + ".partial-XXXXXX")).string();
    const int fd = ::mkstemp(temporary.data());
    if (fd < 0) {
        const int error = errno;
        return make_error(error == EACCES || error == EROFS ? ErrorKind::PermissionDenied : ErrorKind::Internal,
                          where + "cannot be written (" + system_message(error) + ")");
    }
    auto fail = [&](int error) -> Error {
        ::close(fd);
        ::unlink(temporary.c_str());
        return make_error(error == ENOSPC ? ErrorKind::DiskFull : ErrorKind::Internal,
                          where + "cannot be written (" + system_message(error) + ")");
    };
    for (size_t written = 0; written < out.size();) {
        const ssize_t n = ::write(fd, out.data() + written, out.size() - written);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return fail(errno);
        }
        written += static_cast<size_t>(n);
    }
    // mkstemp makes the file private; a recording is readable like other files the user writes
    // (the umask is not read: changing it to look is not thread-safe).
    ::fchmod(fd, 0644);
    if (::fsync(fd) != 0)
        return fail(errno);
    if (::close(fd) != 0) {
        const int error = errno;
        ::unlink(temporary.c_str());
        return make_error(error == ENOSPC ? ErrorKind::DiskFull : ErrorKind::Internal,
                          where + "cannot be written (" + system_message(error) + ")");
    }
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
        const int error = errno;
        ::unlink(temporary.c_str());
        return make_error(where + "cannot be written (" + system_message(error) + ")");
    }
    return {};
}

}  // namespace os1::voice
