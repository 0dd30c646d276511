# Included by tests/CMakeLists.txt with ${target} = cohort_lock_tests.
# docs/locks.md quotes examples/lock_tutorial.cpp (built and run as
# example.lock_tutorial): every code block must appear in it verbatim.
set(cohort_root "${CMAKE_CURRENT_LIST_DIR}/../..")
add_test(NAME lock.tutorial_sync
  COMMAND ${CMAKE_COMMAND} -DDOC=${cohort_root}/docs/locks.md -DEXAMPLE=${cohort_root}/examples/lock_tutorial.cpp
          -DMIN_BLOCKS=4 -P ${cohort_root}/tests/build/tutorial_sync.cmake)
