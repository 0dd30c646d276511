# Included by tests/CMakeLists.txt with ${target} = cohort_raft_tests.
# docs/tutorial.md quotes examples/raft_tutorial.cpp (built and run as
# example.raft_tutorial): every code block must appear in it verbatim.
set(cohort_root "${CMAKE_CURRENT_LIST_DIR}/../..")
add_test(NAME raft.tutorial_sync
  COMMAND ${CMAKE_COMMAND} -DDOC=${cohort_root}/docs/tutorial.md -DEXAMPLE=${cohort_root}/examples/raft_tutorial.cpp
          -DMIN_BLOCKS=8 -P ${cohort_root}/tests/build/tutorial_sync.cmake)
