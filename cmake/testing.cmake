# What every test program built on SPDK's app framework is given, on either
# provider: SPDK itself refuses to run without hugepages unless it is told how much
# memory to take (-s), and CI machines have no hugepages; tests run in parallel on
# the same core, which SPDK's core lock files would refuse, and would share SPDK's
# one default RPC socket.
set(SPDKCPP_TEST_APP_ARGS --no-huge -s 512 --disable-cpumask-locks --no-rpc-server)

# spdkcpp_expect_run(name RC code MATCH regex COMMAND cmd... [LABELS l...]): a test
# that a command exits with `code` and prints something matching `regex`.
function(spdkcpp_expect_run name)
    cmake_parse_arguments(arg "" "RC;MATCH" "COMMAND;LABELS" ${ARGN})
    add_test(NAME ${name} COMMAND ${CMAKE_COMMAND} "-DCMD=${arg_COMMAND}" -DRC=${arg_RC}
        "-DMATCH=${arg_MATCH}" -P ${PROJECT_SOURCE_DIR}/tests/expect_run.cmake)
    if(arg_LABELS)
        set_tests_properties(${name} PROPERTIES LABELS "${arg_LABELS}")
    endif()
endfunction()
