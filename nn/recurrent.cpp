// SPDX-License-Identifier: MIT
#include "recurrent.hpp"

#include <algorithm>

#include "../ops/checkpoint.hpp"
#include "../ops/dropout.hpp"
#include "../ops/index.hpp"
#include "../ops/shape.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace nn {

const Tensor& SequenceOutput::h_n() const {
    if (!h_n_cache.defined()) {
        std::vector<Tensor> hs;
        for (const State& s : final_states) hs.push_back(s.at(0));
        h_n_cache = stack(hs, 0);
    }
    return h_n_cache;
}

const Tensor& SequenceOutput::c_n() const {
    if (!c_n_cache.defined()) {
        std::vector<Tensor> cs;
        for (const State& s : final_states) {
            if (s.size() < 2) fail<ValueError>("c_n: the cell has no cell state (only LSTM has one)");
            cs.push_back(s[1]);
        }
        c_n_cache = stack(cs, 0);
    }
    return c_n_cache;
}

Recurrent::Recurrent(const CellFactory& make_cell, std::size_t input_size, RecurrentOptions options)
    : input_size_(input_size), options_(options), dropout_gen_(options.seed()) {
    if (options.num_layers() == 0) fail<ValueError>("Recurrent: num_layers must be at least 1");
    register_generator("dropout_generator", dropout_gen_);
    if (!(options.dropout() >= 0 && options.dropout() < 1))
        fail<ValueError>("Recurrent: dropout {} is outside [0, 1)", options.dropout());
    const std::size_t D = options.bidirectional() ? 2 : 1;
    for (std::size_t l = 0; l < options.num_layers(); ++l)
        for (std::size_t d = 0; d < D; ++d) {
            const std::size_t in = l == 0 ? input_size : D * cells_.front()->hidden_size();
            cells_.push_back(make_cell(in));
            if (cells_.back()->input_size() != in)
                fail<ValueError>("Recurrent: the cell factory made a cell of input size {} for layer {} (needs {})",
                                 cells_.back()->input_size(), l, in);
            adopt_parameters(*cells_.back(), "_l" + std::to_string(l) + (d ? "_reverse" : ""));
        }
}

RecurrentCell& Recurrent::cell(std::size_t layer, bool reverse) const {
    const std::size_t i = layer * directions() + (reverse ? 1 : 0);
    if (layer >= options_.num_layers() || (reverse && !options_.bidirectional()))
        fail<ValueError>("Recurrent::cell: no layer {}{} in a {}-layer {} layer", layer, reverse ? " (reverse)" : "",
                         options_.num_layers(), options_.bidirectional() ? "bidirectional" : "unidirectional");
    return *cells_[i];
}

namespace {
// One layer's direction in segments of k steps, each a checkpoint(): only
// the states between segments and the outputs are kept; a segment's gates
// are computed again when backward reaches it. The same steps as the
// straight loop in Recurrent::forward, segment by segment.
std::pair<Tensor, State> checkpointed_direction(const RecurrentCell& c, const Tensor& layer_in, State state,
                                                bool reverse, const std::vector<Tensor>& masks, std::size_t min_len,
                                                std::size_t k, std::size_t layer) {
    const std::size_t T = layer_in.shape()[0];
    std::vector<Tensor> pieces;  // the segments' outputs, in the order they ran
    for (std::size_t s0 = 0; s0 < T; s0 += k) {
        const std::size_t s1 = std::min(T, s0 + k);
        // the time steps [lo, hi) this segment covers, run forwards or backwards
        const std::size_t lo = reverse ? T - s1 : s0, hi = reverse ? T - s0 : s1;
        std::vector<Tensor> seg_masks(masks.begin() + std::ptrdiff_t(lo), masks.begin() + std::ptrdiff_t(hi));
        const std::size_t n_states = state.size();
        auto segment = [cell = &c, seg_masks, lo, hi, reverse, min_len, n_states](const std::vector<Tensor>& in) {
            const Tensor projected = cell->project_inputs(in[0]);  // [hi - lo, B, ...]
            const Tensor zero = Tensor::zeros(make_shape({1}));
            State st(in.begin() + 1, in.end());
            std::vector<Tensor> outs(hi - lo);
            for (std::size_t j = 0; j < hi - lo; ++j) {
                const std::size_t t = reverse ? hi - 1 - j : lo + j;
                State next = cell->checked_step(select(projected, t - lo), st);
                if (t < min_len) {
                    st = std::move(next);
                    outs[t - lo] = st[0];
                } else {  // padded entries keep their state and output zero
                    const Tensor& m = seg_masks[t - lo];
                    for (std::size_t q = 0; q < n_states; ++q) st[q] = where(m, next[q], st[q]);
                    outs[t - lo] = where(m, next[0], zero);
                }
            }
            std::vector<Tensor> result{stack(outs, 0)};
            result.insert(result.end(), st.begin(), st.end());
            return result;
        };
        std::vector<Tensor> inputs{slice(layer_in, 0, lo, hi)};
        inputs.insert(inputs.end(), state.begin(), state.end());
        std::vector<Tensor> out = checkpoint(segment, inputs,
                                             fmt::format("layer {}{}, steps {} to {}", layer,
                                                         reverse ? " (reverse)" : "", lo, hi - 1));
        pieces.push_back(out[0]);
        state = State(out.begin() + 1, out.end());
    }
    if (reverse) std::reverse(pieces.begin(), pieces.end());  // back in time order
    return {pieces.size() == 1 ? pieces[0] : concat(pieces, 0), state};
}
}  // namespace

