#include <gtest/gtest.h>

#include <string>

#include "core/media/g711.hpp"
#include "core/media/wav.hpp"

namespace callsight::media {
namespace {

TEST(MediaG711, DecodesTheEndsAndTheMiddleOfBothLaws) {
  EXPECT_EQ(decode_ulaw(0xff), 0);
  EXPECT_EQ(decode_ulaw(0x7f), 0);
  EXPECT_EQ(decode_ulaw(0x80), 32124);
  EXPECT_EQ(decode_ulaw(0x00), -32124);
  EXPECT_EQ(decode_alaw(0xd5), 8);
  EXPECT_EQ(decode_alaw(0x55), -8);
  EXPECT_EQ(decode_alaw(0xaa), 32256);
  EXPECT_EQ(decode_alaw(0x2a), -32256);
}

TEST(MediaG711, EveryCodeHasItsMirrorImage) {
  for (int code = 0; code < 128; ++code) {
    EXPECT_EQ(decode_ulaw(static_cast<std::uint8_t>(code)),
              -decode_ulaw(static_cast<std::uint8_t>(code | 0x80)));
    EXPECT_EQ(decode_alaw(static_cast<std::uint8_t>(code)),
              -decode_alaw(static_cast<std::uint8_t>(code | 0x80)));
  }
}

TEST(MediaWav, WritesA44ByteHeaderAndLittleEndianSamples) {
  const std::int16_t samples[] = {1, -2, 0x1234, -32768};
  const auto wav = wav_file(samples, 2, 8000);
  ASSERT_EQ(wav.size(), 44u + 8u);
  EXPECT_EQ(wav.substr(0, 4), "RIFF");
  EXPECT_EQ(wav.substr(8, 8), "WAVEfmt ");
  EXPECT_EQ(wav.substr(36, 4), "data");
  const auto u32 = [&](std::size_t at) {
    return static_cast<std::uint32_t>(static_cast<std::uint8_t>(wav[at])) |
           static_cast<std::uint32_t>(static_cast<std::uint8_t>(wav[at + 1])) << 8 |
           static_cast<std::uint32_t>(static_cast<std::uint8_t>(wav[at + 2])) << 16 |
           static_cast<std::uint32_t>(static_cast<std::uint8_t>(wav[at + 3])) << 24;
  };
  EXPECT_EQ(u32(4), 44u + 8u - 8u);
  EXPECT_EQ(u32(24), 8000u);   // sample rate
  EXPECT_EQ(u32(28), 32000u);  // bytes per second
  EXPECT_EQ(u32(40), 8u);      // data bytes
  EXPECT_EQ(wav[22], 2);       // channels
  EXPECT_EQ(wav[32], 4);       // block align
  EXPECT_EQ(wav[34], 16);      // bits
  EXPECT_EQ(wav.substr(44, 4), std::string("\x01\x00\xfe\xff", 4));
  EXPECT_EQ(wav.substr(48, 4), std::string("\x34\x12\x00\x80", 4));
}

}  // namespace
}  // namespace callsight::media
