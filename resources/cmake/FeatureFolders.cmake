# spotwise_add_feature_folders(): add_subdirectory() every child folder that has a CMakeLists.txt,
# in name order. Each feature folder adds its own sources (target_sources) and tests, so features
# land without editing a shared list.
function(spotwise_add_feature_folders)
  file(GLOB lists CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/*/CMakeLists.txt")
  list(SORT lists)
  foreach(list IN LISTS lists)
    get_filename_component(dir "${list}" DIRECTORY)
    add_subdirectory("${dir}")
  endforeach()
endfunction()
