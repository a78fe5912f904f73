// SPDX-License-Identifier: MIT
// Elementwise fusion (see fusion.hpp): pending programs, the pending views
// they read, and the one node a program becomes. The instructions' forward
// and derivative are ops/pointwise's, run here over tiles.
#include "fusion.hpp"

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <numeric>
#include <vector>

#include <xtensor/xstorage.hpp>

#include "../autograd/anomaly.hpp"
#include "parallel.hpp"
#include "../autograd/record.hpp"
#include "../ops/pointwise.hpp"
#include "../ops/shape.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {

namespace {
std::atomic<bool> g_fusion{layer_default("TAPEGRAD_FUSION")};
}  // namespace

void set_elementwise_fusion(bool on) { g_fusion.store(on, std::memory_order_relaxed); }
bool elementwise_fusion() { return g_fusion.load(std::memory_order_relaxed); }

namespace fusion {
namespace {
// Inside compute(): the eager ops called there compute at once. Per thread:
// another thread recording meanwhile still defers its own ops.
thread_local bool t_computing = false;
struct Computing {
    bool prev = t_computing;
    Computing() { t_computing = true; }
    ~Computing() { t_computing = prev; }
};

bool deferring() { return elementwise_fusion() && !t_computing && is_grad_enabled() && !anomaly_mode(); }

constexpr std::size_t kTile = 1024;   // elements per piece: a program's registers stay in L1 or close
constexpr std::size_t kMaxCode = 32;  // a longer program takes its pending operands computed
// A pending value kept in a variable -- `Tensor i = sigmoid(gi);` -- is
// copied into each program that reads it when it is this short, so a cell
// can name its gates and still run as one pass; a longer one (an LSTM's
// c_t, which the next step and h_t both read) is computed once instead.
constexpr std::size_t kInlineCode = 6;

// Small arrays of trivially copyable things (a program's instructions, its
// leaves' places, ...) kept inline: building programs allocates less.
template <class T>
using Small = xt::svector<T, 16>;

// Where an operand's elements lie in its buffer: element k of the program at
// offset + (k / seg) * stride + k % seg. A whole tensor: offset 0, seg n.
struct Place {
    std::size_t offset = 0, seg = 1, stride = 1;
    bool operator==(const Place& o) const { return offset == o.offset && seg == o.seg && stride == o.stride; }
    std::size_t at(std::size_t k) const { return offset + (k / seg) * stride + k % seg; }
};

// An instruction: register i (its index) = op(a, b, s). Operands name a
// register (>= 0) or leaf j (-1 - j).
struct Instr {
    Code op;
    int a, b;
    real s;
};
using pointwise::is_binary;

bool is_transcendental(Code c) { return c == Code::Sigmoid || c == Code::Tanh || c == Code::Exp; }

// A program, as its node's backward needs it (no tensors: the leaves are
// node inputs, by index).
struct Program {
    Small<Instr> code;
    Small<Place> place;        // of leaf j
    Small<std::size_t> input;  // leaf j reads node input input[j]
    Small<char> leaf_needs;    // leaf j's tensor wants a gradient
    Small<char> needs;         // register i depends on such a leaf
    std::size_t n = 0;               // elements
    std::size_t run = 1;             // k .. k + run from a multiple of run is contiguous in every leaf
    std::size_t rows = 1;            // runs per piece (see for_pieces)
    bool parallel = true;            // no two pieces write one gradient element
    // Backward does not run sigmoid, tanh and exp again (they cost more
    // than the rest of a program): forward keeps their values, register i
    // at saved[slot[i] * n], the last one being the node's own value.
    Small<int> slot;  // -1: recomputed
    std::unique_ptr<real[]> saved;  // uninitialised: forward writes it all
    Small<char> once;  // leaf j is read by one instruction: its gradient is written in place, no tile
    Small<char> again;  // register i is computed again in backward: some derivative reads it
    Small<int> readers;  // instructions reading register i (more than one: its adjoint is summed)
};

// ------------------------------------------------------------------ running
// A piece is `rows` consecutive runs of m elements (one row of an LSTM's
// gate blocks each, so a piece covers several rows and the instructions'
// dispatch is paid once per piece, not per row), or, for a run longer than
// a tile, m elements of one run. Registers hold a piece in element order;
// a leaf's rows lie `rs` apart in its buffer.
struct Span {
    const real* p;
    std::size_t rs;  // row stride
};

// One thread's registers, their adjoints and the leaves' adjoints.
struct Scratch {
    std::vector<real> buf;
    std::vector<char> set;
    std::vector<const real*> reg;  // where register i's values are, this piece
    std::vector<const real*> adj;  // where register i's adjoint is, this piece
    std::vector<std::size_t> pos;  // where leaf j's are in its buffer, this piece
    std::vector<std::size_t> rs;   // and its row stride
    std::vector<char> rset;
    real* tile(std::size_t i) { return buf.data() + i * kTile; }
};
thread_local Scratch t_scratch;  // per thread: the pool's workers run pieces at once

Scratch& scratch(const Program& P, std::size_t tiles) {
    Scratch& s = t_scratch;
    const std::size_t K = P.code.size(), L = P.place.size();
    if (s.buf.size() < tiles * kTile) s.buf.resize(tiles * kTile);
    if (s.set.size() < L) s.set.resize(L);
    if (s.reg.size() < K) s.reg.resize(K);
    if (s.adj.size() < K) s.adj.resize(K);
    if (s.pos.size() < L) s.pos.resize(L);
    if (s.rs.size() < L) s.rs.resize(L);
    if (s.rset.size() < K) s.rset.resize(K);
    return s;
}

// Leaf j's position for element k0 (the start of a piece), without a
// division in the common cases: a whole tensor, a block as wide as a run.
void place_leaves(const Program& P, Scratch& S, std::size_t k0) {
    for (std::size_t j = 0; j < P.place.size(); ++j) {
        const Place& p = P.place[j];
        S.pos[j] = p.seg == P.n ? p.offset + k0 : p.seg == P.run ? p.offset + k0 / P.run * p.stride + k0 % P.run : p.at(k0);
        S.rs[j] = p.seg == P.run ? p.stride : P.run;  // (pieces of several rows only when every seg is n or run)
    }
}

Span operand(int o, const Small<const real*>& x, const Scratch& S, std::size_t m) {
    if (o >= 0) return {S.reg[std::size_t(o)], m};
    const std::size_t j = std::size_t(-1 - o);
    return {x[j] + S.pos[j], S.rs[j]};
}

// The program over a piece from element k0. Forward (`out` given): every
// register computed, saved ones into P.saved, the last into out. Backward
// (out null): saved registers read where forward left them (the last from
// `value`), the others computed again.
void run_piece(const Program& P, const Small<const real*>& x, Scratch& S, std::size_t k0, std::size_t m,
               std::size_t rows, real* out, const real* value) {
    const std::size_t K = P.code.size();
    place_leaves(P, S, k0);
    for (std::size_t i = 0; i < K; ++i) {
        const Instr& in = P.code[i];
        const bool last = i + 1 == K;
        real* dst = P.slot[i] >= 0 ? P.saved.get() + std::size_t(P.slot[i]) * P.n + k0 : S.tile(i);
        if (out && last) dst = out;
        if (!out && !P.again[i]) {
            S.reg[i] = last ? value + k0 : dst;  // saved, or not read
            continue;
        }
        const Span a = operand(in.a, x, S, m);
        const Span b = is_binary(in.op) ? operand(in.b, x, S, m) : Span{nullptr, m};
        if (rows == 1 || (a.rs == m && b.rs == m))  // contiguous: one run over the piece
            pointwise::forward(in.op, in.s, {a.p, 0}, {b.p, 0}, {dst, 0}, rows * m);
        else
            pointwise::forward(in.op, in.s, {a.p, a.rs}, {b.p, b.rs}, {dst, m}, m, rows);
        S.reg[i] = dst;
    }
}

// fn(k0, m, rows) for every piece, shared among the threads unless `serial`.
template <class Fn>
void for_pieces(const Program& P, std::size_t streams, bool serial, Fn&& fn) {
    const std::size_t runs = P.n / P.run;
    const std::size_t per = P.rows > 1 ? 1 : (P.run + kTile - 1) / kTile;  // pieces per run
    const std::size_t pieces = P.rows > 1 ? (runs + P.rows - 1) / P.rows : runs * per;
    auto body = [&](std::size_t lo, std::size_t hi) {
        for (std::size_t p = lo; p < hi; ++p) {
            if (P.rows > 1) {
                fn(p * P.rows * P.run, P.run, std::min(P.rows, runs - p * P.rows));
            } else {
                const std::size_t q = p % per, k0 = p / per * P.run + q * kTile;
                fn(k0, std::min(kTile, P.run - q * kTile), std::size_t(1));
            }
        }
    };
    if (serial) {
        body(0, pieces);
        return;
    }
    // a thread's share is worth the hand-off from kElementGrain elements over all streams
    const std::size_t piece = (P.rows > 1 ? P.rows * P.run : std::min(kTile, P.run)) * std::max<std::size_t>(streams, 4);
    parallel_for(pieces, (kElementGrain + piece - 1) / piece, body);
}

// How backward writes an input's gradient.
struct GradTarget {
    real* data = nullptr;  // null: the input wants none
    bool assign = false;   // new buffer: a leaf's first write sets, not adds
    // A new buffer read as column blocks of rows `stride` wide: each piece
    // zeroes the rest of its row first (not the whole buffer up front),
    // on the thread that then writes the blocks.
    std::size_t stride = 0;
    Small<std::pair<std::size_t, std::size_t>> blocks;  // [begin, end) columns, sorted
};

// The leaves of input i, if they are disjoint column blocks of whole rows
// one piece long: its sorted blocks and row width, else nothing.
bool column_blocks(const Program& P, std::size_t i, std::size_t numel, GradTarget& t) {
    if (P.run > kTile) return false;
    for (std::size_t j = 0; j < P.place.size(); ++j) {
        if (P.input[j] != i) continue;
        const Place& p = P.place[j];
        if (p.seg != P.run || p.offset + p.seg > p.stride || (t.stride && p.stride != t.stride)) return false;
        t.stride = p.stride;
        t.blocks.push_back({p.offset, p.offset + p.seg});
    }
    if (!t.stride || numel != P.n / P.run * t.stride) return false;
    std::sort(t.blocks.begin(), t.blocks.end());
    for (std::size_t k = 1; k < t.blocks.size(); ++k)
        if (t.blocks[k - 1].second > t.blocks[k].first) return false;
    return true;
}

// The node's backward: per piece, the program's registers, then its
// instructions in reverse. A register's first reader sets its adjoint and
// any other adds to it; an add hands its adjoint to an operand only it
// reads as it is, with no copy.
void program_backward(const Program& P, TensorImpl& y) {
    const std::size_t K = P.code.size(), L = P.place.size(), nin = y.inputs.size();
    std::vector<GradTarget> out(nin);
    for (std::size_t i = 0; i < nin; ++i) {
        TensorImpl& X = *y.inputs[i];
        if (!X.requires_grad) continue;
        // from the shape: an input backward does not read may have no value left
        const std::size_t numel = xt::compute_size(X.value.shape());
        GradTarget& t = out[i];
        std::size_t leaves = 0, whole = 0;
        for (std::size_t j = 0; j < L; ++j)
            if (P.input[j] == i) {
                ++leaves;
                whole += P.place[j].offset == 0 && P.place[j].seg == P.n && numel == P.n;
            }
        const bool fresh = !X.has_grad;
        t.data = grad_into(X).data;
        if (fresh && ((leaves == 1 && whole == 1) || column_blocks(P, i, numel, t))) {
            t.assign = true;  // written whole by the pieces
        } else {
            t.stride = 0;
            if (fresh) {  // zeroed first, among the threads: the pieces add into parts of it
                real* g = t.data;
                parallel_for(numel, 4 * kElementGrain,
                             [g](std::size_t lo, std::size_t hi) { std::fill(g + lo, g + hi, real(0)); });
            }
        }
    }
    Small<const real*> x(L);
    for (std::size_t j = 0; j < L; ++j) x[j] = y.inputs[P.input[j]]->value.data();
    const real* dy = y.grad.data();
    const real* value = y.value.data();
    for_pieces(P, L + 2, !P.parallel, [&](std::size_t k0, std::size_t m, std::size_t rows) {
        Scratch& S = scratch(P, 2 * K + L);
        run_piece(P, x, S, k0, m, rows, nullptr, value);
        for (const GradTarget& t : out)
            if (t.stride)  // zero these rows but for the blocks written below
                for (std::size_t r = 0; r < rows; ++r) {
                    real* row = t.data + (k0 / P.run + r) * t.stride;
                    std::size_t c = 0;
                    for (const auto& [b, e] : t.blocks) {
                        std::fill(row + c, row + b, real(0));
                        c = e;
                    }
                    std::fill(row + c, row + t.stride, real(0));
                }
        real* adj = S.tile(K);       // registers' adjoints, where computed
        real* ladj = S.tile(2 * K);  // leaves' adjoints, for leaves read more than once
        char* set = S.set.data();    // per leaf: its adjoint holds something
        for (std::size_t j = 0; j < L; ++j)  // read once: written in place, added unless new
            set[j] = P.once[j] && out[P.input[j]].data && !out[P.input[j]].assign;
        const real** adjp = S.adj.data();
        adjp[K - 1] = dy + k0;
        char* rset = S.rset.data();  // per register: its adjoint holds something
        std::fill(rset, rset + K, char(0));
        for (std::size_t i = K; i-- > 0;) {
            if (!P.needs[i]) continue;
            const Instr& in = P.code[i];
            const real* g = adjp[i];
            auto target = [&](int o, char*& flag, std::size_t& rs) -> real* {
                rs = m;
                if (o >= 0) {
                    flag = rset + o;  // the first reader sets its adjoint, others add
                    if (!P.needs[std::size_t(o)]) return nullptr;
                    adjp[o] = adj + std::size_t(o) * kTile;
                    return adj + std::size_t(o) * kTile;
                }
                const std::size_t j = std::size_t(-1 - o);
                flag = set + j;
                if (!P.leaf_needs[j]) return nullptr;
                if (!P.once[j]) return ladj + j * kTile;
                rs = S.rs[j];
                return out[P.input[j]].data + S.pos[j];
            };
            // an add hands its adjoint to a register operand it alone reads as it is
            const bool through = in.op == Code::Add || in.op == Code::AddS || in.op == Code::Sub;
            const bool a_through = through && in.a >= 0 && P.readers[std::size_t(in.a)] == 1;
            const bool b_through = in.op == Code::Add && in.b >= 0 && P.readers[std::size_t(in.b)] == 1 && in.b != in.a;
            if (a_through) adjp[in.a] = g;
            if (b_through) adjp[in.b] = g;
            char* fa = nullptr;
            char* fb = nullptr;
            std::size_t rda = m, rdb = m;
            real* da = a_through ? nullptr : target(in.a, fa, rda);
            real* db = is_binary(in.op) && !b_through ? target(in.b, fb, rdb) : nullptr;
            if (!da && !db) continue;
            // only the operands this derivative reads (an unread input's value may be released)
            const Span a = pointwise::reads_a(in.op) ? operand(in.a, x, S, m) : Span{nullptr, m};
            const Span b = pointwise::reads_b(in.op) ? operand(in.b, x, S, m) : Span{nullptr, m};
            const real* yv = S.reg[i];
            char dummy = 0;
            char& sa = fa ? *fa : dummy;
            char& sb = fb ? *fb : dummy;
            if (rows == 1 || (a.rs == m && b.rs == m && rda == m && rdb == m))  // contiguous: one run
                pointwise::backward(in.op, in.s, {a.p, 0}, {b.p, 0}, {yv, 0}, {g, 0}, {da, 0}, sa, {db, 0}, sb,
                                    rows * m);
            else
                pointwise::backward(in.op, in.s, {a.p, a.rs}, {b.p, b.rs}, {yv, m}, {g, m}, {da, rda}, sa, {db, rdb},
                                    sb, m, rows);
        }
        for (std::size_t j = 0; j < L; ++j) {
            const GradTarget& t = out[P.input[j]];
            if (!t.data || (P.once[j] && set[j])) continue;
            for (std::size_t r = 0; r < rows; ++r) {
                real* __restrict d = t.data + S.pos[j] + r * S.rs[j];
                const real* __restrict v = ladj + j * kTile + r * m;
                if (t.assign) {
                    if (set[j]) std::copy(v, v + m, d);
                    else std::fill(d, d + m, real(0));
                } else if (set[j]) {
                    for (std::size_t k = 0; k < m; ++k) d[k] += v[k];
                }
            }
        }
    });
}

// ------------------------------------------------------------ pending kinds
enum Kind { kView = 1, kExpr = 2 };

// A value not computed yet (the core's Deferred): a program, or a view.
struct Pending : Deferred {
    Pending(int k, Shape s) : kind(k), shape(std::move(s)) {}
    const int kind;
    const Shape shape;
    // The tensor the eager ops would have built; its node is moved into the
    // pending tensor's own TensorImpl, which handles already point to.
    virtual Tensor compute() const = 0;
};

// x's pending object, if any: read under deferred_mutex(), as computing x
// destroys it.
const Pending* pending_of(const Tensor& x) {
    return static_cast<const Pending*>(x.impl()->deferred.load(std::memory_order_acquire));
}

struct ViewPending final : Pending {
    explicit ViewPending(Shape s) : Pending(kView, std::move(s)) {}
    Tensor base;
    Place place;
    std::ptrdiff_t axis;  // < 0: select(of, start)
    std::size_t start, end;
    // A view of a view (a chunk of select(xs, t)): base and place are xs's,
    // `through` the inner view, which the eager ops slice when it is computed.
    Tensor through;
    Tensor compute() const override {
        Computing c;
        const Tensor& of = through.defined() ? through : base;
        return axis < 0 ? select(of, start) : slice(of, axis, start, end);
    }
};

// If x is a pending view whose elements lie contiguously in its base: that
// base and where x starts in it (read under the lock: another thread may be
// computing x).
bool contiguous_view(const Tensor& x, Tensor& base, std::size_t& offset) {
    if (!x.is_pending()) return false;
    std::lock_guard<std::recursive_mutex> lock(deferred_mutex());
    const Pending* pd = x.is_pending() ? pending_of(x) : nullptr;
    if (!pd || pd->kind != kView) return false;
    auto* v = static_cast<const ViewPending*>(pd);
    if (v->place.seg < x.numel()) return false;
    base = v->base;
    offset = v->place.offset;
    return true;
}

std::atomic<std::uint64_t> g_next_id{1};

struct ExprPending final : Pending {
    explicit ExprPending(Shape s) : Pending(kExpr, std::move(s)) { leaves.reserve(4); }
    std::vector<Tensor> leaves;
    Small<Place> places;
    Small<Instr> code;
    std::size_t n = 0;
    // A slice of a pending program: the same instructions over the slice of
    // each operand. Each use takes it over, even from a variable -- a chunk
    // of gates computed where it is read, each element still once per use.
    bool sliced = false;
    // Which register holds each pending value copied in (by its id): one
    // read twice -- z in (1 - z) * n + z * h -- is computed once.
    const std::uint64_t id = g_next_id.fetch_add(1, std::memory_order_relaxed);
    Small<std::pair<std::uint64_t, int>> named;