RecurrentArgs& RecurrentArgs::lengths(const Ids& l) {
    if (l.dim() != 1) fail<ShapeError>("RecurrentArgs::lengths: lengths of shape {} are not 1-D", shape_str(l.shape()));
    std::vector<std::size_t> v;
    for (std::size_t b = 0; b < l.numel(); ++b) {
        if (l(b) < 0) fail<ValueError>("RecurrentArgs::lengths: length {} of sequence {} is negative", l(b), b);
        v.push_back(static_cast<std::size_t>(l(b)));
    }
    return lengths(std::move(v));
}

std::vector<State> Recurrent::initial_states(const RecurrentArgs& args, std::size_t B) const {
    const std::size_t n = cells_.size(), H = hidden_size(), states = cells_.front()->num_states();
    const bool pytorch_form = args.h0().defined() || args.c0().defined();
    if (pytorch_form && !args.initial().empty())
        fail<ValueError>("Recurrent: initial states given twice (h0/c0 and initial); give one form");
    if (!args.initial().empty()) {
        if (args.initial().size() != n)
            fail<ValueError>("Recurrent: {} initial states given, expected {} (layers x directions)",
                             args.initial().size(), n);
        return args.initial();
    }
    std::vector<State> out;
    for (std::size_t k = 0; k < n; ++k) out.push_back(cells_[k]->initial_state(B));
    if (!pytorch_form) return out;
    if (states > 2)
        fail<ValueError>("Recurrent: h0/c0 cover cells of one or two states; this cell has {} (use initial())", states);
    if (args.c0().defined() && states < 2)
        fail<ValueError>("Recurrent: c0 given, but the cell has no cell state (only LSTM has one)");
    if (states == 2 && args.h0().defined() != args.c0().defined())
        fail<ValueError>("Recurrent: an LSTM takes h0 and c0 together (one of them is missing)");
    const Shape want = make_shape({n, B, H});
    for (const auto& [name, t] : {std::pair<const char*, const Tensor&>{"h0", args.h0()}, {"c0", args.c0()}}) {
        if (!t.defined()) continue;
        if (t.shape() != want)
            fail<ShapeError>("Recurrent: {} has shape {}, expected {} (layers*directions, batch, hidden)", name,
                             shape_str(t.shape()), shape_str(want));
        for (std::size_t k = 0; k < n; ++k) out[k][name[0] == 'h' ? 0 : 1] = select(t, k);
    }
    return out;
}

