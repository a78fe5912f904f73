// SPDX-License-Identifier: MIT
// A downstream program as the README writes one: <tapegrad/...> includes,
// token ids as Ids, named options, and a training loop that resumes from
// its checkpoint. It learns to predict the next token of a repeating
// sequence; run twice, the second run resumes after the last saved step.
// Exits 0 if the prediction is right.
#include <cstdio>
#include <filesystem>
#include <string>

#include <tapegrad/tapegrad.hpp>

using namespace tapegrad;

struct NextToken : nn::Module {
    nn::Embedding emb{6, 8};
    nn::LSTM lstm{8, 16, nn::RecurrentOptions().num_layers(2)};
    nn::Linear out{16, 6};
    NextToken() {
        register_module("emb", emb);
        register_module("lstm", lstm);
        register_module("out", out);
    }
    Tensor logits(const Ids& x) { return out(lstm(emb(x)).output); }  // [T, B] -> [T, B, 6]
};

int main(int argc, char** argv) {
    const std::string ckpt = argc > 1 ? argv[1] : "next_token.npz";
    // two sequences side by side, time-major: 0 1 2 3 4 5 0 1 ... and 3 4 5 0 1 2 ...
    const std::size_t T = 12, B = 2;
    Ids x = Ids::zeros({T, B}), y = Ids::zeros({T, B});
    for (std::size_t t = 0; t < T; ++t)
        for (std::size_t b = 0; b < B; ++b) {
            x(t, b) = Index((t + 3 * b) % 6);
            y(t, b) = Index((t + 3 * b + 1) % 6);
        }

    manual_seed(1);
    NextToken model;
    optim::Adam opt(model.parameters(), 0.02);
    nn::RunState run;
    long first = 1;
    if (std::filesystem::exists(ckpt)) {
        nn::load_checkpoint(ckpt, model, &opt, run);
        first = long(run.counter("step")) + 1;
        std::printf("consumer: resumed after step %ld\n", first - 1);
    }
    for (long step = first; step <= 150; ++step) {
        opt.zero_grad();
        cross_entropy(model.logits(x), y).backward();
        opt.step();
        run.counters["step"] = step;
        if (step % 50 == 0) nn::save_checkpoint(ckpt, model, &opt, run);
    }
    NoGradGuard no_grad;
    const Ids predicted = argmax(model.logits(x));
    std::size_t right = 0;
    for (std::size_t k = 0; k < predicted.numel(); ++k) right += predicted.data()[k] == y.data()[k];
    std::printf("consumer: tapegrad %s, %zu of %zu next tokens right\n", TAPEGRAD_VERSION, right, predicted.numel());
    return right == predicted.numel() ? 0 : 1;
}
