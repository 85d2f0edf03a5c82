# Generates the small models that `model` tests run on, once per build tree.
foreach(spec "tiny;qwen2;f16" "tiny;llama;f16" "tiny;qwen2;q8_0")
    list(GET spec 0 preset)
    list(GET spec 1 arch)
    list(GET spec 2 quant)
    set(file ${OUT}/${preset}-${arch}-${quant}.gguf)
    if(NOT EXISTS ${file})
        if(NOT EXISTS ${OS1})
            message(FATAL_ERROR "${file} is missing and ${OS1} is not built: build os1, or point "
                                "OS1_TEST_MODELS_DIR at a build whose make_test_models ran")
        endif()
        execute_process(COMMAND ${OS1} dev make-model --preset ${preset} --arch ${arch} --quant ${quant}
                                --seed 1 --out ${file}
                        RESULT_VARIABLE rc)
        if(NOT rc EQUAL 0)
            message(FATAL_ERROR "os1 dev make-model failed for ${file}")
        endif()
    endif()
endforeach()

# The whisper.cpp model of the speech-recognition tests (random weights; see os1 dev make-whisper-model).
set(file ${OUT}/whisper-test.bin)
if(NOT EXISTS ${file})
    execute_process(COMMAND ${OS1} dev make-whisper-model --preset test --seed 1 --out ${file} RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "os1 dev make-whisper-model failed for ${file}")
    endif()
endif()
