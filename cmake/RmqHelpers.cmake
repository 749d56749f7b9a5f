# Project build helpers: one library target per directory, aliased rmq::<name>, with the project's
# warning and sanitizer flags carried by the target (never directory-wide).

set(RMQ_WARNINGS -Wall -Wextra -Wpedantic -Werror)

function(rmq_apply_common_options target)
  target_compile_options(${target} PRIVATE ${RMQ_WARNINGS})
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    target_compile_options(${target} PRIVATE -Wthread-safety)
  elseif(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC 12 at -O2 flags Boost.Asio's coroutine frame allocator (awaitable_frame_base's sized
    # operator delete) as mismatched: a false positive on every awaitable, not in our code.
    target_compile_options(${target} PRIVATE -Wno-mismatched-new-delete)
  endif()
  if(RMQ_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=all)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
  if(RMQ_BUILD_FUZZERS)
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link,address,undefined
                                             -fno-omit-frame-pointer)
  endif()
endfunction()

# rmq_cc_library(NAME <name> SRCS ... [HDRS ...] DEPS ...) -> target rmq_<name>, alias rmq::<name>.
function(rmq_cc_library)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;HDRS;DEPS" ${ARGN})
  set(target rmq_${ARG_NAME})
  if(ARG_SRCS)
    add_library(${target} STATIC ${ARG_SRCS} ${ARG_HDRS})
    target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
    target_link_libraries(${target} PUBLIC ${ARG_DEPS})
    rmq_apply_common_options(${target})
  else()
    add_library(${target} INTERFACE ${ARG_HDRS})
    target_include_directories(${target} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(${target} INTERFACE ${ARG_DEPS})
  endif()
  add_library(rmq::${ARG_NAME} ALIAS ${target})
endfunction()

# rmq_cc_binary(NAME <name> SRCS ... DEPS ...)
function(rmq_cc_binary)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS})
  rmq_apply_common_options(${ARG_NAME})
endfunction()

# rmq_cc_test(NAME <name> SRCS ... DEPS ... LABEL unit|integration|e2e [DISCOVER] [TIMEOUT s])
# DISCOVER registers each gtest case as its own ctest test (fast unit tests). Without it the
# binary is one ctest test, so a suite fixture (a real broker, a control plane) starts once.
function(rmq_cc_test)
  cmake_parse_arguments(ARG "DISCOVER" "NAME;LABEL;TIMEOUT" "SRCS;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  rmq_apply_common_options(${ARG_NAME})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 600)
  endif()
  if(ARG_DISCOVER)
    gtest_discover_tests(${ARG_NAME} PROPERTIES LABELS ${ARG_LABEL} TIMEOUT ${ARG_TIMEOUT}
                         DISCOVERY_TIMEOUT 60)
  else()
    add_test(NAME ${ARG_NAME} COMMAND ${ARG_NAME})
    set_tests_properties(${ARG_NAME} PROPERTIES LABELS ${ARG_LABEL} TIMEOUT ${ARG_TIMEOUT})
  endif()
endfunction()
