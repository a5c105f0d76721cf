# expect_error.cmake - runs a program that must reject what it is given, and
# checks how: exit code 1 (not 0, not a crash), the text with the mistake
# followed by a caret line marking the place, and the message.
#
#   cmake -DPROGRAM=<path> -DARG0=<arg> -DARG1=<arg> ... -DSOURCE=<text>
#         -DCARET=<caret line> -DMESSAGE=<part of the message> -P expect_error.cmake
#
# SOURCE, CARET and MESSAGE are literal text, not regular expressions. The
# program prints the source and the caret line indented by two spaces.
set(args)
foreach(i RANGE 0 15)
  if(DEFINED ARG${i})
    list(APPEND args "${ARG${i}}")
  endif()
endforeach()
execute_process(COMMAND "${PROGRAM}" ${args} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                ERROR_VARIABLE err)
message("${err}")
if(NOT rc STREQUAL "1")
  message(FATAL_ERROR "expected exit code 1, got '${rc}'")
endif()
string(FIND "${err}" "  ${SOURCE}\n  ${CARET}\n" at)
if(at EQUAL -1)
  message(FATAL_ERROR "expected the caret line\n  ${SOURCE}\n  ${CARET}\n")
endif()
string(FIND "${err}" "${MESSAGE}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "expected the message '${MESSAGE}'")
endif()
