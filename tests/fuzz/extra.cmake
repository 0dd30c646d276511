# With clang, a libFuzzer binary per target (raft, paxos): scripts/test runs
# each briefly (ctest fuzz.<target>), scripts/soak for longer (COHORT_FUZZ_SECONDS).
function(cohort_add_fuzzer name)
  set(exe cohort_${name}_fuzzer)
  add_executable(${exe} ${CMAKE_CURRENT_LIST_DIR}/${name}_fuzzer.cpp)
  target_link_libraries(${exe} PRIVATE cohort::cohort)
  target_include_directories(${exe} PRIVATE ${CMAKE_CURRENT_LIST_DIR}/..)
  target_compile_options(${exe} PRIVATE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all)
  target_link_options(${exe} PRIVATE -fsanitize=fuzzer,address,undefined)
  set(corpus ${CMAKE_CURRENT_BINARY_DIR}/${name}_fuzz_corpus)
  file(MAKE_DIRECTORY ${corpus})
  add_test(NAME fuzz.${name} COMMAND ${exe} -max_total_time=20 -seed=1 -max_len=4096 ${corpus})
endfunction()

if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  cohort_add_fuzzer(raft)
  cohort_add_fuzzer(paxos)
endif()
