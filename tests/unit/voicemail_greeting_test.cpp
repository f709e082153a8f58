#include "core/voicemail_greeting.hpp"

#include <gtest/gtest.h>

#include <set>

#include "common/base64.hpp"

namespace callsight {
namespace {

TEST(GreetingAudio, RecognisesWavAndMp3ByMagicBytes) {
  EXPECT_TRUE(looks_like_audio(std::string("RIFF\x24\0\0\0WAVEfmt ", 16)));
  EXPECT_TRUE(looks_like_audio("ID3\x04"));
  EXPECT_TRUE(looks_like_audio("\xff\xfb\x90\x64"));
  EXPECT_TRUE(looks_like_audio("\xff\xe3"));
  EXPECT_FALSE(looks_like_audio("RIFF\x24\0\0\0AVI LIST"));
  EXPECT_FALSE(looks_like_audio("\xff\xd8\xff\xe0"));  // JPEG
  EXPECT_FALSE(looks_like_audio("OggS"));
  EXPECT_FALSE(looks_like_audio(""));
}

TEST(GreetingAudio, DecodesUploadsAndRepairsFormDamage) {
  const std::string wav("RIFF\x24\0\0\0WAVE\xfb\xef\xbe", 15);
  auto text = encode_base64(wav);
  ASSERT_NE(text.find('+'), std::string::npos);
  for (auto& c : text) {
    if (c == '+') c = ' ';  // what an unencoded '+' becomes in a form body
  }
  text.insert(8, "\r\n");
  const auto decoded = decode_greeting_audio(text);
  ASSERT_TRUE(std::holds_alternative<std::string>(decoded));
  EXPECT_EQ(std::get<std::string>(decoded), wav);
}

TEST(GreetingAudio, RefusesOversizedEmptyAndNonAudioUploads) {
  std::string big(kMaxGreetingAudioBytes + 1, '\0');
  big.replace(0, 3, "ID3");
  EXPECT_TRUE(std::holds_alternative<AudioError>(decode_greeting_audio(encode_base64(big))));
  big.pop_back();
  EXPECT_TRUE(std::holds_alternative<std::string>(decode_greeting_audio(encode_base64(big))));
  EXPECT_TRUE(std::holds_alternative<AudioError>(decode_greeting_audio("")));
  EXPECT_TRUE(std::holds_alternative<AudioError>(decode_greeting_audio(encode_base64("text"))));
  EXPECT_TRUE(std::holds_alternative<AudioError>(decode_greeting_audio("not base64")));
}

TEST(RecordPin, IsSixDigitsKeepingLeadingZeros) {
  EXPECT_EQ(record_pin_from_hex("0000000000000000"), "000000");
  EXPECT_EQ(record_pin_from_hex("00000000000f4240"), "000000");  // 1'000'000
  EXPECT_EQ(record_pin_from_hex("00000000000f4241"), "000001");
  EXPECT_EQ(record_pin_from_hex("ffffffffffffffff"), "551615");
}

TEST(RecordPin, FreshPinsDiffer) {
  std::set<std::string> pins;
  for (int i = 0; i < 20; ++i) {
    const auto pin = new_record_pin();
    EXPECT_EQ(pin.size(), 6u);
    EXPECT_EQ(pin.find_first_not_of("0123456789"), std::string::npos);
    pins.insert(pin);
  }
  EXPECT_GT(pins.size(), 15u);
}

}  // namespace
}  // namespace callsight
