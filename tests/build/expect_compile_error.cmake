# Compiles SOURCE (which must fail) and checks the diagnostic against the
# regular expression on its `// expect: <regex>` line.
file(STRINGS "${SOURCE}" expect_lines REGEX "^// expect: ")
if(NOT expect_lines)
  message(FATAL_ERROR "${SOURCE} has no '// expect: <regex>' line")
endif()
execute_process(
  COMMAND "${CXX}" -std=c++20 -fsyntax-only -I "${INCLUDES}" "${SOURCE}"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled, but it must be rejected")
endif()
foreach(line IN LISTS expect_lines)
  string(REGEX REPLACE "^// expect: " "" regex "${line}")
  if(NOT err MATCHES "${regex}")
    message(FATAL_ERROR "${SOURCE} was rejected, but without a diagnostic matching '${regex}':\n${err}")
  endif()
endforeach()
message(STATUS "rejected as expected")
