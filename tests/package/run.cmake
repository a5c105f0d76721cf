# run.cmake - builds and runs the consumer project in tests/package.
#   MODE=install       installs slope from SLOPE_BINARY_DIR into WORK_DIR/prefix
#                      and finds it with find_package(slope)
#   MODE=subdirectory  adds SLOPE_SOURCE_DIR with add_subdirectory
#   CXX_COMPILER, CXX_FLAGS, EXE_LINKER_FLAGS (optional): the compiler and
#                      flags slope was built with (sanitizers), passed on to
#                      the consumer project
file(REMOVE_RECURSE ${WORK_DIR})
set(consumer_source ${CMAKE_CURRENT_LIST_DIR})

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}")
  endif()
endfunction()

if(MODE STREQUAL "install")
  run(${CMAKE_COMMAND} --install ${SLOPE_BINARY_DIR} --prefix ${WORK_DIR}/prefix)
  set(configure_args -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
else()
  set(configure_args -DSLOPE_SOURCE_DIR=${SLOPE_SOURCE_DIR})
endif()

if(CXX_COMPILER)
  list(APPEND configure_args "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}")
endif()
list(APPEND configure_args "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}"
     "-DCMAKE_EXE_LINKER_FLAGS=${EXE_LINKER_FLAGS}")

run(${CMAKE_COMMAND} -S ${consumer_source} -B ${WORK_DIR}/build -DCMAKE_BUILD_TYPE=Release
    ${configure_args})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build --target consumer)
run(${WORK_DIR}/build/consumer)
