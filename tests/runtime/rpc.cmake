# Conformance tests of the read side of SPDK's json library and of its JSON-RPC
# method registry (included by tests/runtime/CMakeLists.txt).
spdkcpp_test(runtime_json_read_tests LABELS runtime
    SOURCES json_read_test.cpp)

# A module written as SPDK's are (SPDK_RPC_REGISTER, spdk_json_decode_object),
# configured through spdk_subsystem_load_config.
spdkcpp_c_test(c_rpc_test c/rpc_test.c)

# The JSON-RPC server in process: answers from other threads or after their client
# or server left, close callbacks, the socket path and lock, spdk_rpc_initialize.
spdkcpp_test(runtime_rpc_server_tests LABELS runtime rpc
    SOURCES rpc_server_test.cpp)
