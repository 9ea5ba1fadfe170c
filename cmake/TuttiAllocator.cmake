# SPDX-License-Identifier: MIT
# The compiler allocates and frees many small nodes (boxes, signals, hash-set
# entries): with glibc's malloc a third of a warm compile's CPU time went to
# malloc and free (perf, issue 14). mimalloc (MIT, Debian's libmimalloc-dev)
# replaces malloc for the whole process when an executable links it ahead of
# libc: tutti_fast_allocator(TARGET) does that for the executables that compile
# in a running process (tutti, the benchmarks of it). Not for libraries (a host
# that dlopens one must keep its own malloc) nor for sanitizer builds (their
# own allocator).
# Off by default: Debian 12's libmimalloc (2.0.9, built as C) aborts the process
# in operator new when memory runs out instead of throwing std::bad_alloc (its
# new-handler lookup binds inside the library), so a compilation that exhausts
# its memory (a compile server's child under RLIMIT_AS, or a runaway edit in
# tutti play) would kill the process instead of becoming a diagnostic
# (ServeChild.MemoryLimitEndsOneCompilationWhileAnotherCompiles shows it).
# -DTUTTI_MIMALLOC=ON links it where that is acceptable.
option(TUTTI_MIMALLOC "Link the tutti executable with mimalloc when it is installed" OFF)
set(_tutti_sanitized OFF)
if(CMAKE_CXX_FLAGS MATCHES "-fsanitize" OR CMAKE_EXE_LINKER_FLAGS MATCHES "-fsanitize")
    set(_tutti_sanitized ON)
endif()
set(TUTTI_MIMALLOC_LIBRARY "")
if(TUTTI_MIMALLOC AND NOT _tutti_sanitized)
    find_library(TUTTI_MIMALLOC_LIBRARY_PATH NAMES mimalloc)
    if(TUTTI_MIMALLOC_LIBRARY_PATH)
        set(TUTTI_MIMALLOC_LIBRARY ${TUTTI_MIMALLOC_LIBRARY_PATH})
        message(STATUS "tutti: the executables allocate with mimalloc (${TUTTI_MIMALLOC_LIBRARY})")
    else()
        message(STATUS "tutti: mimalloc not found (libmimalloc-dev): glibc's malloc")
    endif()
endif()

function(tutti_fast_allocator target)
    if(TUTTI_MIMALLOC_LIBRARY)
        # first on the link line and kept even though nothing names its symbols:
        # its malloc then comes before libc's in the process's symbol lookup
        target_link_options(${target} BEFORE PRIVATE "LINKER:--push-state,--no-as-needed"
                            "${TUTTI_MIMALLOC_LIBRARY}" "LINKER:--pop-state")
    endif()
endfunction()
