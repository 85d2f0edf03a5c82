// The persona upload: a character card as JSON (persona::parse_card_json) or as a PNG with a
// "chara" chunk (persona::parse_card_png), chosen by the PNG signature as load_card_file does.
// A card that parses is written back as JSON and as PNG (as saving and exporting it do), and
// what is written reads back as the same card.
//
// PNG chunks carry CRCs that random mutations almost never keep right, so the mutator repairs
// them in three mutations out of four; the fourth keeps testing the CRC check itself.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "check.h"
#include "persona/card.h"
#include "persona/png.h"

using namespace os1;

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

namespace {

bool is_png(std::string_view bytes) {
    return bytes.substr(0, persona::png::signature.size()) == persona::png::signature;
}

uint32_t read_be32(const uint8_t* at) {
    return uint32_t(at[0]) << 24 | uint32_t(at[1]) << 16 | uint32_t(at[2]) << 8 | uint32_t(at[3]);
}

// Rewrites the CRC of every whole chunk after the signature.
void repair_crcs(uint8_t* data, size_t size) {
    size_t at = persona::png::signature.size();
    while (size - at >= 12) {
        const uint32_t length = read_be32(data + at);
        if (length > size - at - 12)
            return;
        const std::string_view body(reinterpret_cast<const char*>(data + at + 4), 4 + size_t(length));
        const uint32_t crc = persona::png::crc32(body);
        uint8_t* out = data + at + 8 + length;
        out[0] = uint8_t(crc >> 24);
        out[1] = uint8_t(crc >> 16);
        out[2] = uint8_t(crc >> 8);
        out[3] = uint8_t(crc);
        at += 12 + size_t(length);
    }
}

void check_round_trip(const persona::CharacterCard& card) {
    const std::string json = persona::card_to_json(card);
    auto again = persona::parse_card_json(json, "written card");
    OS1_FUZZ_CHECK(again);
    OS1_FUZZ_CHECK(persona::card_to_json(*again) == json);
    (void)persona::card_to_json(card, 2);
}

}  // namespace

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size, unsigned int seed) {
    size = LLVMFuzzerMutate(data, size, max_size);
    if (seed % 4 != 0 && is_png(std::string_view(reinterpret_cast<const char*>(data), size)))
        repair_crcs(data, size);
    return size;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    if (!is_png(bytes)) {
        auto card = persona::parse_card_json(bytes, "the uploaded card");
        if (card.is_error()) {
            OS1_FUZZ_CHECK(!card.error().message.empty());
            return 0;
        }
        check_round_trip(*card);
        auto png = persona::card_to_png(*card);
        OS1_FUZZ_CHECK(png);
        auto from_png = persona::parse_card_png(*png, "exported card");
        OS1_FUZZ_CHECK(from_png);
        OS1_FUZZ_CHECK(persona::card_to_json(*from_png) == persona::card_to_json(*card));
        return 0;
    }
    auto card = persona::parse_card_png(bytes, "the uploaded card");
    if (card.is_error()) {
        OS1_FUZZ_CHECK(!card.error().message.empty());
        return 0;
    }
    check_round_trip(*card);
    // Exporting into the uploaded image keeps its chunks and replaces the card.
    auto png = persona::card_to_png(*card, bytes);
    OS1_FUZZ_CHECK(png);
    auto from_png = persona::parse_card_png(*png, "exported card");
    OS1_FUZZ_CHECK(from_png);
    OS1_FUZZ_CHECK(persona::card_to_json(*from_png) == persona::card_to_json(*card));
    return 0;
}
