# CPack: `cpack -G DEB` in the build directory makes
#   switchboard_<version>_<arch>.deb      the binary, its unit, the config
#   switchboard-dev_<version>_<arch>.deb  headers, static libraries, CMake package
# (docs/operations.md). Included only when switchboard is the top-level
# project.

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME switchboard)
set(CPACK_PACKAGE_VENDOR "Switchboard")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(SWITCHBOARD_DEB_MAINTAINER
    "Switchboard maintainers <maintainers@users.noreply.r-seed-70c55107.example>"
    CACHE STRING "The .deb packages' Maintainer field")
set(CPACK_PACKAGE_CONTACT "${SWITCHBOARD_DEB_MAINTAINER}")
# No CPACK_PACKAGE_DESCRIPTION_SUMMARY: CPackDeb would put it before each
# package's description; the first line of each is its own summary.
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Debian ships stripped binaries; -dbgsym packages are out of scope.
set(CPACK_STRIP_FILES ON)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
find_program(SWITCHBOARD_DPKG dpkg)
if(SWITCHBOARD_DPKG)
  execute_process(COMMAND ${SWITCHBOARD_DPKG} --print-architecture
                  OUTPUT_VARIABLE CPACK_DEBIAN_PACKAGE_ARCHITECTURE
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
endif()

# Runtime package. dpkg-shlibdeps (dpkg-dev) reads the binary's libraries
# when it is there (CPack also needs `file`); otherwise the list Debian 12
# needs.
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME switchboard)
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION
    "request router on the C++ Actor Framework (node and CLI)
Switchboard routes named requests to handlers (built-ins, programs,
plugins) on a node and across a mesh of nodes. This package holds the
`switchboard` binary, a systemd unit (Type=notify) and the annotated
example configuration as /etc/switchboard/switchboard.toml.")
find_program(SWITCHBOARD_DPKG_SHLIBDEPS dpkg-shlibdeps)
find_program(SWITCHBOARD_FILE file)
if(SWITCHBOARD_DPKG_SHLIBDEPS AND SWITCHBOARD_FILE)
  set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
else()
  set(CPACK_DEBIAN_RUNTIME_PACKAGE_DEPENDS
      "libcaf-core0.17, libcaf-io0.17, libssl3, libtomlplusplus3, libsystemd0, libspdlog1.10, libfmt9, libstdc++6, libgcc-s1, libc6")
endif()
# The example config is a conffile (dpkg keeps an admin's edits); it goes to
# /etc only in the package: `cmake --install` leaves /etc alone and puts the
# copy under share/doc. Maintainer scripts: reload systemd's view of units,
# stop the service before its binary is removed. The package does not enable
# or start the service: the example configuration is an example.
install(FILES config/switchboard.example.toml
  DESTINATION /etc/switchboard RENAME switchboard.toml
  COMPONENT runtime EXCLUDE_FROM_ALL)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/cmake/deb/conffiles
    ${PROJECT_SOURCE_DIR}/cmake/deb/postinst
    ${PROJECT_SOURCE_DIR}/cmake/deb/prerm
    ${PROJECT_SOURCE_DIR}/cmake/deb/postrm)

# Development package: what find_package(switchboard) needs to build and
# link against the static libraries.
set(CPACK_DEBIAN_DEV_PACKAGE_NAME switchboard-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_DESCRIPTION
    "request router on the C++ Actor Framework (development files)
Headers, static libraries and the CMake package of Switchboard's library:
find_package(switchboard) then link switchboard::switchboard (or
switchboard::mesh for nodes over the network).")
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "libcaf-dev, libssl-dev, libtomlplusplus-dev, cmake")

include(CPack)
