// resident.hpp - the process's resident memory, for the bench programs.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace pb {

/// A line "<key>: <n> kB" of /proc/self/status (VmRSS: resident now, VmHWM:
/// its high-water mark), in bytes; -1 where there is none (not Linux).
inline double status_bytes(const char* key) {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return -1;
  char line[256];
  double bytes = -1;
  const std::size_t n = std::strlen(key);
  while (std::fgets(line, sizeof line, f) != nullptr)
    if (std::strncmp(line, key, n) == 0 && line[n] == ':') bytes = std::atof(line + n + 1) * 1024;
  std::fclose(f);
  return bytes;
}

}  // namespace pb
