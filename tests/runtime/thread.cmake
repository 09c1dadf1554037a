# Conformance tests of the embedded runtime's threads, subsystems and app framework
# (included by tests/runtime/CMakeLists.txt; paths are relative to tests/runtime).
spdkcpp_test(runtime_thread_tests LABELS "runtime;threads"
    SOURCES thread_test.cpp)

# The config and app tests register RPC methods through the runtime's internal
# interface (internal/rpc.hpp).
find_package(nlohmann_json 3 REQUIRED)
spdkcpp_test(runtime_init_tests LABELS "runtime;threads"
    SOURCES ../support/env_environment.cpp init_test.cpp
    LIBS nlohmann_json::nlohmann_json)
target_include_directories(runtime_init_tests PRIVATE ${PROJECT_SOURCE_DIR}/runtime/src)
spdkcpp_test(runtime_event_tests LABELS "runtime;threads"
    SOURCES event_test.cpp
    LIBS nlohmann_json::nlohmann_json)
target_include_directories(runtime_event_tests PRIVATE ${PROJECT_SOURCE_DIR}/runtime/src)

# Plain C programs, as SPDK users write them.
spdkcpp_c_test(c_thread_test c/thread_test.c)
spdkcpp_c_test(c_app_test c/app_test.c)
set_property(TEST c_thread_test c_app_test APPEND PROPERTY LABELS threads)
