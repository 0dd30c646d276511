# Included by tests/CMakeLists.txt with ${target} = cohort_paxos_tests.
# docs/paxos.md quotes examples/paxos_tutorial.cpp (built and run as
# example.paxos_tutorial): every code block must appear in it verbatim.
set(cohort_root "${CMAKE_CURRENT_LIST_DIR}/../..")
add_test(NAME paxos.tutorial_sync
  COMMAND ${CMAKE_COMMAND} -DDOC=${cohort_root}/docs/paxos.md -DEXAMPLE=${cohort_root}/examples/paxos_tutorial.cpp
          -DMIN_BLOCKS=5 -P ${cohort_root}/tests/build/tutorial_sync.cmake)
