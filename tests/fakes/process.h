// Running the real infinity-sms binary from tests.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <optional>
#include <string>
#include <vector>

namespace fakes {

inline const char* binary() { return INFINITY_SMS_BIN; }

struct RunResult {
  int exit_code = -1;  // -1 when killed by a signal or timed out
  std::string out;
  std::string err;
};

// Runs infinity-sms with `args`, extra environment variables (added to a clean environment
// holding only PATH and HOME), and `input` on stdin. Killed after `timeout`.
RunResult run(const std::vector<std::string>& args,
              const std::map<std::string, std::string>& env = {}, const std::string& input = "",
              std::chrono::milliseconds timeout = std::chrono::seconds(30));

// A background infinity-sms process (e.g. serve), or another `program`. Killed (SIGKILL) on
// destruction if running.
// A listening socket handed to a child as a service manager does (LISTEN_FDS protocol).
struct ListenFd {
  int fd;
  std::string name;  // LISTEN_FDNAMES entry
};

class Child {
 public:
  // With `listen_fds`, the child gets them as descriptors 3, 4, ... with LISTEN_FDS,
  // LISTEN_FDNAMES and LISTEN_PID (its own pid) set, as systemd starts a socket-activated service.
  // `pass_fds` follow them (without any variable), e.g. the pipes of chromium's
  // --remote-debugging-pipe at 3 and 4.
  Child(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {},
        const std::string& program = binary(), const std::vector<ListenFd>& listen_fds = {},
        const std::vector<int>& pass_fds = {});
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  int pid() const { return pid_; }
  // Waits for a line of its stderr or stdout containing `needle`; returns that line.
  std::optional<std::string> wait_for_line(const std::string& needle,
                                           std::chrono::milliseconds timeout);
  std::string output() const;  // everything printed so far (stdout and stderr interleaved)
  void signal(int sig);
  // Waits for exit; returns the exit code, or -signal when killed, or nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);

 private:
  int pid_ = -1;
  int fd_ = -1;  // read end of the combined stdout+stderr pipe, drained by reader_
  mutable std::mutex mutex_;
  std::condition_variable grew_;
  std::string buffer_;
  bool eof_ = false;
  std::thread reader_;  // keeps reading so the child never blocks on a full pipe
  std::optional<int> status_;
};

// A fresh temporary directory, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace fakes
