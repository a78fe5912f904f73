// SPDX-License-Identifier: MIT
#pragma once
// Vocabularies: characters or words <-> ids, with the special tokens every
// sequence model needs at fixed ids: <pad> = 0, <s> = 1, </s> = 2, <unk> = 3.

#include <string>
#include <unordered_map>
#include <vector>

#include "../autograd/config.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace train {

class Vocab {
public:
    static constexpr Index pad = 0, bos = 1, eos = 2, unk = 3;

    // One token per distinct character of `alphabet`, in order of appearance.
    static Vocab characters(const std::string& alphabet);
    // Whitespace-separated words of `text`, most frequent first; at most
    // max_size tokens (0 = all), words seen fewer than min_count times dropped.
    static Vocab words(const std::string& text, std::size_t max_size = 0, std::size_t min_count = 1);

    std::size_t size() const { return tokens_.size(); }
    bool char_level() const { return char_level_; }
    Index id(const std::string& token) const;  // unk if absent
    const std::string& token(Index id) const;

    // Characters or words to ids; with bos/eos added if asked.
    std::vector<Index> encode(const std::string& text, bool add_bos = false, bool add_eos = false) const;
    // Ids to text, stopping at eos and skipping pad and bos.
    std::string decode(const std::vector<Index>& ids) const;

    // One token per line: the order defines the ids.
    void save(const std::string& path) const;
    static Vocab load(const std::string& path);
    // The same from the file's text; `what` names it in errors.
    static Vocab parse(const std::string& text, const std::string& what);

private:
    void add(const std::string& token);
    std::vector<std::string> tokens_;
    std::unordered_map<std::string, Index> ids_;
    bool char_level_ = true;
};

}  // namespace train
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
