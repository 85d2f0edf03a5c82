// SamplingParams::validate: the defaults pass, and each value out of its range (NaN included)
// is an InvalidInput error naming it.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>

#include "llm/llm.h"

using os1::ErrorKind;
using os1::llm::SamplingParams;

namespace {

void expect_invalid(const std::function<void(SamplingParams&)>& change, const std::string& name) {
    SamplingParams params;
    change(params);
    auto valid = params.validate();
    ASSERT_TRUE(valid.is_error()) << name;
    EXPECT_EQ(valid.error().kind, ErrorKind::InvalidInput) << name;
    EXPECT_NE(valid.error().message.find(name), std::string::npos) << valid.error().message;
}

const float k_nan = std::numeric_limits<float>::quiet_NaN();
const float k_inf = std::numeric_limits<float>::infinity();

}  // namespace

TEST(SamplingParams, TheDefaultsAndTheEdgesOfEachRangeAreValid) {
    EXPECT_FALSE(SamplingParams{}.validate().is_error());
    SamplingParams edges;
    edges.temperature = 0;
    edges.top_p = 1;
    edges.min_p = 0;
    edges.repeat_penalty = 1;
    edges.repeat_last_n = 0;
    edges.max_tokens = 1;
    EXPECT_FALSE(edges.validate().is_error());
    edges.min_p = 1;
    edges.top_p = 0.01f;
    edges.temperature = 5;
    EXPECT_FALSE(edges.validate().is_error());
}

TEST(SamplingParams, EachValueOutOfItsRangeIsInvalidInput) {
    expect_invalid([](SamplingParams& p) { p.temperature = k_nan; }, "temperature nan");
    expect_invalid([](SamplingParams& p) { p.temperature = -0.5f; }, "temperature -0.5");
    expect_invalid([](SamplingParams& p) { p.temperature = k_inf; }, "temperature inf");
    expect_invalid([](SamplingParams& p) { p.top_p = 0; }, "top_p 0");
    expect_invalid([](SamplingParams& p) { p.top_p = -1; }, "top_p -1");
    expect_invalid([](SamplingParams& p) { p.top_p = 1.5f; }, "top_p 1.5");
    expect_invalid([](SamplingParams& p) { p.top_p = k_nan; }, "top_p nan");
    expect_invalid([](SamplingParams& p) { p.min_p = -0.1f; }, "min_p -0.1");
    expect_invalid([](SamplingParams& p) { p.min_p = 2; }, "min_p 2");
    expect_invalid([](SamplingParams& p) { p.min_p = k_nan; }, "min_p nan");
    expect_invalid([](SamplingParams& p) { p.repeat_penalty = 0; }, "repeat_penalty 0");
    expect_invalid([](SamplingParams& p) { p.repeat_penalty = -1; }, "repeat_penalty -1");
    expect_invalid([](SamplingParams& p) { p.repeat_penalty = k_nan; }, "repeat_penalty nan");
    expect_invalid([](SamplingParams& p) { p.repeat_penalty = k_inf; }, "repeat_penalty inf");
    expect_invalid([](SamplingParams& p) { p.repeat_last_n = -1; }, "repeat_last_n -1");
    expect_invalid([](SamplingParams& p) { p.max_tokens = 0; }, "max_tokens 0");
    expect_invalid([](SamplingParams& p) { p.max_tokens = -1; }, "max_tokens -1");
}
