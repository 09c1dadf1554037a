# Conformance tests of the embedded runtime's bdev layer, its malloc and null
# modules, the JSON writer and UUIDs (included by tests/runtime/CMakeLists.txt;
# paths are relative to tests/runtime).
spdkcpp_test(runtime_bdev_tests LABELS runtime bdev
    SOURCES ../support/env_environment.cpp bdev_test.cpp bdev_module_test.cpp bdev_timeout_test.cpp
            json_test.cpp)

# SPDK programs written in plain C: the consumer API end to end, and a bdev module
# written in C.
spdkcpp_c_test(c_bdev_test c/bdev_test.c)
spdkcpp_c_test(c_bdev_module_test c/bdev_module_test.c)
set_tests_properties(c_bdev_test c_bdev_module_test PROPERTIES LABELS "runtime;c-api;bdev")
