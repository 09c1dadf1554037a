# Tests of the embedded runtime's io_uring bdev module, doing real I/O to temporary
# files (included by tests/runtime/CMakeLists.txt; paths are relative to tests/runtime).
# They call the JSON-RPC methods directly through the runtime's internal interface.
find_package(nlohmann_json 3 REQUIRED)
spdkcpp_test(runtime_uring_tests LABELS runtime bdev
    SOURCES ../support/env_environment.cpp uring_test.cpp
    LIBS nlohmann_json::nlohmann_json)
target_include_directories(runtime_uring_tests PRIVATE ${PROJECT_SOURCE_DIR}/runtime/src)

# gtest_discover_tests keeps only the first of several LABELS: give every discovered
# test all of them, from a script ctest reads after the discovered list.
set(uring_labels_script ${CMAKE_CURRENT_BINARY_DIR}/runtime_uring_tests_labels.cmake)
file(WRITE ${uring_labels_script}
    "foreach(t IN LISTS runtime_uring_tests_TESTS)\n"
    "    set_tests_properties(\"\${t}\" PROPERTIES LABELS \"runtime;bdev;uring\")\n"
    "endforeach()\n")
set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${uring_labels_script})

# A plain C program written against SPDK's API that uses a uring bdev.
spdkcpp_c_test(c_uring_test c/uring_test.c)
set_tests_properties(c_uring_test PROPERTIES LABELS "runtime;c-api;bdev;uring")
