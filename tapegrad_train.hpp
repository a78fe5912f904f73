// SPDX-License-Identifier: MIT
#pragma once
// tapegrad's training helpers, as the examples use them: command-line
// flags, batches, corpora and vocabularies, a seq2seq model with greedy and
// beam-search decoding, BLEU and perplexity, progress lines and SVG plots.
// Link tapegrad::tapegrad_train (or _f64); it brings <tapegrad.hpp> along.

#include "tapegrad.hpp"
#include "train/batch.hpp"
#include "train/beam_search.hpp"
#include "train/corpus.hpp"
#include "train/flags.hpp"
#include "train/metrics.hpp"
#include "train/progress.hpp"
#include "train/resume.hpp"
#include "train/seq2seq.hpp"
#include "train/transformer_seq2seq.hpp"
#include "train/translator.hpp"
#include "train/svg.hpp"
#include "train/vocab.hpp"
