# Fails if any header under INCLUDE_DIR does I/O, reads a global clock or draws
# global randomness. The toolkit takes time, randomness and bytes from policies.
file(GLOB_RECURSE headers "${INCLUDE_DIR}/*.hpp")
set(patterns
  "#include <(iostream|fstream|cstdio|stdio\\.h|thread|future|filesystem|sys/socket\\.h|unistd\\.h|netinet/[a-z]+\\.h|random)>"
  "std::(cout|cerr|clog|printf|fprintf|puts|random_device|this_thread|fopen)"
  "(system_clock|steady_clock|high_resolution_clock)::now"
  "[^_a-z.>:]s?rand\\("
  "[^_a-z.>]time\\(nullptr\\)")
set(failures "")
foreach(header IN LISTS headers)
  file(STRINGS "${header}" lines)
  set(n 0)
  foreach(line IN LISTS lines)
    math(EXPR n "${n} + 1")
    foreach(p IN LISTS patterns)
      if(line MATCHES "${p}")
        string(APPEND failures "${header}:${n}: ${line}\n")
      endif()
    endforeach()
  endforeach()
endforeach()
list(LENGTH headers count)
if(failures)
  message(FATAL_ERROR "I/O, global clock or global randomness in headers:\n${failures}")
endif()
message(STATUS "checked ${count} headers: no I/O, global clock or global randomness")
