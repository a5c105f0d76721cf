// threads_test.cpp - tapes and threads: each thread's stack of tapes, tapes
// handed from one thread to another, tags that never collide between
// threads or over a process's life. Every test here that starts threads
// runs under ThreadSanitizer in CI (the tsan preset).
#include <doctest/doctest.h>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <slope/slope.hpp>

#include "error_of.hpp"

using slope::Tape;
using slope::Var;

using slope_test::error_of;

namespace {
/// Runs f in a child process (fork) and returns its exit status and what it
/// wrote to stderr: for misuse that terminates the program.
template <class F>
std::pair<int, std::string> in_child(F&& f) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  std::fflush(nullptr);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    dup2(fds[1], 2);
    std::signal(SIGABRT, SIG_DFL);  // not doctest's handler: the parent looks at the signal
    f();
    _exit(0);
  }
  close(fds[1]);
  std::string err;
  char buf[512];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) err.append(buf, std::size_t(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return {status, err};
}
}  // namespace

TEST_CASE("a Var of a finished thread's tape is rejected by a later thread's tape") {
  // Threads one after the other reuse thread-local storage: tags must still
  // differ, so the second tape cannot take the first one's Var for its own.
  Var leaked;
  std::uint64_t first_tag = 0, second_tag = 0;
  std::string error;
  std::thread([&] {
    Tape tape;
    Var x = 2.0;
    leaked = x * x * x;
    first_tag = tape.epoch();
  }).join();
  std::thread([&] {
    Tape tape;
    Var x = 2.0;  // the same index as the first thread's x
    second_tag = tape.epoch();
    error = error_of([&] { (void)slope::derivatives(leaked * x, slope::wrt(x)); });
  }).join();
  CHECK(first_tag != second_tag);
  CHECK(error.find("does not belong to the active tape") != std::string::npos);
}

TEST_CASE("tags are unique across threads and recordings") {
  constexpr int threads = 8, tapes = 50, resets = 100;
  std::mutex mutex;
  std::set<std::uint64_t> seen;
  std::size_t count = 0;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      std::vector<std::uint64_t> mine;
      for (int k = 0; k < tapes; ++k) {
        Tape tape;
        for (int r = 0; r < resets; ++r) {
          mine.push_back(tape.epoch());
          tape.reset();
        }
      }
      const std::lock_guard lock(mutex);
      seen.insert(mine.begin(), mine.end());
      count += mine.size();
    });
  for (std::thread& t : pool) t.join();
  CHECK(seen.size() == count);
  CHECK(count == std::size_t(threads) * tapes * resets);
  CHECK(seen.count(0) == 0);
  CHECK(*seen.rbegin() < slope::detail::epoch_limit);
}

TEST_CASE("the tag counter throws at its end instead of wrapping around") {
  // 2^63 tags last 292 years at one reset per nanosecond; the test sets the
  // counter two blocks before the end.
  using slope::detail::epoch_block;
  using slope::detail::epoch_limit;
  const std::uint64_t saved = slope::detail::set_epoch_counter(epoch_limit - 2 * epoch_block);
  std::size_t resets = 0;
  std::string error;
  {
    Tape tape;
    Var x = 1.0;
    Var y = x * 3.0;
    CHECK(tape.epoch() == epoch_limit - 2 * epoch_block);
    try {
      for (;;) {
        tape.reset();
        ++resets;
      }
    } catch (const slope::tape_error& e) {
      error = e.what();
    }
    CHECK(tape.epoch() == epoch_limit - 1);  // the last tag; the failed reset changed nothing
    CHECK_THROWS_AS((void)slope::derivatives(y, slope::wrt(x)), slope::tape_error);  // stale
    CHECK_THROWS_AS(Tape(), slope::tape_error);
  }
  CHECK(resets == 2 * epoch_block - 1);
  CHECK(error.find("used all") != std::string::npos);
  slope::detail::set_epoch_counter(saved);  // fresh tags again for the other tests
  Tape tape;
  CHECK(tape.epoch() >= saved);
  CHECK(tape.epoch() < epoch_limit - 2 * epoch_block);
}

TEST_CASE("a tape handed to another thread: deactivate where it was made, activate there") {
  Tape outer;
  auto handed = std::make_unique<Tape<>>();
  CHECK(Tape<>::active() == handed.get());
  handed->deactivate();
  CHECK(Tape<>::active() == &outer);
  double derivative = 0;
  std::thread([&] {
    CHECK(Tape<>::active() == nullptr);
    handed->activate();
    Var x = 3.0;
    derivative = slope::derivatives(x * x, slope::wrt(x))[0];
    handed->deactivate();
  }).join();
  CHECK(derivative == 6.0);
  CHECK(Tape<>::active() == &outer);
  handed.reset();  // destroyed on this thread, on no thread's stack
  CHECK(Tape<>::active() == &outer);
  Var y = 2.0;  // the outer tape records as before
  CHECK(slope::derivatives(y * y, slope::wrt(y))[0] == 4.0);
}

TEST_CASE("activate and deactivate on another thread than the tape's throw, and change nothing") {
  Tape outer;
  Tape inner;
  std::string activate_error, deactivate_error;
  std::thread([&] {
    activate_error = error_of([&] { inner.activate(); });
    deactivate_error = error_of([&] { inner.deactivate(); });
    CHECK(Tape<>::active() == nullptr);
  }).join();
  CHECK(activate_error.find("Tape::activate on a thread other than") != std::string::npos);
  CHECK(deactivate_error.find("Tape::deactivate on a thread other than") != std::string::npos);
  CHECK(Tape<>::active() == &inner);
  inner.deactivate();
  CHECK(Tape<>::active() == &outer);
}

TEST_CASE("a tape still active on a thread that ended can be destroyed elsewhere") {
  Tape outer;
  Tape<>* left = nullptr;
  std::thread([&] {
    left = new Tape;  // active on the worker when the worker ends
    Var x = 1.0;
    (void)x;
  }).join();
  CHECK(Tape<>::active() == &outer);
  delete left;  // taken off the worker's stack when it ended: nothing dangles
  CHECK(Tape<>::active() == &outer);
  Var y = 2.0;
  CHECK(slope::derivatives(y * y, slope::wrt(y))[0] == 4.0);
}

TEST_CASE("destroying a tape on another thread while it is active on a live one terminates") {
  auto [status, err] = in_child([] {
    auto* tape = new Tape;
    std::thread([&] { delete tape; }).join();
    Var y = 2.0;  // not reached: would be a use after free
    std::fprintf(stderr, "recorded %g\n", y.value());
  });
  CHECK(WIFSIGNALED(status));
  if (WIFSIGNALED(status)) CHECK(WTERMSIG(status) == SIGABRT);
  CHECK(err.find("destroyed on a thread other than the one on which it is active") !=
        std::string::npos);
  CHECK(err.find("recorded") == std::string::npos);
}
