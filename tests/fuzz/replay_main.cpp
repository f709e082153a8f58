// Runs every file under <root>/corpus/<target>/ and <root>/regressions/<target>/ through the
// harness of that name. A crash or sanitizer report fails the test; so does a harness without
// a corpus, or a corpus directory without a harness (a renamed target must not go quiet).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <set>
#include <string>

#include "fuzz_target.hpp"

namespace callsight::fuzz {
namespace {

std::map<std::string, Target>& targets() {
  static std::map<std::string, Target> registry;
  return registry;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs the files of one directory in name order; returns how many.
int replay_directory(const std::filesystem::path& dir, Target target) {
  if (!std::filesystem::is_directory(dir)) return 0;
  std::set<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file()) files.insert(entry.path());
  }
  for (const auto& file : files) {
    const auto input = read_file(file);
    target(input);
  }
  return static_cast<int>(files.size());
}

std::set<std::string> subdirectories(const std::filesystem::path& dir) {
  std::set<std::string> names;
  if (!std::filesystem::is_directory(dir)) return names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_directory()) names.insert(entry.path().filename().string());
  }
  return names;
}

}  // namespace

bool register_target(const char* name, Target target) {
  targets().emplace(name, target);
  return true;
}

}  // namespace callsight::fuzz

int main(int argc, char** argv) {
  using namespace callsight::fuzz;
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " <tests/fuzz directory>\n";
    return 2;
  }
  const std::filesystem::path root = argv[1];
  int failures = 0;
  for (const auto& dir : {"corpus", "regressions"}) {
    for (const auto& name : subdirectories(root / dir)) {
      if (!targets().contains(name)) {
        std::cerr << dir << "/" << name << ": no harness of that name\n";
        ++failures;
      }
    }
  }
  for (const auto& [name, target] : targets()) {
    const int seeds = replay_directory(root / "corpus" / name, target);
    const int regressions = replay_directory(root / "regressions" / name, target);
    std::cout << name << ": " << seeds << " corpus inputs, " << regressions
              << " regression inputs\n";
    if (seeds == 0) {
      std::cerr << name << ": no corpus in " << (root / "corpus" / name) << "\n";
      ++failures;
    }
  }
  return failures == 0 ? 0 : 1;
}
