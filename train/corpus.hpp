// SPDX-License-Identifier: MIT
#pragma once
// Reading training text: plain text files (language models) and
// tab-separated parallel corpora (translation: source<TAB>target[<TAB>...]).
// Bad files fail with one clear message naming the file and line: missing,
// empty, not UTF-8, a line without a tab.

#include <string>
#include <utility>
#include <vector>

#include "../autograd/config.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace train {

using SentencePair = std::pair<std::string, std::string>;

// Whole file as text; must be non-empty valid UTF-8.
std::string load_text(const std::string& path);
// Lines "source<TAB>target[<TAB>anything]"; blank lines are skipped.
std::vector<SentencePair> load_parallel_tsv(const std::string& path);
// The same from text already in memory; `what` names it in errors.
std::vector<SentencePair> parse_parallel_tsv(const std::string& text, const std::string& what);
// Throws ValueError naming `what` and the byte offset of the first bad sequence.
void check_utf8(const std::string& text, const std::string& what);

}  // namespace train
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
