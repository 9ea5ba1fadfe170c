# SPDX-License-Identifier: MIT
# The installable package (issue 10 section 4). Included at the end of
# src/CMakeLists.txt, when every stage library exists and the LLVM import is
# visible (imports made in a stage's own folder must be GLOBAL to be seen here).
#
# The stages stay separate static libraries inside the build (their one-way
# dependencies are the build's business); a user gets one library, built from
# the same object files:
#   libtutti.so.X.Y  (tutti::tutti)         every stage, LLVM 19 / JACK linked dynamically
#   libtutti.a       (tutti::tutti_static)  the same objects; links the same shared libraries
# plus the public headers (include/tutti/*.h and the generated tutti/version.h),
# a CMake package (find_package(tutti)), a pkg-config file (tutti.pc) and the CLI.
#
# Which stage libraries go in is not listed here: it is every static library
# that the roots below link, found by walking their link dependencies, so that
# adding, splitting or renaming a stage needs no change in this file.

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(TUTTI_PACKAGE_ROOTS tutti_capi tutti_engine tutti_drivers tutti_compiler)

# tutti_collect_link_closure(<static-out> <imported-out> <raw-out> roots...):
# the non-imported static libraries, the imported targets and the plain link
# items (names, flags, paths) reachable from the roots.
function(tutti_collect_link_closure static_out imported_out raw_out)
    set(queue ${ARGN})
    set(seen "")
    set(statics "")
    set(imported "")
    set(raw "")
    while(queue)
        list(POP_FRONT queue item)
        if(item MATCHES "^\\$<LINK_ONLY:(.+)>$")
            set(item "${CMAKE_MATCH_1}")
        endif()
        if(item STREQUAL "" OR item IN_LIST seen OR item MATCHES "^\\$<")
            continue()
        endif()
        list(APPEND seen "${item}")
        if(NOT TARGET "${item}")
            if(item MATCHES "::")
                message(FATAL_ERROR "tutti package: ${item} is not visible in ${CMAKE_CURRENT_SOURCE_DIR} "
                                    "(import it GLOBAL, or find it in a parent folder)")
            endif()
            list(APPEND raw "${item}")
            continue()
        endif()
        get_target_property(aliased "${item}" ALIASED_TARGET)
        if(aliased)
            list(APPEND queue "${aliased}")
            continue()
        endif()
        get_target_property(is_imported "${item}" IMPORTED)
        if(is_imported)
            list(APPEND imported "${item}")
            continue()
        endif()
        get_target_property(type "${item}" TYPE)
        if(type STREQUAL "STATIC_LIBRARY")
            list(APPEND statics "${item}")
        endif()
        if(NOT type STREQUAL "INTERFACE_LIBRARY")
            get_target_property(deps "${item}" LINK_LIBRARIES)
            if(deps)
                list(APPEND queue ${deps})
            endif()
        endif()
        get_target_property(ideps "${item}" INTERFACE_LINK_LIBRARIES)
        if(ideps)
            list(APPEND queue ${ideps})
        endif()
    endwhile()
    set(${static_out} "${statics}" PARENT_SCOPE)
    set(${imported_out} "${imported}" PARENT_SCOPE)
    set(${raw_out} "${raw}" PARENT_SCOPE)
endfunction()

set(roots "")
foreach(root IN LISTS TUTTI_PACKAGE_ROOTS)
    if(TARGET ${root})
        list(APPEND roots ${root})
    endif()
endforeach()
tutti_collect_link_closure(TUTTI_STAGE_LIBRARIES TUTTI_EXTERNAL_TARGETS TUTTI_EXTERNAL_ITEMS ${roots})
message(STATUS "tutti package: stages ${TUTTI_STAGE_LIBRARIES}; links ${TUTTI_EXTERNAL_TARGETS} ${TUTTI_EXTERNAL_ITEMS}")

# The stages' objects go into a shared library: position-independent code.
set_target_properties(${TUTTI_STAGE_LIBRARIES} PROPERTIES POSITION_INDEPENDENT_CODE ON)

set(objects "")
foreach(stage IN LISTS TUTTI_STAGE_LIBRARIES)
    list(APPEND objects "$<TARGET_OBJECTS:${stage}>")
endforeach()

# The public include folders: the source tree's and the generated version.h's.
set(public_includes
    "$<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>"
    "$<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>"
    "$<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>")

add_library(tutti_shared SHARED ${objects})
set_target_properties(tutti_shared PROPERTIES
    OUTPUT_NAME tutti
    EXPORT_NAME tutti
    VERSION ${PROJECT_VERSION}
    SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR}
    LINKER_LANGUAGE CXX)
target_include_directories(tutti_shared INTERFACE ${public_includes})
target_compile_features(tutti_shared INTERFACE cxx_std_20)
# Every symbol the stages need must come from the listed libraries (not in the
# sanitizer presets: there the runtime comes from the executable).
if(NOT CMAKE_CXX_FLAGS MATCHES "-fsanitize")
    target_link_options(tutti_shared PRIVATE "LINKER:--no-undefined")
