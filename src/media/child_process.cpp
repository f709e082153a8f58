#include "media/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/media/media_error.hpp"

extern char** environ;

namespace callsight::media {

namespace {

constexpr std::size_t kStderrTailBytes = 4096;

void keep_tail(std::string& tail, const char* data, std::size_t size) {
  tail.append(data, size);
  if (tail.size() > kStderrTailBytes) tail.erase(0, tail.size() - kStderrTailBytes);
}

struct Pipe {
  int read = -1;
  int write = -1;
  ~Pipe() {
    if (read >= 0) close(read);
    if (write >= 0) close(write);
  }
};

// Reads the child's standard error until it closes or the deadline passes; true when it closed.
bool drain_until(int fd, std::chrono::steady_clock::time_point deadline, std::string& tail) {
  char buffer[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd waiting{fd, POLLIN, 0};
    const int ready = poll(&waiting, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    const auto got = read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return true;
    keep_tail(tail, buffer, static_cast<std::size_t>(got));
  }
}

int wait_for(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

}  // namespace

ChildResult run_child(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  ChildResult result;
  Pipe pipe_fds;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    result.error = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  pipe_fds.read = fds[0];
  pipe_fds.write = fds[1];

  // posix_spawn rather than fork: callsightd has threads, and nothing but exec may run in a
  // forked copy of a threaded process.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds.write, 2);
  std::vector<char*> arguments;
  for (const auto& argument : argv) arguments.push_back(const_cast<char*>(argument.c_str()));
  arguments.push_back(nullptr);
  pid_t pid = 0;
  const int spawned =
      posix_spawnp(&pid, arguments[0], &actions, nullptr, arguments.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    result.error = std::strerror(spawned);
    return result;
  }
  result.started = true;
  close(pipe_fds.write);
  pipe_fds.write = -1;

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (!drain_until(pipe_fds.read, deadline, result.stderr_tail)) {
    result.timed_out = true;
    kill(pid, SIGKILL);
  }
  const int status = wait_for(pid);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

void run_child_step(const char* step, const std::vector<std::string>& argv,
                    std::chrono::milliseconds timeout) {
  const auto result = run_child(argv, timeout);
  if (result.succeeded()) return;
  // Not its standard error: that may quote what it was given (a source's name, a file), and
  // the message goes to the log (failure_kind).
  const std::string why = !result.started    ? "not started: " + result.error
                          : result.timed_out ? "timed out"
                                             : "exit code " + std::to_string(result.exit_code);
  throw MediaError(std::string(step) + " failed (" + why + ")");
}

}  // namespace callsight::media
