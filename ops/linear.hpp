#pragma once
// The affine map of every layer, with PyTorch's weight layout [out, in]:
// y = x W^T + b. One GEMM with a transpose flag -- or, for a batch-sized x
// in a graph, against a transposed copy of a parameter W that the graph's
// products share (see transposed_weight in linear.cpp).

#include <memory>
#include <vector>

#include "../autograd/tensor.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

// x: [..., in], W: [out, in], b: [out] or undefined  ->  [..., out].
// Leading axes are folded into one, so [T, B, in] is a single GEMM.
Tensor linear(const Tensor& x, const Tensor& W, const Tensor& b = Tensor());

// a + linear(x, W, b) in one op: the GEMM accumulates onto a copy of `a`
// (shape [..., out]) instead of a separate add making another pass and
// another node. A recurrent step's pre-activation, W_ih x_t + W_hh h + b,
// is linear_add(projected x_t, h, W_hh, b_hh).
Tensor linear_add(const Tensor& a, const Tensor& x, const Tensor& W, const Tensor& b = Tensor());

// linear_add(select(a, t), x, W, b), reading the addend where it lies in a
// [T, ...] tensor: no copy of the slice, no select node, and its gradient
// goes straight into a's. What the sequence layers call, with the inputs of
// all steps projected at once.
Tensor linear_add(const Tensor& a, std::size_t t, const Tensor& x, const Tensor& W, const Tensor& b = Tensor());

// Hoists a cell's input projection out of the loop over time steps. While a
// StepInputs over xs [T, B, ...] is the innermost one alive on this thread,
// the step input its at(t) returns (select(xs, t)) is known to linear: with
// leaf W and b, linear(x_t, W, b) is step t of linear(xs, W, b), made for all
// T steps at its first use -- one GEMM over T*B rows instead of T GEMMs over
// B rows, with the same values and gradients. nn::Recurrent opens one around
// the steps of a cell that does not project its inputs itself, so a cell
// written as plain forward code gets the GEMM the built-in layers make. The
// weights must not change while it is open (a forward pass).
namespace detail {
// What linear does with its weight, also for matmul(x, W) with a 2-D W
// (ops/matmul.cpp): W^T, shared by the products of one graph, for a product
// of `rows` rows that is `recorded` on the tape and small enough to gain
// from it (else nullptr); and staging y's rows so that a leaf W's gradient
// X^T G is one GEMM at the walk's end (false if W does not qualify and the
// caller must do it).
std::shared_ptr<const Array> batch_transposed_weight(std::size_t rows, const Tensor& W, bool recorded);
bool stage_matmul_weight(TensorImpl& y, std::size_t rows, std::size_t in, std::size_t out);
}  // namespace detail

class StepInputs {
public:
    explicit StepInputs(Tensor xs);
    ~StepInputs();
    StepInputs(const StepInputs&) = delete;
    StepInputs& operator=(const StepInputs&) = delete;

    static StepInputs* innermost();  // nullptr outside any
    const Tensor& sequence() const { return xs_; }
    // select(xs, t); linear() recognises it until the next call
    Tensor at(std::size_t t);

    // For linear(): is x the current step input, and its projection.
    bool is_step_input(const Tensor& x) const { return x_t_.defined() && x.impl() == x_t_.impl(); }
    Tensor projected_step(const Tensor& W, const Tensor& b);

private:
    struct Projection {
        const TensorImpl* W;
        const TensorImpl* b;
        Tensor all;  // linear(xs, W, b), [T, B, out]
    };
    Tensor xs_, x_t_;
    std::size_t t_ = 0;
    std::vector<Projection> projections_;
    StepInputs* outer_;
};

}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
