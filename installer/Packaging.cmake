# Installation and packages (CPack), included by the top-level CMakeLists.txt.
#   Linux:   DEB (dpkg-shlibdeps computes the library dependencies) and TGZ, from any build folder:
#            `cpack --config build/release/CPackConfig.cmake` (tests/installer builds and runs one).
#   Windows: NSIS installer; macOS: DragNDrop .dmg. Both deploy Qt with Qt's own deployment script
#            (qt_generate_deploy_app_script); they cannot be built on Debian (README, "Packages").
# One application id, name, version and icon for every platform.
include(GNUInstallDirs)

set(SPOTWISE_MAINTAINER "Spotwise maintainers <maintainers@spotwise.invalid>")
set(icons "${PROJECT_SOURCE_DIR}/resources/icons")
set(desktop "${PROJECT_SOURCE_DIR}/resources/desktop")

# --- What gets installed ----------------------------------------------------------------------
if(UNIX AND NOT APPLE)
  # Only system libraries are linked: no RUNPATH in the package (qt_standard_project_setup's
  # $ORIGIN/../lib default is for bundled Qt, and Debian policy forbids it).
  set_target_properties(spotwise-cli PROPERTIES INSTALL_RPATH "")
  if(TARGET spotwise)
    set_target_properties(spotwise PROPERTIES INSTALL_RPATH "")
  endif()
endif()
if(APPLE)
  # The CLI travels inside the bundle; users link it onto their PATH if they want it there.
  install(TARGETS spotwise-cli RUNTIME DESTINATION Spotwise.app/Contents/MacOS)
