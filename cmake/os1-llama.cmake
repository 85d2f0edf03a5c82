# Provides the imported target os1::llama (libllama + ggml, static) and OS1_LLAMA_SOURCE
# (the llama.cpp source tree, whose models/ggml-vocab-*.gguf the model generator reads).
#
# The build is done by scripts/build-llama.sh, which caches it under ~/.cache/os1 keyed by
# source version and flags, so reconfiguring or a fresh build directory costs nothing.
if(NOT OS1_LLAMA_PREFIX)
    set(os1_llama_args "")
    if(OS1_LLAMA_SOURCE_DIR)
        list(APPEND os1_llama_args --source ${OS1_LLAMA_SOURCE_DIR})
    endif()
    if(OS1_CUDA)
        list(APPEND os1_llama_args --cuda)
    endif()
    message(STATUS "os1: building or reusing llama.cpp via scripts/build-llama.sh ${os1_llama_args}")
    execute_process(
        COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/scripts/build-llama.sh ${os1_llama_args}
        OUTPUT_VARIABLE os1_llama_out
        RESULT_VARIABLE os1_llama_rc
        OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(NOT os1_llama_rc EQUAL 0)
        message(FATAL_ERROR "os1: scripts/build-llama.sh failed (exit ${os1_llama_rc})")
    endif()
    string(REGEX REPLACE ".*\n" "" os1_llama_prefix_found "${os1_llama_out}")
    set(OS1_LLAMA_PREFIX "${os1_llama_prefix_found}" CACHE PATH "" FORCE)
endif()
if(NOT EXISTS "${OS1_LLAMA_PREFIX}/include/llama.h")
    message(FATAL_ERROR "os1: ${OS1_LLAMA_PREFIX} holds no llama.cpp build (include/llama.h missing)")
endif()
file(READ "${OS1_LLAMA_PREFIX}/source-dir" OS1_LLAMA_SOURCE)
string(STRIP "${OS1_LLAMA_SOURCE}" OS1_LLAMA_SOURCE)
message(STATUS "os1: llama.cpp prefix ${OS1_LLAMA_PREFIX}")

find_package(OpenMP REQUIRED)
add_library(os1_llama INTERFACE)
add_library(os1::llama ALIAS os1_llama)
target_include_directories(os1_llama SYSTEM INTERFACE ${OS1_LLAMA_PREFIX}/include)
set(os1_llama_libs llama ggml ggml-cpu)
if(OS1_CUDA)
    find_package(CUDAToolkit REQUIRED)
    list(APPEND os1_llama_libs ggml-cuda)
endif()
list(APPEND os1_llama_libs ggml-base)
foreach(lib ${os1_llama_libs})
    target_link_libraries(os1_llama INTERFACE ${OS1_LLAMA_PREFIX}/lib/lib${lib}.a)
endforeach()
target_link_libraries(os1_llama INTERFACE OpenMP::OpenMP_CXX Threads::Threads ${CMAKE_DL_LIBS})
if(OS1_CUDA)
    target_link_libraries(os1_llama INTERFACE CUDA::cudart CUDA::cublas CUDA::cublasLt CUDA::cuda_driver)
endif()
