# cmake -P script: runs CMD (a ;-list), and fails unless its exit code is RC and
# its output (stdout and stderr) matches the regular expression MATCH.
execute_process(COMMAND ${CMD} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(all "${out}${err}")
if(NOT rc STREQUAL "${RC}")
    message(FATAL_ERROR "exit code ${rc}, expected ${RC}\n${all}")
endif()
if(NOT all MATCHES "${MATCH}")
    message(FATAL_ERROR "output does not match '${MATCH}':\n${all}")
endif()
message(STATUS "exit code ${rc} and output as expected")
