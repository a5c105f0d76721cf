// config.hpp - the one macro slope's headers share.
#pragma once

// The recording path (Tape::record, verify, the Var operators and apply) is
// small and runs for every operation: it is always inlined. GCC's heuristics
// otherwise leave some of it out of line in a large translation unit, which
// costs tens of percent on a chain of operations.
#if defined(__GNUC__) || defined(__clang__)
#define SLOPE_INLINE [[gnu::always_inline]] inline
#else
#define SLOPE_INLINE inline
#endif
