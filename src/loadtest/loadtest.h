// The loadtest module's public surface: load against OpenAI-compatible servers over loopback
// (simulated users holding conversations, a crowd of waiting streams), the statistics it is
// summed up with, and the benchmark behind `os1 bench serve`, which measures os1's server
// against llama.cpp's llama-server in the same run. Other modules include this header only.
#pragma once

#include "loadtest/idle-connections.h"
#include "loadtest/latency-stats.h"
#include "loadtest/llama-server.h"
#include "loadtest/load-driver.h"
#include "loadtest/process-status.h"
#include "loadtest/serve-bench.h"
