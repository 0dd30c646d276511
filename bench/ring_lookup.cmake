# libmemcached (Debian's libmemcached-dev), when installed, is measured in the
# same process and compared for identical assignments.
find_path(COHORT_BENCH_LIBMEMCACHED_INCLUDE libmemcached/memcached.h)
find_library(COHORT_BENCH_LIBMEMCACHED_LIB memcached)
if(COHORT_BENCH_LIBMEMCACHED_INCLUDE AND COHORT_BENCH_LIBMEMCACHED_LIB)
  target_compile_definitions(${target} PRIVATE COHORT_HAVE_LIBMEMCACHED=1)
  target_include_directories(${target} SYSTEM PRIVATE ${COHORT_BENCH_LIBMEMCACHED_INCLUDE})
  target_link_libraries(${target} PRIVATE ${COHORT_BENCH_LIBMEMCACHED_LIB})
endif()
