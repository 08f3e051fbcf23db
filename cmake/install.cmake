# Install rules: the daemon and tools, and the SDK as a CMake package (find_package(megane))
# plus pkg-config. Only megane::proto and megane::sdk are exported.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set_target_properties(megane_proto PROPERTIES EXPORT_NAME proto)
set_target_properties(megane_sdk PROPERTIES EXPORT_NAME sdk)

# A sanitized SDK (MEGANE_SANITIZE) calls into the sanitizer runtimes: whoever links it needs
# them too, through the CMake package and pkg-config alike.
set(MEGANE_PC_SANITIZE "")
if(MEGANE_SANITIZE)
  target_link_options(megane_proto INTERFACE $<INSTALL_INTERFACE:-fsanitize=address,undefined>)
  set(MEGANE_PC_SANITIZE " -fsanitize=address,undefined")
endif()

install(TARGETS megane_proto megane_sdk EXPORT megane-targets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY proto/include/ sdk/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(MEGANE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/megane)
install(EXPORT megane-targets NAMESPACE megane:: FILE meganeTargets.cmake DESTINATION ${MEGANE_CMAKE_DIR})
configure_package_config_file(cmake/meganeConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/meganeConfig.cmake INSTALL_DESTINATION ${MEGANE_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/meganeConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/meganeConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/meganeConfigVersion.cmake DESTINATION ${MEGANE_CMAKE_DIR})

configure_file(cmake/megane.pc.in ${CMAKE_CURRENT_BINARY_DIR}/megane.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/megane.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(TARGETS meganed meganectl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# meganed finds its launch helper next to itself or in ../libexec/megane.
install(TARGETS meganed-launch RUNTIME DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/megane)
install(FILES systemd/meganed@.service DESTINATION lib/systemd/system)
install(FILES config/meganed.example.toml DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
