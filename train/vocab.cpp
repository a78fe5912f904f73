// SPDX-License-Identifier: MIT
#include "vocab.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "../autograd/error.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace train {

namespace {
const char* kSpecials[] = {"<pad>", "<s>", "</s>", "<unk>"};
}

void Vocab::add(const std::string& token) {
    if (ids_.count(token)) return;
    ids_[token] = static_cast<Index>(tokens_.size());
    tokens_.push_back(token);
}

Vocab Vocab::characters(const std::string& alphabet) {
    Vocab v;
    for (const char* s : kSpecials) v.add(s);
    for (char c : alphabet) v.add(std::string(1, c));
    return v;
}

Vocab Vocab::words(const std::string& text, std::size_t max_size, std::size_t min_count) {
    std::map<std::string, std::size_t> counts;
    std::istringstream in(text);
    std::string w;
    while (in >> w) ++counts[w];
    std::vector<std::pair<std::string, std::size_t>> sorted(counts.begin(), counts.end());
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    Vocab v;
    v.char_level_ = false;
    for (const char* s : kSpecials) v.add(s);
    for (const auto& [word, n] : sorted) {
        if (n < min_count || (max_size && v.size() >= max_size)) break;
        v.add(word);
    }
    return v;
}

Index Vocab::id(const std::string& token) const {
    auto it = ids_.find(token);
    return it == ids_.end() ? unk : it->second;
}

const std::string& Vocab::token(Index id) const {
    if (id < 0 || static_cast<std::size_t>(id) >= tokens_.size())
        fail<ValueError>("Vocab::token: id {} is out of range for a vocabulary of {}", id, tokens_.size());
    return tokens_[static_cast<std::size_t>(id)];
}

std::vector<Index> Vocab::encode(const std::string& text, bool add_bos, bool add_eos) const {
    std::vector<Index> out;
    if (add_bos) out.push_back(bos);
    if (char_level_) {
        for (char c : text) out.push_back(id(std::string(1, c)));
    } else {
        std::istringstream in(text);
        std::string w;
        while (in >> w) out.push_back(id(w));
    }
    if (add_eos) out.push_back(eos);
    return out;
}

std::string Vocab::decode(const std::vector<Index>& ids) const {
    std::string out;
    for (Index i : ids) {
        if (i == eos) break;
        if (i == pad || i == bos) continue;
        if (!char_level_ && !out.empty()) out += ' ';
        out += token(i);
    }
    return out;
}

void Vocab::save(const std::string& path) const {
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp);
        if (!char_level_) out << "#words\n";
        else out << "#chars\n";
        for (std::size_t i = std::size(kSpecials); i < tokens_.size(); ++i) {
            if (tokens_[i] == "\n") out << "\\n\n";
            else if (tokens_[i] == "\\") out << "\\\\\n";
            else out << tokens_[i] << "\n";
        }
        if (!out) fail<Error>("Vocab::save: cannot write {}", tmp);
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) fail<Error>("Vocab::save: cannot rename {} to {}", tmp, path);
}

Vocab Vocab::load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail<Error>("Vocab::load: cannot open {}", path);
    std::stringstream ss;
    ss << in.rdbuf();
    return parse(ss.str(), path);
}

Vocab Vocab::parse(const std::string& text, const std::string& what) {
    std::istringstream in(text);
    std::string line;
    if (!std::getline(in, line) || (line != "#chars" && line != "#words"))
        fail<ValueError>("Vocab::load: {}: not a vocabulary file (first line must be #chars or #words)", what);
    Vocab v;
    v.char_level_ = line == "#chars";
    for (const char* s : kSpecials) v.add(s);
    std::size_t n = 1;
    while (std::getline(in, line)) {
        ++n;
        if (line == "\\n") line = "\n";
        else if (line == "\\\\") line = "\\";
        if (line.empty()) fail<ValueError>("Vocab::load: {}: empty token on line {}", what, n);
        if (v.char_level_ && line.size() != 1)
            fail<ValueError>("Vocab::load: {}: line {} holds '{}', not one character", what, n, line);
        if (v.ids_.count(line)) fail<ValueError>("Vocab::load: {}: token '{}' repeated on line {}", what, line, n);
        v.add(line);
    }
    return v;
}

}  // namespace train
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
