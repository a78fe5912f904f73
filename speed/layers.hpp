// SPDX-License-Identifier: MIT
#pragma once
// The speed layers over the core. Each lives in its own files, attaches to
// the core through autograd/hooks.hpp or is called by the ops it serves,
// and can be switched off; with all of them off tapegrad computes the same
// values and gradients (to rounding), op by op:
//
//   elementwise fusion     speed/fusion.hpp           TAPEGRAD_FUSION=0
//   staged weight GEMMs    speed/staged_gemm.hpp      TAPEGRAD_STAGED_GEMM=1 (off by default)
//   transposed weights     speed/transposed_weight.hpp TAPEGRAD_TRANSPOSED_WEIGHT=0
//   value release          speed/value_release.hpp    TAPEGRAD_VALUE_RELEASE=0
//   the thread pool        speed/parallel.hpp         TAPEGRAD_NUM_THREADS=1
//   freed memory kept      speed/layers.cpp           TAPEGRAD_KEEP_FREED_MEMORY=0
//                          (for reuse by the next step: fewer page faults)
//
// TAPEGRAD_SPEED=0 turns every one of them off; set_speed_layers(false)
// does the same from code. What each buys: docs/tape.md, "Speed layers".

#include "../autograd/tensor.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

// Every layer as it starts by default (true) or off (false). Not to be
// called while another thread is inside a tapegrad operation.
void set_speed_layers(bool on);

// A layer's switch at start-up: `on` unless its variable says "0" or "1",
// and off whatever it says if TAPEGRAD_SPEED is "0".
bool layer_default(const char* env, bool on = true);

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