else()
  install(TARGETS spotwise-cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

if(TARGET spotwise)
  install(TARGETS spotwise
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
    BUNDLE DESTINATION .)

  if(WIN32)
    target_sources(spotwise PRIVATE "${CMAKE_CURRENT_LIST_DIR}/windows/spotwise.rc")
  elseif(APPLE)
    set_source_files_properties("${icons}/spotwise.icns" PROPERTIES MACOSX_PACKAGE_LOCATION Resources)
    target_sources(spotwise PRIVATE "${icons}/spotwise.icns")
    set_target_properties(spotwise PROPERTIES
      OUTPUT_NAME Spotwise
      MACOSX_BUNDLE_BUNDLE_NAME Spotwise
      MACOSX_BUNDLE_GUI_IDENTIFIER ${SPOTWISE_APP_ID}
      MACOSX_BUNDLE_ICON_FILE spotwise.icns
      MACOSX_BUNDLE_BUNDLE_VERSION ${PROJECT_VERSION}
      MACOSX_BUNDLE_SHORT_VERSION_STRING ${PROJECT_VERSION})
  endif()

  if(WIN32 OR APPLE)
    # Qt's deployment (windeployqt / macdeployqt behind one CMake API) copies the Qt libraries and
    # plugins next to the app at install time, i.e. into the package. Qt 6.5 renamed the option.
    if(Qt6_VERSION VERSION_GREATER_EQUAL 6.5)
      qt_generate_deploy_app_script(TARGET spotwise OUTPUT_SCRIPT deployScript NO_UNSUPPORTED_PLATFORM_ERROR)
    else()
      qt_generate_deploy_app_script(TARGET spotwise FILENAME_VARIABLE deployScript NO_UNSUPPORTED_PLATFORM_ERROR)
    endif()
    install(SCRIPT "${deployScript}")
  endif()
  if(WIN32)
    # Qt's script deploys Qt; libcurl, OpenSSL and SQLite DLLs (vcpkg) come from here.
    install(TARGETS spotwise-cli spotwise
      RUNTIME_DEPENDENCIES
        PRE_EXCLUDE_REGEXES "api-ms-.*" "ext-ms-.*" "Qt6.*"
        POST_EXCLUDE_REGEXES ".*[Ss]ystem32/.*\\.dll"
      RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  endif()

  if(UNIX AND NOT APPLE)
    # freedesktop.org integration: menu entry, icons in the hicolor theme, AppStream metadata.
    install(FILES "${desktop}/${SPOTWISE_APP_ID}.desktop" DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
    install(FILES "${desktop}/${SPOTWISE_APP_ID}.metainfo.xml" DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo)
    install(FILES "${icons}/spotwise.svg" DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps
            RENAME ${SPOTWISE_APP_ID}.svg)
    foreach(size 16 32 48 64 128 256)
      install(FILES "${icons}/spotwise-${size}.png"
              DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/${size}x${size}/apps
              RENAME ${SPOTWISE_APP_ID}.png)
    endforeach()
  endif()
endif()

if(UNIX AND NOT APPLE)
  # Debian policy: copyright and a compressed changelog (gzip -n: no timestamp, reproducible).
  set(changelog "${CMAKE_CURRENT_LIST_DIR}/debian/changelog")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${changelog}")
  file(MAKE_DIRECTORY "${PROJECT_BINARY_DIR}/installer")
  execute_process(COMMAND gzip -9 -n -c "${changelog}"
                  OUTPUT_FILE "${PROJECT_BINARY_DIR}/installer/changelog.gz" COMMAND_ERROR_IS_FATAL ANY)
  install(FILES "${CMAKE_CURRENT_LIST_DIR}/debian/copyright" "${PROJECT_BINARY_DIR}/installer/changelog.gz"
          DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/spotwise)
  foreach(page spotwise.1 spotwise-cli.1)
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${CMAKE_CURRENT_LIST_DIR}/man/${page}")
    execute_process(COMMAND gzip -9 -n -c "${CMAKE_CURRENT_LIST_DIR}/man/${page}"
                    OUTPUT_FILE "${PROJECT_BINARY_DIR}/installer/${page}.gz" COMMAND_ERROR_IS_FATAL ANY)
    install(FILES "${PROJECT_BINARY_DIR}/installer/${page}.gz" DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
  endforeach()
endif()

# --- Packages -----------------------------------------------------------------------------------
set(CPACK_PACKAGE_NAME spotwise)
set(CPACK_PACKAGE_VENDOR Spotwise)
set(CPACK_PACKAGE_CONTACT "${SPOTWISE_MAINTAINER}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
string(JOIN "\n" CPACK_PACKAGE_DESCRIPTION  # Debian wraps long descriptions at 80 columns
  "Spotwise compares on-demand and spot GPU prices on AWS, GCP and Azure, plans"
  "what a training run really costs with preemptions, and launches and supervises"
  "it on spot capacity. This package contains the desktop app (spotwise) and the"
  "command-line tool (spotwise-cli).")
set(CPACK_PACKAGE_HOMEPAGE_URL "${PROJECT_HOMEPAGE_URL}")
set(CPACK_PACKAGE_INSTALL_DIRECTORY Spotwise)
set(CPACK_PACKAGE_EXECUTABLES spotwise Spotwise)
set(CPACK_PACKAGE_ICON "${icons}/spotwise-256.png")
set(CPACK_STRIP_FILES ON)
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
set(CPACK_VERBATIM_VARIABLES ON)

if(WIN32)
  set(CPACK_GENERATOR NSIS)
  set(CPACK_NSIS_DISPLAY_NAME Spotwise)
  set(CPACK_NSIS_PACKAGE_NAME Spotwise)
  set(CPACK_NSIS_MUI_ICON "${icons}/spotwise.ico")
  set(CPACK_NSIS_MUI_UNIICON "${icons}/spotwise.ico")
  set(CPACK_NSIS_INSTALLED_ICON_NAME "bin\\\\spotwise.exe")
  set(CPACK_NSIS_URL_INFO_ABOUT "${PROJECT_HOMEPAGE_URL}")
  set(CPACK_NSIS_CONTACT "${SPOTWISE_MAINTAINER}")
  set(CPACK_NSIS_ENABLE_UNINSTALL_BEFORE_INSTALL ON)
  set(CPACK_PACKAGE_FILE_NAME "Spotwise-${PROJECT_VERSION}-win64")
elseif(APPLE)
  set(CPACK_GENERATOR DragNDrop)
  set(CPACK_DMG_VOLUME_NAME Spotwise)
  set(CPACK_PACKAGE_ICON "${icons}/spotwise.icns")
  set(CPACK_PACKAGE_FILE_NAME "Spotwise-${PROJECT_VERSION}-macos")
else()
  set(CPACK_GENERATOR DEB TGZ)
  set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # spotwise_<version>_<arch>.deb
  set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${SPOTWISE_MAINTAINER}")
  set(CPACK_DEBIAN_PACKAGE_SECTION utils)
  set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  # Loaded as plugins, so dpkg-shlibdeps cannot see them: the SVG icon engine and the X11 platform;
  # and libcurl, which the apps load at their first HTTP request (core/http/CurlHttpClient.cpp).
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "libqt6svg6, qt6-qpa-plugins, libcurl4")
  set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "qt6-wayland")
  set(CPACK_PACKAGE_FILE_NAME "spotwise-${PROJECT_VERSION}-linux-${CMAKE_SYSTEM_PROCESSOR}")
endif()

include(CPack)
