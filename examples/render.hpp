// render.hpp - running the external programs that turn the examples' text
// output into pictures (gnuplot, Graphviz's dot), when they are installed.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include <fmt/format.h>

namespace render {

/// Parses the one option the drawing examples take, `--output DIR` (default:
/// the current directory), into `dir`. On anything else it prints the usage
/// and returns false.
inline bool parse_output(int argc, char** argv, const char* program,
                         std::filesystem::path& dir) {
  dir = ".";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--output" && i + 1 < argc) {
      dir = argv[++i];
    } else {
      fmt::print(stderr, "{0}: unknown option '{1}'\nusage: {0} [--output DIR]\n", program, arg);
      return false;
    }
  }
  return true;
}

/// `s` quoted for a POSIX shell.
inline std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

/// Whether `program` is on the PATH.
inline bool have(const std::string& program) {
  return std::system(("command -v " + shell_quote(program) + " >/dev/null 2>&1").c_str()) == 0;
}

/// Runs `command` through the shell if `program` is installed and reports
/// what it made; otherwise says how to get the picture. Never fails the
/// example: the text output is the result, the picture a view of it.
inline bool run(const std::string& program, const std::string& command,
                const std::filesystem::path& made, const std::string& package) {
  if (!have(program)) {
    fmt::print("  ({} is not installed, so {} was not drawn: `apt-get install {}`, then run\n"
               "   {})\n",
               program, made.string(), package, command);
    return false;
  }
  if (std::system(command.c_str()) != 0) {
    fmt::print("  ({} failed; the command was: {})\n", program, command);
    return false;
  }
  fmt::print("  wrote {}\n", made.string());
  return true;
}

}  // namespace render
