// One harness per file, each written once against CALLSIGHT_FUZZ_TARGET: with libFuzzer
// (CALLSIGHT_FUZZ=ON) it becomes LLVMFuzzerTestOneInput; in the normal build every harness
// registers itself with the replay binary (replay_main.cpp), which runs the checked-in
// corpus and regression inputs through all of them as a ctest test.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace callsight::fuzz {

using Target = void (*)(std::string_view input);

#ifdef CALLSIGHT_FUZZ_REPLAY
bool register_target(const char* name, Target target);
#endif

// Splits input at the first '\n': harnesses that need two untrusted values (e.g. a query and
// a body) take them from one input this way, so corpus files stay readable text.
inline std::pair<std::string_view, std::string_view> split_line(std::string_view input) {
  const auto newline = input.find('\n');
  if (newline == std::string_view::npos) return {input, {}};
  return {input.substr(0, newline), input.substr(newline + 1)};
}

}  // namespace callsight::fuzz

#ifdef CALLSIGHT_FUZZ_REPLAY
#define CALLSIGHT_FUZZ_TARGET(name)                         \
  static void fuzz_##name(std::string_view input);          \
  [[maybe_unused]] static const bool registered_##name =    \
      callsight::fuzz::register_target(#name, fuzz_##name); \
  static void fuzz_##name(std::string_view input)
#else
#define CALLSIGHT_FUZZ_TARGET(name)                                                   \
  static void fuzz_##name(std::string_view input);                                    \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) { \
    fuzz_##name(std::string_view(reinterpret_cast<const char*>(data), size));         \
    return 0;                                                                         \
  }                                                                                   \
  static void fuzz_##name(std::string_view input)
#endif
