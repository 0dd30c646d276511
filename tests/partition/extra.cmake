# libmemcached (Debian's libmemcached-dev), when installed, lets the ketama
# tests compare assignments with the real thing; without it they use the
# recorded vectors in tests/testdata/partition/ only.
find_path(COHORT_LIBMEMCACHED_INCLUDE libmemcached/memcached.h)
find_library(COHORT_LIBMEMCACHED_LIB memcached)
if(COHORT_LIBMEMCACHED_INCLUDE AND COHORT_LIBMEMCACHED_LIB)
  target_compile_definitions(${target} PRIVATE COHORT_HAVE_LIBMEMCACHED=1)
  target_include_directories(${target} SYSTEM PRIVATE ${COHORT_LIBMEMCACHED_INCLUDE})
  target_link_libraries(${target} PRIVATE ${COHORT_LIBMEMCACHED_LIB})
endif()
