# cmake -P script: install, then build and run a C and a C++ consumer.
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

function(run)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
    endif()
    set(last_output "${out}" PARENT_SCOPE)
endfunction()

run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})

# C: cc -std=gnu11 $(pkg-config --cflags --libs spdkcpp-embedded)
set(ENV{PKG_CONFIG_PATH} ${prefix}/lib/pkgconfig)
run(pkg-config --cflags --libs spdkcpp-embedded)
string(STRIP "${last_output}" pc_flags)
separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
separate_arguments(extra UNIX_COMMAND "${EXTRA_FLAGS}")
run(${C_COMPILER} -std=gnu11 ${extra} ${SOURCE_DIR}/consumer.c ${pc_flags}
    -o ${WORK_DIR}/consumer_c)
set(ENV{LD_LIBRARY_PATH} ${prefix}/lib)
run(${WORK_DIR}/consumer_c)

# C++: find_package(spdkcpp)
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/consumer_cpp -B ${WORK_DIR}/cpp -G Ninja
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
    "-DCMAKE_CXX_FLAGS=${EXTRA_FLAGS}")
run(${CMAKE_COMMAND} --build ${WORK_DIR}/cpp)
run(${WORK_DIR}/cpp/consumer_cpp)
message(STATUS "installed spdkcpp consumed through pkg-config and find_package")
