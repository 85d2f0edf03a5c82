# Warning and sanitizer flags for os1's own targets (never applied to llama.cpp).
add_library(os1_flags INTERFACE)
if(OS1_ALL_WARNINGS)
    target_compile_options(os1_flags INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wcast-qual
                                               -Wnon-virtual-dtor -Wmissing-declarations
                                               -Wno-missing-field-initializers)
    # GCC 12 reports impossible memcpy overlaps inside std::string's operator+ once it inlines
    # "literal" + std::to_string(n) (a known false positive of its -Wrestrict, fixed in GCC 13).
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
        target_compile_options(os1_flags INTERFACE -Wno-restrict)
    endif()
endif()
if(OS1_FATAL_WARNINGS)
    target_compile_options(os1_flags INTERFACE -Werror)
endif()

set(os1_sanitizers "")
# The fuzz build: every os1 library carries libFuzzer's coverage instrumentation (the fuzz targets
# link its driver with -fsanitize=fuzzer), under AddressSanitizer and UndefinedBehaviorSanitizer.
if(OS1_FUZZ)
    if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
        message(FATAL_ERROR "os1: OS1_FUZZ needs clang (libFuzzer); configure with CC=clang-14 CXX=clang++-14")
    endif()
    target_compile_options(os1_flags INTERFACE -fsanitize=fuzzer-no-link)
    set(OS1_SANITIZE_ADDRESS ON)
    set(OS1_SANITIZE_UNDEFINED ON)
endif()
if(OS1_SANITIZE_ADDRESS)
    list(APPEND os1_sanitizers address)
endif()
if(OS1_SANITIZE_UNDEFINED)
    list(APPEND os1_sanitizers undefined)
endif()
if(OS1_SANITIZE_THREAD)
    list(APPEND os1_sanitizers thread)
    # The ifunc resolvers behind GCC's target_clones run while the program is loaded, before
    # the ThreadSanitizer runtime is initialised, and crash it: this build keeps the baseline
    # version of such functions only.
    target_compile_definitions(os1_flags INTERFACE OS1_NO_TARGET_CLONES)
endif()
if(os1_sanitizers)
    list(JOIN os1_sanitizers "," os1_sanitizer_list)
    target_compile_options(os1_flags INTERFACE -fsanitize=${os1_sanitizer_list} -fno-omit-frame-pointer
                                               -fno-sanitize-recover=undefined)
    target_link_options(os1_flags INTERFACE -fsanitize=${os1_sanitizer_list})
endif()
