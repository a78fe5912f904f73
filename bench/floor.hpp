// SPDX-License-Identifier: MIT
#pragma once
// The floor: a hand-fused LSTM language-model step with no tape and no
// framework -- the same GEMMs tapegrad's layer issues (input projection and
// weight gradients batched over time, recurrent GEMMs per step) plus one fused
// elementwise pass forward and one backward. No optimizer. Whatever tapegrad
// spends beyond this is overhead.

#include <cstdint>
#include <vector>

namespace bench {

class FusedLSTM {
public:
    FusedLSTM(std::size_t E, std::size_t H, std::size_t V, std::size_t T, std::size_t B, std::uint64_t seed);
    float train_step();  // returns the loss

private:
    std::size_t E, H, V, T, B;
    std::vector<float> emb, Wih, Whh, b, Wo, bo;          // parameters
    std::vector<float> demb, dWih, dWhh, db, dWo, dbo;    // gradients
    std::vector<int> x, y;                                // [T, B] token ids
    std::vector<float> X, G, Hs, Cs, TC, logits, dH, dG, dX, dh, dc, WhhT;  // work buffers
};

}  // namespace bench
