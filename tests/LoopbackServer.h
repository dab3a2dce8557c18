#pragma once

// Starts a real server process for a test on a free loopback port and stops it when the test ends,
// passed or failed: the server reads its stdin and exits at EOF, and the child gets SIGKILL if
// this process dies (PR_SET_PDEATHSIG), so nothing outlives the test.

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace spotwise::test {

class LoopbackServer {
 public:
  /** Runs `argv` (argv[0] looked up on PATH); expects a line "PORT <n>" on its stdout. */
  explicit LoopbackServer(std::vector<std::string> argv) {
    int toChild[2], fromChild[2];
    if (pipe(toChild) != 0 || pipe(fromChild) != 0) return;
    const pid_t parent = getpid();
    m_pid = fork();
    if (m_pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
      dup2(toChild[0], STDIN_FILENO);
      dup2(fromChild[1], STDOUT_FILENO);
      close(toChild[1]);
      close(fromChild[0]);
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      execvp(args[0], args.data());
      _exit(127);
    }
    close(toChild[0]);
    close(fromChild[1]);
    m_stdin = toChild[1];
    FILE* out = fdopen(fromChild[0], "r");
    char line[256];
    while (out && std::fgets(line, sizeof line, out)) {
      if (std::sscanf(line, "PORT %d", &m_port) == 1) break;
    }
    m_stdout = out;
  }

  /** The fixture HTTP server (tests/lab/servers/http_fixture_server.py), optionally serving `root`. */
  static LoopbackServer httpFixture(const std::string& root = {}) {
    const char* src = std::getenv("SPOTWISE_SOURCE_DIR");
    std::vector<std::string> argv{"python3", std::string(src ? src : ".") + "/tests/lab/servers/http_fixture_server.py",
                                  "--port", "0"};
    if (!root.empty()) {
      argv.push_back("--root");
      argv.push_back(root);
    }
    return LoopbackServer(std::move(argv));
  }

  LoopbackServer(LoopbackServer&& other) noexcept
      : m_pid(other.m_pid), m_port(other.m_port), m_stdin(other.m_stdin), m_stdout(other.m_stdout) {
    other.m_pid = -1;
    other.m_stdin = -1;
    other.m_stdout = nullptr;
  }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;
  LoopbackServer& operator=(LoopbackServer&&) = delete;

  ~LoopbackServer() {
    if (m_stdin >= 0) close(m_stdin);
    if (m_pid > 0) {
      for (int i = 0; i < 50; ++i) {  // up to 5 s to exit on EOF, then kill
        if (waitpid(m_pid, nullptr, WNOHANG) == m_pid) {
          m_pid = -1;
          break;
        }
        usleep(100000);
      }
      if (m_pid > 0) {
        kill(m_pid, SIGKILL);
        waitpid(m_pid, nullptr, 0);
      }
    }
    if (m_stdout) std::fclose(m_stdout);
  }

  [[nodiscard]] bool running() const { return m_pid > 0 && m_port > 0; }
  [[nodiscard]] int port() const { return m_port; }
  [[nodiscard]] std::string url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(m_port) + path;
  }

 private:
  pid_t m_pid = -1;
  int m_port = 0;
  int m_stdin = -1;
  FILE* m_stdout = nullptr;
};

}  // namespace spotwise::test