SequenceOutput Recurrent::forward(const Tensor& input, const RecurrentArgs& args) {
    const std::vector<std::size_t>& lengths = args.lengths();
    if (input.dim() != 3 || input.shape()[2] != input_size_)
        fail("Recurrent: input of shape {} is not [{}, {}, {}]", shape_str(input.shape()),
             options_.batch_first() ? "batch" : "time", options_.batch_first() ? "time" : "batch", input_size_);
    const Tensor xs = options_.batch_first() ? transpose(input, 0, 1) : input;  // [T, B, F]
    const std::size_t T = xs.shape()[0], B = xs.shape()[1], D = directions();
    if (T == 0) fail<ValueError>("Recurrent: empty sequence (input shape {})", shape_str(input.shape()));
    if (!lengths.empty() && lengths.size() != B)
        fail<ValueError>("Recurrent: {} lengths given for a batch of {}", lengths.size(), B);
    for (std::size_t b = 0; b < lengths.size(); ++b)
        if (lengths[b] > T)
            fail<ValueError>("Recurrent: length {} of sequence {} is longer than the time axis ({})", lengths[b], b,
                             T);
    const std::vector<State> initial = initial_states(args, B);

    // Steps t >= min_len need masking: mask_t[b] = 1 while t < lengths[b].
    const std::size_t min_len = lengths.empty() ? T : *std::min_element(lengths.begin(), lengths.end());
    std::vector<Tensor> masks(T);
    for (std::size_t t = min_len; t < T; ++t) {
        Array m = Array::from_shape({B, 1});
        for (std::size_t b = 0; b < B; ++b) m(b, 0) = t < lengths[b] ? 1 : 0;
        masks[t] = Tensor(std::move(m));
    }
    const Tensor zero = Tensor::zeros(make_shape({1}));

    SequenceOutput result;
    result.final_states.resize(cells_.size());
    Tensor layer_in = xs;
    for (std::size_t l = 0; l < options_.num_layers(); ++l) {
        std::vector<Tensor> direction_outputs;
        for (std::size_t d = 0; d < D; ++d) {
            const RecurrentCell& c = *cells_[l * D + d];
            State state = initial[l * D + d];
            if (options_.checkpoint_every() > 0 && is_grad_enabled()) {
                auto [out, final_state] = checkpointed_direction(c, layer_in, state, d == 1, masks, min_len,
                                                                 options_.checkpoint_every(), l);
                result.final_states[l * D + d] = final_state;
                direction_outputs.push_back(out);
                continue;
            }
            const Tensor projected = c.project_inputs(layer_in);  // all steps in one go
            std::vector<Tensor> outs(T);
            for (std::size_t s = 0; s < T; ++s) {
                const std::size_t t = d == 0 ? s : T - 1 - s;
                State next = c.checked_step(select(projected, t), state);
                if (t < min_len) {
                    state = std::move(next);
                    outs[t] = state[0];
                } else {  // padded entries keep their state and output zero
                    for (std::size_t k = 0; k < state.size(); ++k) state[k] = where(masks[t], next[k], state[k]);
                    outs[t] = where(masks[t], next[0], zero);
                }
            }
            result.final_states[l * D + d] = state;
            direction_outputs.push_back(stack(outs, 0));
        }
        layer_in = D == 1 ? direction_outputs[0] : concat(direction_outputs, 2);
        if (l + 1 < options_.num_layers() && options_.dropout() > 0)
            layer_in = dropout(layer_in, options_.dropout(), is_training(), dropout_gen_);
    }
    result.output = options_.batch_first() ? transpose(layer_in, 0, 1) : layer_in;
    return result;
}

RNN::RNN(std::size_t in, std::size_t H, RecurrentOptions o, Nonlinearity nl, Generator& gen)
    : Recurrent([&](std::size_t i) { return std::make_unique<RNNCell>(i, H, nl, gen); }, in, o) {}

LSTM::LSTM(std::size_t in, std::size_t H, RecurrentOptions o, bool forget_bias_one, Generator& gen)
    : Recurrent([&](std::size_t i) { return std::make_unique<LSTMCell>(i, H, forget_bias_one, gen); }, in, o) {}

GRU::GRU(std::size_t in, std::size_t H, RecurrentOptions o, Generator& gen)
    : Recurrent([&](std::size_t i) { return std::make_unique<GRUCell>(i, H, gen); }, in, o) {}

}  // namespace nn
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
