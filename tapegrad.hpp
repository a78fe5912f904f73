#pragma once
// tapegrad: reverse-mode automatic differentiation on a dynamic tape.
// One include for everything: #include <tapegrad.hpp>

#include "autograd/backward.hpp"
#include "autograd/config.hpp"
#include "autograd/error.hpp"
#include "autograd/gradcheck.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/random.hpp"
#include "autograd/tape.hpp"
#include "autograd/tensor.hpp"
#include "ops/arithmetic.hpp"
#include "ops/broadcast.hpp"
#include "ops/dropout.hpp"
#include "ops/index.hpp"
#include "ops/linear.hpp"
#include "ops/loss.hpp"
#include "ops/matmul.hpp"
#include "ops/reduce.hpp"
#include "ops/shape.hpp"
#include "ops/softmax.hpp"
#include "ops/unary.hpp"
