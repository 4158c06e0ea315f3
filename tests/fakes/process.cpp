#include "fakes/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <thread>

namespace fakes {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> environment(const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> env;
  for (const char* name : {"PATH", "HOME"})
    if (const char* v = std::getenv(name)) env[name] = v;
  for (const auto& [k, v] : extra) env[k] = v;
  std::vector<std::string> out;
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

// fork + exec of the binary with stdin/stdout/stderr redirected to the given fds.
// Writes n's decimal digits at `at` (async-signal-safe, for the forked child).
void write_decimal(char* at, long n) {
  char digits[24];
  int len = 0;
  do digits[len++] = static_cast<char>('0' + n % 10); while ((n /= 10) > 0);
  while (len > 0) *at++ = digits[--len];
  *at = '\0';
}

pid_t spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& extra, int in, int out, int err,
            const char* program = binary(), const std::vector<ListenFd>& listen_fds = {},
            const std::vector<int>& pass_fds = {}) {
  auto with_fds = extra;
  std::string names;
  for (const auto& l : listen_fds) names += (names.empty() ? "" : ":") + l.name;
  if (!listen_fds.empty()) {
    with_fds["LISTEN_FDS"] = std::to_string(listen_fds.size());
    with_fds["LISTEN_FDNAMES"] = names;
    with_fds["LISTEN_PID"] = std::string(20, ' ');  // the child writes its pid here
  }
  auto env = environment(with_fds);
  std::vector<char*> argv{const_cast<char*>(program)}, envp;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  char* listen_pid = nullptr;
  for (auto& e : env) {
    envp.push_back(e.data());
    if (e.starts_with("LISTEN_PID=")) listen_pid = e.data() + std::strlen("LISTEN_PID=");
  }
  envp.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    // Out of the way first (a socket may already be at 3 or 4), then at 3, 4, ... without
    // close-on-exec (dup2 clears it).
    std::vector<int> moved;
    for (const auto& l : listen_fds) moved.push_back(fcntl(l.fd, F_DUPFD_CLOEXEC, 100));
    for (int fd : pass_fds) moved.push_back(fcntl(fd, F_DUPFD_CLOEXEC, 100));
    for (std::size_t i = 0; i < moved.size(); ++i) dup2(moved[i], 3 + static_cast<int>(i));
    if (listen_pid) write_decimal(listen_pid, getpid());
    execve(program, argv.data(), envp.data());
    _exit(127);
  }
  if (pid < 0) throw std::runtime_error("fork failed");
  return pid;
}

// Reads what is available from fd into buf, waiting at most `wait`. Returns false at EOF.
bool read_some(int fd, std::string& buf, std::chrono::milliseconds wait) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(wait.count())) <= 0) return true;
  char chunk[4096];
  auto n = read(fd, chunk, sizeof chunk);
  if (n <= 0) return false;
  buf.append(chunk, static_cast<std::size_t>(n));
  return true;
}

int exit_code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status); }

}  // namespace

RunResult run(const std::vector<std::string>& args, const std::map<std::string, std::string>& env, const std::string& input,
              std::chrono::milliseconds timeout) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) throw std::runtime_error("pipe failed");
  pid_t pid = spawn(args, env, in[0], out[1], err[1]);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (!input.empty()) (void)!write(in[1], input.data(), input.size());
  close(in[1]);
  RunResult r;
  auto deadline = Clock::now() + timeout;
  bool out_open = true, err_open = true;
  while ((out_open || err_open) && Clock::now() < deadline) {
    if (out_open) out_open = read_some(out[0], r.out, std::chrono::milliseconds(10));
    if (err_open) err_open = read_some(err[0], r.err, std::chrono::milliseconds(10));
  }
  if (out_open || err_open) kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  close(out[0]);
  close(err[0]);
  r.exit_code = (out_open || err_open) ? -1 : (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return r;
}

Child::Child(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
             const std::string& program, const std::vector<ListenFd>& listen_fds, const std::vector<int>& pass_fds) {
  int p[2];
  if (pipe2(p, O_CLOEXEC)) throw std::runtime_error("pipe failed");
  fcntl(p[0], F_SETPIPE_SZ, 1 << 20);  // room for what the child logs while the reader pauses
  int devnull = open("/dev/null", O_RDONLY);
  pid_ = spawn(args, env, devnull, p[1], p[1], program.c_str(), listen_fds, pass_fds);
  close(devnull);
  close(p[1]);
  fd_ = p[0];
  // Reads what has accumulated every 5 ms, like a log shipper, rather than waking for each line:
  // a serve under load logs two lines per webhook, and waking this thread for each cost serve
  // 7-19 us of CPU per webhook in the benchmark (the wake-ups), on the 2 cores it shares with
  // this process.
  reader_ = std::thread([this] {
    char chunk[65536];
    while (true) {
      auto n = read(fd_, chunk, sizeof chunk);
      {
        std::lock_guard lock(mutex_);
        if (n <= 0) {
          eof_ = true;
          grew_.notify_all();
          return;
        }
        buffer_.append(chunk, static_cast<std::size_t>(n));
        grew_.notify_all();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
}

Child::~Child() {
  if (!status_) {
    kill(pid_, SIGKILL);
    wait(std::chrono::seconds(5));
  }
  if (reader_.joinable()) reader_.join();  // EOF once the child (and its descendants) are gone
  close(fd_);
}

std::optional<std::string> Child::wait_for_line(const std::string& needle, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  std::optional<std::string> line;
  grew_.wait_for(lock, timeout, [&] {
    auto at = buffer_.find(needle);
    if (at == std::string::npos) return eof_;
    auto end = buffer_.find('\n', at);
    if (end == std::string::npos) return eof_;
    auto begin = buffer_.rfind('\n', at);
    begin = begin == std::string::npos ? 0 : begin + 1;
    line = buffer_.substr(begin, end - begin);
    return true;
  });
  return line;
}

std::string Child::output() const {
  std::lock_guard lock(mutex_);
  return buffer_;
}

void Child::signal(int sig) {
  if (!status_) kill(pid_, sig);
}

std::optional<int> Child::wait(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!status_) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      status_ = exit_code(status);
      break;
    }
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::unique_lock lock(mutex_);
  grew_.wait_for(lock, std::chrono::seconds(2), [&] { return eof_; });  // collect the last words
  return status_;
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/infinity-sms-test.XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace fakes
