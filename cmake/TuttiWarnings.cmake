# SPDX-License-Identifier: MIT
# Warning flags for every tutti target (Cmajor's list, GCC/Clang spellings).
add_library(tutti_warnings INTERFACE)
target_compile_options(tutti_warnings INTERFACE
    -Wall -Wextra -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual -Wimplicit-fallthrough
    -Wdouble-promotion -Wformat=2 -Wmissing-declarations)
if(TUTTI_WARNINGS_AS_ERRORS)
    target_compile_options(tutti_warnings INTERFACE -Werror)
endif()