    int leaf(const Tensor& t, const Place& p) {
        for (std::size_t j = 0; j < leaves.size(); ++j)
            if (leaves[j].impl() == t.impl() && places[j] == p) return -1 - int(j);
        leaves.push_back(t);
        places.push_back(p);
        return -int(leaves.size());
    }
    // The operand's register or leaf: a pending temporary's program is taken
    // over, a pending view read in place, any other pending value computed.
    int take(const Operand& x, std::size_t room) {
        std::unique_lock<std::recursive_mutex> lock(deferred_mutex(), std::defer_lock);
        if (x.t.is_pending()) lock.lock();
        if (x.t.is_pending()) {  // still, now that no other thread can compute it
            const Pending* pd = pending_of(x.t);
            if (pd->kind == kView) {
                auto* v = static_cast<const ViewPending*>(pd);
                return leaf(v->base, v->place);
            }
            auto* e = pd->kind == kExpr ? static_cast<const ExprPending*>(pd) : nullptr;
            if (e)  // a value this program has copied in already: its register
                for (const auto& [id, r] : named)
                    if (id == e->id) return r;
            if (e && (e->sliced || e->code.size() <= kInlineCode ||
                      (x.temporary && x.t.impl()->handles.load(std::memory_order_relaxed) == 1)) &&
                code.size() + e->code.size() + room <= kMaxCode) {
                Small<int> map(e->leaves.size());
                for (std::size_t j = 0; j < map.size(); ++j) map[j] = leaf(e->leaves[j], e->places[j]);
                const int base = int(code.size());
                for (Instr in : e->code) {
                    in.a = in.a >= 0 ? in.a + base : map[std::size_t(-1 - in.a)];
                    if (is_binary(in.op)) in.b = in.b >= 0 ? in.b + base : map[std::size_t(-1 - in.b)];
                    code.push_back(in);
                }
                for (const auto& [id, r] : e->named) named.push_back({id, r + base});
                named.push_back({e->id, int(code.size()) - 1});
                return int(code.size()) - 1;
            }
            x.t.resolve();
        }
        return leaf(x.t, Place{0, n, n});
    }

