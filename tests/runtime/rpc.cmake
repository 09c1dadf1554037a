# Conformance tests of the read side of SPDK's json library and of its JSON-RPC
# method registry (included by tests/runtime/CMakeLists.txt).
spdkcpp_test(runtime_json_read_tests LABELS runtime
    SOURCES json_read_test.cpp)

# A module written as SPDK's are (SPDK_RPC_REGISTER, spdk_json_decode_object),
# configured through spdk_subsystem_load_config.
spdkcpp_c_test(c_rpc_test c/rpc_test.c)
