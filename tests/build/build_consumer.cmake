# Configures, builds and runs the consumer project in SOURCE_DIR one way (KIND).
file(REMOVE_RECURSE "${BINARY_DIR}")
execute_process(
  COMMAND "${CMAKE_COMMAND}" -S "${SOURCE_DIR}" -B "${BINARY_DIR}" -G Ninja
          -DCMAKE_CXX_COMPILER=${CXX} -DCOHORT_CONSUME=${KIND}
          -DCMAKE_PREFIX_PATH=${PREFIX} -DCOHORT_SOURCE_DIR=${COHORT_SOURCE_DIR}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configuring the ${KIND} consumer failed")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${BINARY_DIR}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "building the ${KIND} consumer failed")
endif()
execute_process(COMMAND "${BINARY_DIR}/consumer" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the ${KIND} consumer ran but failed")
endif()
