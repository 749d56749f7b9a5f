// proc.h: process measurements for the benchmarks: a /proc status field of a process, and a
// child command run to completion with its wall time, CPU time and peak RSS (from wait4()).
//
// Example:
//   double rss = ProcStatusMiB(getpid(), "VmHWM");
//   ChildRun run = RunMeasured({"/usr/bin/kubectl", "get", "configmaps"});
#pragma once

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace rmq::bench {

// A field of /proc/<pid>/status in MiB ("VmRSS", "VmHWM"); -1 if absent.
inline double ProcStatusMiB(pid_t pid, const std::string& field) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      std::istringstream fields(line.substr(field.size() + 1));
      double kib = 0;
      fields >> kib;
      return kib / 1024;
    }
  }
  return -1;
}

struct ChildRun {
  double wall_s = 0;
  double cpu_s = 0;
  double max_rss_mib = 0;
  int status = -1;  // exit code, -1 if killed
};

// Runs argv[0] (a path) with stdout and stderr discarded, waits, and measures it.
inline ChildRun RunMeasured(std::vector<std::string> argv) {
  std::vector<char*> cargv;
  cargv.reserve(argv.size() + 1);
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  std::fflush(nullptr);  // or the child's freopen flushes our buffered output a second time
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    if (freopen("/dev/null", "w", stdout) == nullptr ||
        freopen("/dev/null", "w", stderr) == nullptr) {
      _exit(126);
    }
    execv(cargv[0], cargv.data());
    _exit(127);
  }
  ChildRun run;
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  run.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.cpu_s = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
              static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  run.max_rss_mib = static_cast<double>(usage.ru_maxrss) / 1024;  // KiB on Linux
  return run;
}

}  // namespace rmq::bench
