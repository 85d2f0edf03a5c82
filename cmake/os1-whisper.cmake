# Provides the static library os1_whisper_cpp (whisper.cpp, the optional speech recogniser)
# when its source is present, and sets OS1_WHISPER to ON or OFF accordingly.
#
# whisper.cpp carries its own copy of ggml, and llama.cpp carries another; linking both into one
# binary gives two definitions of every ggml symbol. So only whisper.cpp's one source file is
# compiled here, against llama.cpp's ggml (os1::llama): one ggml in the process, one set of CPU
# (or CUDA) kernels, one thread pool setting. The source comes from the npm package
# nodejs-whisper (pinned in package.json), which ships whisper.cpp under cpp/whisper.cpp.
set(OS1_WHISPER_SOURCE_DIR "${PROJECT_SOURCE_DIR}/node_modules/nodejs-whisper/cpp/whisper.cpp" CACHE PATH
    "os1: the whisper.cpp source tree (default: the one in the pinned npm package nodejs-whisper)")
set(OS1_WHISPER AUTO CACHE STRING "os1: build the whisper.cpp speech recogniser (ON, OFF, or AUTO: when its source is there)")

set(os1_whisper_source "${OS1_WHISPER_SOURCE_DIR}/src/whisper.cpp")
if(OS1_WHISPER STREQUAL "AUTO")
    if(EXISTS "${os1_whisper_source}")
        set(OS1_WHISPER ON)
    else()
        set(OS1_WHISPER OFF)
        message(STATUS "os1: no whisper.cpp source at ${OS1_WHISPER_SOURCE_DIR} (run scripts/setup.sh); building without it")
    endif()
endif()

if(OS1_WHISPER)
    if(NOT EXISTS "${os1_whisper_source}")
        message(FATAL_ERROR "os1: OS1_WHISPER is ON but ${os1_whisper_source} is missing; run scripts/setup.sh, "
                            "or set OS1_WHISPER_SOURCE_DIR")
    endif()
    file(STRINGS "${OS1_WHISPER_SOURCE_DIR}/CMakeLists.txt" os1_whisper_project REGEX "^project\\(")
    string(REGEX MATCH "VERSION ([0-9.]+)" _ "${os1_whisper_project}")
    set(os1_whisper_version "${CMAKE_MATCH_1}")
    message(STATUS "os1: whisper.cpp ${os1_whisper_version} from ${OS1_WHISPER_SOURCE_DIR}, on llama.cpp's ggml")

    add_library(os1_whisper_cpp STATIC "${os1_whisper_source}")
    # Its own headers come first; ggml's are llama.cpp's. Third-party code: no os1 warnings.
    target_include_directories(os1_whisper_cpp PRIVATE "${OS1_WHISPER_SOURCE_DIR}/src")
    target_include_directories(os1_whisper_cpp SYSTEM PUBLIC "${OS1_WHISPER_SOURCE_DIR}/include")
    target_compile_definitions(os1_whisper_cpp PRIVATE WHISPER_VERSION="${os1_whisper_version}")
    target_compile_options(os1_whisper_cpp PRIVATE -w)
    set_target_properties(os1_whisper_cpp PROPERTIES POSITION_INDEPENDENT_CODE ON)
    target_link_libraries(os1_whisper_cpp PUBLIC os1::llama)
endif()
