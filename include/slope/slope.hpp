// slope.hpp - everything of slope's engine in one include: the tape, Var and
// its operations, the primitive table, derivatives, fmt support and the DOT
// export of a recording. The
// multiprecision checker is separate (slope/check.hpp) to keep builds quick.
#pragma once

#include "slope/derivatives.hpp"
#include "slope/error.hpp"
#include "slope/format.hpp"
#include "slope/graph.hpp"
#include "slope/primitives.hpp"
#include "slope/tape.hpp"
#include "slope/var.hpp"
