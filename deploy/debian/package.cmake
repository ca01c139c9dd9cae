# The Debian package, accord_<version>_amd64.deb (included by the top-level CMakeLists.txt).
# After a build:
#   cpack --config build/CPackConfig.cmake       writes build/package/accord_<version>_amd64.deb
# Its unit, maintainer scripts, man page and copyright are beside this file; tests/package/ installs
# it into a fresh Debian 12 root. The layout of /usr/share/doc/accord mirrors the repository's, so
# the relative links between README.md, docs/, examples/ and deploy/ still work there.
set(ACCORD_DEB_DIR ${CMAKE_SOURCE_DIR}/deploy/debian)
# cpack packs what the build made rather than building everything first: tests/package/ runs it
# under ctest, beside tests that run what the build made (fuzz/ is built on every `all`).
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
set(ACCORD_DEB_STAGE ${CMAKE_BINARY_DIR}/package-files)
set(ACCORD_DOC_DIR share/doc/accord)

# /etc/accord/agreement.yaml: the demo, with its ledger in the unit's state directory and the
# listener spelled out. The demo stays the one source; the build fails if its ledger line moves.
set(ACCORD_DEMO ${CMAKE_SOURCE_DIR}/examples/demo.yaml)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${ACCORD_DEMO})
file(READ ${ACCORD_DEMO} ACCORD_DEMO_TEXT)
set(ACCORD_DEMO_LEDGER "ledger: { path: accord-demo.db,")
string(FIND "${ACCORD_DEMO_TEXT}" "${ACCORD_DEMO_LEDGER}" ACCORD_DEMO_LEDGER_AT)
if(ACCORD_DEMO_LEDGER_AT EQUAL -1)
  message(FATAL_ERROR "examples/demo.yaml: no '${ACCORD_DEMO_LEDGER}' line for the package's "
    "agreement to move into /var/lib/accord (deploy/debian/package.cmake)")
endif()
string(REPLACE "${ACCORD_DEMO_LEDGER}" "ledger: { path: /var/lib/accord/ledger.db,"
  ACCORD_PACKAGED_AGREEMENT "${ACCORD_DEMO_TEXT}")
file(WRITE ${ACCORD_DEB_STAGE}/agreement.yaml.new
  "# /etc/accord/agreement.yaml: the agreement accord.service serves. Every key is described in\n"
  "# /usr/share/doc/accord/docs/agreement.md; `accord check` this file, then\n"
  "# `systemctl reload accord`.\n"
  "#\n"
  "# Installed from accord's demo (examples/demo.yaml). Its keys are public\n"
  "# (/usr/share/doc/accord/examples/demo.keys): replace them before the gateway listens on\n"
  "# anything but the loopback address.\n"
  "#\n"
  "${ACCORD_PACKAGED_AGREEMENT}"
  "\nserver: { listen: 127.0.0.1:8080 }\n")
configure_file(${ACCORD_DEB_STAGE}/agreement.yaml.new ${ACCORD_DEB_STAGE}/agreement.yaml COPYONLY)
file(WRITE ${ACCORD_DEB_STAGE}/conffiles "/etc/accord/agreement.yaml\n")

# The man page, compressed as Debian ships them (-n: no name or time stamp, so builds repeat).
add_custom_command(OUTPUT ${ACCORD_DEB_STAGE}/accord.1.gz
  COMMAND gzip -9 -n -c ${ACCORD_DEB_DIR}/accord.1 > ${ACCORD_DEB_STAGE}/accord.1.gz
  DEPENDS ${ACCORD_DEB_DIR}/accord.1 VERBATIM)
add_custom_target(accord_man ALL DEPENDS ${ACCORD_DEB_STAGE}/accord.1.gz)

set(ACCORD_SRC ${CMAKE_SOURCE_DIR})
install(TARGETS accord RUNTIME DESTINATION bin)
install(FILES ${ACCORD_DEB_DIR}/accord.service DESTINATION /lib/systemd/system)
install(FILES ${ACCORD_DEB_STAGE}/agreement.yaml DESTINATION /etc/accord)
install(FILES ${ACCORD_DEB_STAGE}/accord.1.gz DESTINATION share/man/man1)
install(FILES ${ACCORD_SRC}/README.md ${ACCORD_DEB_DIR}/copyright DESTINATION ${ACCORD_DOC_DIR})
install(DIRECTORY ${ACCORD_SRC}/docs/ DESTINATION ${ACCORD_DOC_DIR}/docs
  FILES_MATCHING PATTERN "*.md")
install(FILES ${ACCORD_SRC}/examples/demo.yaml ${ACCORD_SRC}/examples/demo.keys
  ${ACCORD_SRC}/examples/fleet.yaml DESTINATION ${ACCORD_DOC_DIR}/examples)
install(FILES ${ACCORD_SRC}/deploy/grafana/accord.json DESTINATION ${ACCORD_DOC_DIR}/deploy/grafana)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME accord)
set(CPACK_PACKAGE_VENDOR accord)
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/package)
set(ACCORD_PACKAGE_MAINTAINER "accord maintainers <accord@localhost>"
  CACHE STRING "The Maintainer field of the Debian package")
set(CPACK_PACKAGE_CONTACT "${ACCORD_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "AI gateway and GPU-capacity broker that enforces one agreement")
# One string; its lines become the control file's (an empty one, " .").
string(CONCAT CPACK_PACKAGE_DESCRIPTION
  "accord takes one agreement file (who may use which model from when, who\n"
  "has capacity reserved, what limits and latency targets hold, what each\n"
  "token costs and how revenue is split) and makes it true: an\n"
  "OpenAI-compatible gateway, which also speaks Anthropic's Messages API, in\n"
  "front of the fleet or its built-in simulated engine; a usage ledger that\n"
  "bills every request and reports usage, SLA and settlement; and a simulator\n"
  "and planner that size the fleet for the agreement.\n"
  "\n"
  "The package runs the gateway as accord.service, sandboxed, on\n"
  "/etc/accord/agreement.yaml.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # accord_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends: the binary's shared libraries (dpkg-shlibdeps, in dpkg-dev), and procps for the unit's
# ExecReload (/bin/kill), which a minimal Debian lacks.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS procps)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${ACCORD_DEB_STAGE}/conffiles
  ${ACCORD_DEB_DIR}/postinst ${ACCORD_DEB_DIR}/prerm ${ACCORD_DEB_DIR}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
