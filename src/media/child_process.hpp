#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace callsight::media {

struct ChildResult {
  bool started = false;     // false: the program could not be run (see `error`)
  bool timed_out = false;   // killed at the deadline
  int exit_code = -1;       // when it exited; -1 when a signal ended it
  std::string stderr_tail;  // the last bytes it wrote to standard error
  std::string error;        // why it could not be started
  bool succeeded() const { return started && !timed_out && exit_code == 0; }
};

// Runs `argv` (argv[0] looked up on PATH, no shell) with standard input and output on /dev/null,
// keeping the last 4 KiB of its standard error, and kills it once `timeout` has passed.
ChildResult run_child(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

// run_child, throwing MediaError("<step> failed (<why>)") unless it succeeded: why it could not
// be started, that it timed out, or its exit code; never its standard error.
void run_child_step(const char* step, const std::vector<std::string>& argv,
                    std::chrono::milliseconds timeout);

}  // namespace callsight::media