endif()
target_link_libraries(tutti_shared PRIVATE ${TUTTI_EXTERNAL_TARGETS} ${TUTTI_EXTERNAL_ITEMS})
add_library(tutti::tutti ALIAS tutti_shared)

add_library(tutti_static STATIC ${objects})
set_target_properties(tutti_static PROPERTIES
    OUTPUT_NAME tutti
    EXPORT_NAME tutti_static
    LINKER_LANGUAGE CXX)
target_include_directories(tutti_static INTERFACE ${public_includes})
target_compile_features(tutti_static INTERFACE cxx_std_20)

# What a user of libtutti.a links besides it, as paths and flags that need no
# other CMake package: imported shared libraries by their file, pkg-config
# imports by what pkg-config gave, threads as -pthread.
set(static_links "")
set(pc_private "")
foreach(t IN LISTS TUTTI_EXTERNAL_TARGETS)
    if(t STREQUAL "Threads::Threads")
        list(APPEND static_links "Threads::Threads")
        list(APPEND pc_private "-pthread")
        continue()
    endif()
    get_target_property(type ${t} TYPE)
    if(type STREQUAL "INTERFACE_LIBRARY")
        get_target_property(libs ${t} INTERFACE_LINK_LIBRARIES)
        if(libs)
            list(APPEND static_links ${libs})
            list(APPEND pc_private ${libs})
        endif()
        continue()
    endif()
    set(location "")
    foreach(property IMPORTED_LOCATION_${CMAKE_BUILD_TYPE} IMPORTED_LOCATION_RELWITHDEBINFO
                     IMPORTED_LOCATION_RELEASE IMPORTED_LOCATION)
        string(TOUPPER "${property}" property)
        if(NOT location)
            get_target_property(location ${t} ${property})
        endif()
    endforeach()
    if(NOT location)
        message(FATAL_ERROR "tutti package: no library file for ${t}")
    endif()
    # The file its soname names, next to the real file: LLVM's import names
    # llvm-19-dev's /usr/lib/llvm-19/lib/libLLVM.so.1, this is libllvm19's
    # /usr/lib/x86_64-linux-gnu/libLLVM.so.19.1 (what libtutti.so needs at run time).
    foreach(property IMPORTED_SONAME_${CMAKE_BUILD_TYPE} IMPORTED_SONAME_RELWITHDEBINFO
                     IMPORTED_SONAME_RELEASE IMPORTED_SONAME)
        string(TOUPPER "${property}" property)
        get_target_property(soname ${t} ${property})
        if(soname)
            file(REAL_PATH "${location}" real)
            get_filename_component(dir "${real}" DIRECTORY)
            if(EXISTS "${dir}/${soname}")
                set(location "${dir}/${soname}")
            endif()
            break()
        endif()
    endforeach()
    list(APPEND static_links "${location}")
    list(APPEND pc_private "${location}")
endforeach()
foreach(item IN LISTS TUTTI_EXTERNAL_ITEMS)
    list(APPEND static_links "${item}")
    if(item MATCHES "^-" OR item MATCHES "/")
        list(APPEND pc_private "${item}")
    else()
        list(APPEND pc_private "-l${item}")
    endif()
endforeach()
foreach(l IN LISTS static_links)
    target_link_libraries(tutti_static INTERFACE "$<LINK_ONLY:${l}>")
endforeach()
list(REMOVE_DUPLICATES pc_private)
list(JOIN pc_private " " TUTTI_PC_LIBS_PRIVATE)

# ---- install ----
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/tutti DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")
install(FILES ${PROJECT_BINARY_DIR}/include/tutti/version.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tutti)
install(TARGETS tutti_shared tutti_static EXPORT tuttiTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
if(TARGET tutti)
    install(TARGETS tutti RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

set(TUTTI_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/tutti)
install(EXPORT tuttiTargets NAMESPACE tutti:: DESTINATION ${TUTTI_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/tuttiConfig.cmake.in
    ${PROJECT_BINARY_DIR}/package/tuttiConfig.cmake INSTALL_DESTINATION ${TUTTI_CMAKE_DIR})
# 0.x: a minor version may change the interface.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/package/tuttiConfigVersion.cmake
    COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/package/tuttiConfig.cmake
              ${PROJECT_BINARY_DIR}/package/tuttiConfigVersion.cmake
        DESTINATION ${TUTTI_CMAKE_DIR})

# pkg-config: relocatable (the prefix is found from the .pc file's own folder,
# so `cmake --install build --prefix DIR` gives a working file in DIR).
file(RELATIVE_PATH TUTTI_PC_TO_PREFIX "${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig" "${CMAKE_INSTALL_PREFIX}")
string(REGEX REPLACE "/$" "" TUTTI_PC_TO_PREFIX "${TUTTI_PC_TO_PREFIX}")
file(RELATIVE_PATH TUTTI_PC_LIBDIR "${CMAKE_INSTALL_PREFIX}" "${CMAKE_INSTALL_FULL_LIBDIR}")
file(RELATIVE_PATH TUTTI_PC_INCLUDEDIR "${CMAKE_INSTALL_PREFIX}" "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/tutti.pc.in ${PROJECT_BINARY_DIR}/package/tutti.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/package/tutti.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
