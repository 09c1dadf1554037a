# Installs headers, the runtime library, a CMake package and pkg-config files.
include(CMakePackageConfigHelpers)

install(DIRECTORY include/spdkcpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
set(spdkcpp_export_targets spdkcpp spdkcpp_simulation)
if(SPDKCPP_PROVIDER STREQUAL "embedded")
    install(DIRECTORY runtime/include/spdk runtime/include/spdkcpp_embedded
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
    list(APPEND spdkcpp_export_targets spdkcpp_embedded)
else()
    list(APPEND spdkcpp_export_targets spdkcpp_spdk)
endif()

install(TARGETS ${spdkcpp_export_targets} EXPORT spdkcppTargets
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT spdkcppTargets NAMESPACE spdkcpp::
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/spdkcpp)

configure_package_config_file(cmake/spdkcppConfig.cmake.in
    ${PROJECT_BINARY_DIR}/spdkcppConfig.cmake
    INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/spdkcpp)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/spdkcppConfigVersion.cmake
    COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/spdkcppConfig.cmake
    ${PROJECT_BINARY_DIR}/spdkcppConfigVersion.cmake
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/spdkcpp)

if(SPDKCPP_PROVIDER STREQUAL "embedded")
    # The .pc files find the prefix relative to themselves, so the install can move.
    file(RELATIVE_PATH spdkcpp_pc_to_prefix ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig
        ${CMAKE_INSTALL_PREFIX})
    configure_file(cmake/spdkcpp-embedded.pc.in ${PROJECT_BINARY_DIR}/spdkcpp-embedded.pc @ONLY)
    configure_file(cmake/spdkcpp.pc.in ${PROJECT_BINARY_DIR}/spdkcpp.pc @ONLY)
    install(FILES ${PROJECT_BINARY_DIR}/spdkcpp-embedded.pc ${PROJECT_BINARY_DIR}/spdkcpp.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endif()