    bool reads_leaf() const {
        for (const Tensor& t : leaves)
            if (t.is_leaf()) return true;
        return false;
    }

    Tensor compute() const override;
    Tensor run() const;
};

Tensor ExprPending::compute() const {
    Computing c;
    bool whole = true;
    for (std::size_t j = 0; j < leaves.size(); ++j)  // (select(x, 0) of x [1, n] has offset 0 and seg n, too)
        whole = whole && places[j].offset == 0 && places[j].seg == n && leaves[j].shape() == shape;
    if (code.size() == 1 && whole) {  // the eager op itself, and its node
        const Instr& in = code[0];
        const Tensor& a = leaves[std::size_t(-1 - in.a)];
        const Tensor* b = is_binary(in.op) ? &leaves[std::size_t(-1 - in.b)] : nullptr;
        return pointwise::apply(in.op, a, b, in.s);
    }
    return run();
}

Tensor ExprPending::run() const {
    auto P = std::make_shared<Program>();
    P->code = code;
    P->place = places;
    P->n = n;
    std::vector<Tensor> inputs;
    const std::size_t L = leaves.size();
    P->input.resize(L);
    P->leaf_needs.resize(L);
    std::size_t run = n;
    for (std::size_t j = 0; j < L; ++j) {
        std::size_t i = 0;
        while (i < inputs.size() && inputs[i].impl() != leaves[j].impl()) ++i;
        if (i == inputs.size()) inputs.push_back(leaves[j]);
        P->input[j] = i;
        P->leaf_needs[j] = leaves[j].impl()->requires_grad;
        run = std::gcd(run, places[j].seg);
    }
    P->run = std::max<std::size_t>(run, 1);
    bool rows_ok = P->run <= kTile / 2;  // several runs a piece: every leaf whole, or blocks one run wide
    for (const Place& p : places) rows_ok = rows_ok && (p.seg == n || p.seg == P->run);
    if (rows_ok) P->rows = kTile / P->run;
    P->needs.resize(code.size());
    for (std::size_t i = 0; i < code.size(); ++i) {
        auto needs = [&](int o) { return o >= 0 ? P->needs[std::size_t(o)] : P->leaf_needs[std::size_t(-1 - o)]; };
        P->needs[i] = needs(code[i].a) || (is_binary(code[i].op) && needs(code[i].b));
    }
    // Two leaves of one tensor that wants a gradient: pieces on different
    // threads must not write one element. Blocks of the same rows in
    // separate columns (an LSTM's gates) never do; anything else runs serially.
    for (std::size_t j = 0; j < L && P->parallel; ++j)
        for (std::size_t l = j + 1; l < L && P->parallel; ++l) {
            if (P->input[j] != P->input[l] || !P->leaf_needs[j]) continue;
            const Place &p = places[j], &q = places[l];
            const bool flat = p.seg >= n && q.seg >= n &&
                              (p.offset + n <= q.offset || q.offset + n <= p.offset);
            const bool columns = p.seg == q.seg && p.stride == q.stride && p.seg <= p.stride &&
                                 p.offset / p.stride == q.offset / q.stride &&
                                 (p.offset % p.stride + p.seg <= q.offset % q.stride ||
                                  q.offset % q.stride + q.seg <= p.offset % p.stride);
            P->parallel = flat || columns;
        }
    const std::size_t K = code.size();
    P->slot.assign(K, -1);
    int slots = 0;
    for (std::size_t i = 0; i + 1 < K; ++i)
        if (is_transcendental(code[i].op) && P->needs[i]) P->slot[i] = slots++;
    if (slots) P->saved.reset(new real[std::size_t(slots) * n]);
    // Which registers and leaves backward reads: what each derivative reads
    // (pointwise::reads_*), and, to compute those again, their operands.
    Small<char> read(K, 0), leaf_read(L, 0);
    auto mark = [&](int o) {
        if (o >= 0) read[std::size_t(o)] = 1;
        else leaf_read[std::size_t(-1 - o)] = 1;
    };
    for (std::size_t i = 0; i < K; ++i) {
        const Code c = code[i].op;
        if (pointwise::reads_a(c)) mark(code[i].a);
        if (pointwise::reads_b(c)) mark(code[i].b);
        if (pointwise::reads_y(c)) read[i] = 1;
    }
    P->again.assign(K, 0);
    for (std::size_t i = K; i-- > 0;) {
        const bool kept = P->slot[i] >= 0 || (i + 1 == K && is_transcendental(code[i].op));
        if (!read[i] || kept) continue;
        P->again[i] = 1;
        mark(code[i].a);
        if (is_binary(code[i].op)) mark(code[i].b);
    }
    P->readers.assign(K, 0);
    for (const Instr& in : code) {
        if (in.a >= 0) ++P->readers[std::size_t(in.a)];
        if (is_binary(in.op) && in.b >= 0) ++P->readers[std::size_t(in.b)];
    }
    P->once.assign(L, 0);
    for (std::size_t j = 0; j < L; ++j) {
        int uses = 0;
        for (const Instr& in : code) uses += (in.a == -1 - int(j)) + (is_binary(in.op) && in.b == -1 - int(j));
        P->once[j] = uses == 1;
    }
    Small<const real*> x(L);
    for (std::size_t j = 0; j < L; ++j) x[j] = leaves[j].data();
    Array y = Array::from_shape(shape);
    real* out = y.data();
    for_pieces(*P, L + 1, false, [&](std::size_t k0, std::size_t m, std::size_t rows) {
        Scratch& S = scratch(*P, K);
        run_piece(*P, x, S, k0, m, rows, out + k0, nullptr);
    });
    // Backward reads the inputs marked above (not a sum's operands: an
    // LSTM's gate pre-activations go once the program has run).
    std::vector<Input> in(inputs.begin(), inputs.end());
    for (Input& i : in) i.read = false;
    for (std::size_t j = 0; j < L; ++j)
        if (leaf_read[j]) in[P->input[j]].read = true;
    const Output out_read = is_transcendental(code.back().op) ? Output::read : Output::unread;
    return record("elementwise", std::move(y), in, [P](TensorImpl& self) { program_backward(*P, self); }, out_read);
}

// `reads_leaf`: some operand is a leaf (a parameter, an input), which
// mutable_value() may overwrite; only then is the pending value tracked
// (track_pending). Op outputs are not written in place by the library.
// Pending values made by this thread that read a leaf: a write to a leaf
// (mutable_value) computes them first, so they see the values they were
// made from. Per thread: a thread's writes concern the values it made.
thread_local std::vector<std::weak_ptr<TensorImpl>> t_tracked;

void track_pending(const ImplPtr& impl) {
    if (t_tracked.size() >= 256)  // forget the ones computed or gone
        t_tracked.erase(std::remove_if(t_tracked.begin(), t_tracked.end(),
                                       [](const std::weak_ptr<TensorImpl>& w) {
                                           auto p = w.lock();
                                           return !p || !p->deferred.load(std::memory_order_acquire);
                                       }),
                        t_tracked.end());
    t_tracked.push_back(impl);
}

Tensor make_pending(std::unique_ptr<Pending> p, bool reads_leaf) {
    auto impl = std::make_shared<TensorImpl>(shape_only(p->shape));
    impl->requires_grad = true;
    impl->deferred.store(p.release(), std::memory_order_release);
    if (reads_leaf) track_pending(impl);
    return Tensor(std::move(impl));
}

// The program of a pending temporary nobody else holds, taken out of it
// rather than copied; null if there is none. The husk left behind is never
// read: its only handle is the caller's temporary.
std::unique_ptr<ExprPending> steal(const Operand& x, std::size_t room, const Tensor* other) {
    TensorImpl* t = x.t.impl();
    if (!x.temporary || !x.t.is_pending()) return nullptr;
    std::lock_guard<std::recursive_mutex> lock(deferred_mutex());
    const Pending* pd = x.t.is_pending() ? pending_of(x.t) : nullptr;
    if (!pd || pd->kind != kExpr || t->handles.load(std::memory_order_relaxed) != 1 || (other && other->impl() == t))
        return nullptr;
    if (static_cast<const ExprPending*>(pd)->code.size() + room > kMaxCode) return nullptr;
    t->op = "elementwise";  // the husk left: a read says its value is gone, not an empty array
    return std::unique_ptr<ExprPending>(static_cast<ExprPending*>(t->deferred.exchange(nullptr)));
}

// A program whose last register (ra) is a's value: a pending temporary's
// own, taken over, or a new one reading a.
std::unique_ptr<ExprPending> begin(const Operand& a, std::size_t room, const Tensor* other, int& ra) {
    if (auto P = steal(a, room, other)) {
        ra = int(P->code.size()) - 1;
        return P;
    }
    auto P = std::make_unique<ExprPending>(a.t.shape());
    P->n = a.t.numel();
    ra = P->take(a, room);
    return P;
}

// The program with its last instruction, as a pending tensor.
Tensor finish(std::unique_ptr<ExprPending> P, const Instr& in) {
    P->code.push_back(in);
    const bool leaf = P->reads_leaf();
    return make_pending(std::move(P), leaf);
}
}  // namespace

Tensor defer(Code op, const Operand& a, real s) {
    if (!deferring() || !needs_record({&a.t}) || a.t.numel() == 0) return {};
    int ra;
    auto P = begin(a, 1, nullptr, ra);
    return finish(std::move(P), {op, ra, 0, s});
}

Tensor defer(Code op, const Operand& a, const Operand& b) {
    if (!deferring() || !a.t.defined() || !b.t.defined() || !needs_record({&a.t, &b.t})) return {};
    if (a.t.shape() != b.t.shape() || a.t.numel() == 0) return {};  // broadcasting: the eager op
    int ra;
    auto P = begin(a, 2, &b.t, ra);
    const int rb = P->take(b, 1);
    return finish(std::move(P), {op, ra, rb, 0});
}

Tensor view(const Tensor& x, const Shape& shape, std::size_t offset, std::size_t seg, std::size_t stride,
            std::ptrdiff_t axis, std::size_t start, std::size_t end) {
    if (!deferring() || !needs_record({&x}) || seg == 0) return {};
    if (x.is_pending()) {
        std::lock_guard<std::recursive_mutex> lock(deferred_mutex());
        const Pending* pd = x.is_pending() ? pending_of(x) : nullptr;
        if (pd && pd->kind == kExpr) {  // a slice of a program over contiguous operands: the program over slices
            auto* e = static_cast<const ExprPending*>(pd);
            bool contiguous = true;
            for (const Place& p : e->places) contiguous = contiguous && p.seg == e->n;
            if (contiguous) {
                auto E = std::make_unique<ExprPending>(shape);
                E->leaves = e->leaves;
                for (const Place& p : e->places) E->places.push_back(Place{p.offset + offset, seg, stride});
                E->code = e->code;
                E->n = 1;
                for (std::size_t d : shape) E->n *= d;
                E->sliced = true;
                const bool leaf = E->reads_leaf();
                return make_pending(std::move(E), leaf);
            }
        }
    }
    auto V = std::make_unique<ViewPending>(shape);
    V->place = Place{offset, seg, stride};
    std::size_t inner = 0;
    if (contiguous_view(x, V->base, inner)) {  // chunk(select(xs, t)): a view of xs
        V->place.offset += inner;
        V->through = x;
    } else {
        x.resolve();  // a view reads a computed buffer
        V->base = x;
    }
    V->axis = axis;
    V->start = start;
    V->end = end;
    const bool leaf = V->base.is_leaf();
    return make_pending(std::move(V), leaf);
}

// ------------------------------------------------------- the core's hooks
void compute_deferred(TensorImpl& t) {  // called under deferred_mutex()
    auto* p = static_cast<Pending*>(t.deferred.load(std::memory_order_acquire));
    if (!p) return;
    Tensor r;
    {
        // Pending tensors are made only while recording; computed later,
        // they are recorded all the same, whatever the grad mode is by then.
        GradModeGuard recording(true);
        r = p->compute();
    }
    // t takes over r's value and node; r was built just now and is not shared.
    TensorImpl& R = *r.impl();
    t.value = std::move(R.value);
    t.op = R.op;
    t.inputs = std::move(R.inputs);
    t.backward = std::move(R.backward);
    t.seq = R.seq;  // a fresh number: later than every input's
    t.requires_grad = R.requires_grad;
    t.label = std::move(R.label);
    t.value_read = R.value_read;
    t.reads_inputs = R.reads_inputs;
    R.op = nullptr;
    t.deferred.store(nullptr, std::memory_order_release);
    delete p;
}

void before_write(TensorImpl&) {
    std::vector<std::weak_ptr<TensorImpl>> tracked;
    tracked.swap(t_tracked);
    for (auto& w : tracked)
        if (auto p = w.lock()) Tensor(std::move(p)).resolve();
}

}  // namespace fusion
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
