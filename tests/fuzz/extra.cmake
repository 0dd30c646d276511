# With clang, a libFuzzer binary for the Raft target; scripts/test runs it
# briefly (ctest fuzz.raft), scripts/soak for longer (COHORT_FUZZ_SECONDS).
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  add_executable(cohort_raft_fuzzer ${CMAKE_CURRENT_LIST_DIR}/raft_fuzzer.cpp)
  target_link_libraries(cohort_raft_fuzzer PRIVATE cohort::cohort)
  target_include_directories(cohort_raft_fuzzer PRIVATE ${CMAKE_CURRENT_LIST_DIR}/..)
  target_compile_options(cohort_raft_fuzzer PRIVATE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all)
  target_link_options(cohort_raft_fuzzer PRIVATE -fsanitize=fuzzer,address,undefined)
  set(corpus ${CMAKE_CURRENT_BINARY_DIR}/raft_fuzz_corpus)
  file(MAKE_DIRECTORY ${corpus})
  add_test(NAME fuzz.raft COMMAND cohort_raft_fuzzer -max_total_time=20 -seed=1 -max_len=4096 ${corpus})
endif()
