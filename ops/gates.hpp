#pragma once
// Fused gate arithmetic of the LSTM and GRU cells: the elementwise part of
// one time step as a single op each, instead of a dozen. The GEMMs stay
// outside (linear), so a cell still reads as its equations:
//
//   LSTM  gates = W_ih x + b_ih + W_hh h + b_hh             [B, 4H], order i, f, g, o
//         c_t   = lstm_cell_state(gates, c_{t-1})   = sigma(f) * c_{t-1} + sigma(i) * tanh(g)
//         h_t   = lstm_hidden(gates, c_t)           = sigma(o) * tanh(c_t)
//
//   GRU   xg = W_ih x + b_ih,  hg = W_hh h + b_hh            [B, 3H], order r, z, n
//         h_t = gru_hidden(xg, hg, h_{t-1}):
//               r = sigma(xg_r + hg_r),  z = sigma(xg_z + hg_z)
//               n = tanh(xg_n + r * hg_n)
//               h_t = (1 - z) * n + z * h_{t-1}

#include "../autograd/tensor.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

Tensor lstm_cell_state(const Tensor& gates, const Tensor& c);
Tensor lstm_hidden(const Tensor& gates, const Tensor& c_next);
Tensor gru_hidden(const Tensor& xg, const Tensor& hg, const Tensor& h);
// The same with xg read as step t of the input gates of a whole sequence,
// [T, B, 3H], where it lies (no select copy); its gradient goes straight
// into that tensor's.
Tensor gru_hidden(const Tensor& xg_all, std::size_t t, const Tensor& hg, const Tensor& h);

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
