# Conformance tests of the embedded runtime's threads, subsystems and app framework
# (included by tests/runtime/CMakeLists.txt; paths are relative to tests/runtime).
spdkcpp_test(runtime_thread_tests LABELS "runtime;threads"
    SOURCES thread_test.cpp)

# The config tests register RPC methods through the runtime's internal interface.
find_package(nlohmann_json 3 REQUIRED)
spdkcpp_test(runtime_init_tests LABELS "runtime;threads"
    SOURCES init_test.cpp
    LIBS nlohmann_json::nlohmann_json)
target_include_directories(runtime_init_tests PRIVATE ${PROJECT_SOURCE_DIR}/runtime/src)
