// SPDX-License-Identifier: MIT
#include "corpus.hpp"

#include <fstream>
#include <sstream>

#include <utf8.h>

#include "../autograd/error.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace train {

// utfcpp's validator: it refuses overlong forms, surrogates (U+D800 to
// U+DFFF), code points past U+10FFFF and cut sequences, as the Unicode
// standard's table of well-formed byte sequences (3-7) requires.
void check_utf8(const std::string& s, const std::string& what) {
    const auto bad = utf8::find_invalid(s.begin(), s.end());
    if (bad != s.end())
        fail<ValueError>("{}: not valid UTF-8 (byte {} of {})", what, std::size_t(bad - s.begin()), s.size());
}

std::string load_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail<ValueError>("{}: cannot open the file", path);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    if (text.empty()) fail<ValueError>("{}: the file is empty", path);
    check_utf8(text, path);
    return text;
}

std::vector<SentencePair> parse_parallel_tsv(const std::string& text, const std::string& what) {
    check_utf8(text, what);
    std::vector<SentencePair> out;
    std::size_t line_no = 0, start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(start, end - start);
        start = end + 1;
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        const std::size_t tab = line.find('\t');
        if (tab == std::string::npos)
            fail<ValueError>("{}: line {} has no tab (expected source<TAB>target)", what, line_no);
        const std::size_t tab2 = line.find('\t', tab + 1);
        std::string src = line.substr(0, tab);
        std::string tgt = line.substr(tab + 1, tab2 == std::string::npos ? std::string::npos : tab2 - tab - 1);
        if (src.empty() || tgt.empty()) fail<ValueError>("{}: line {} has an empty source or target", what, line_no);
        out.emplace_back(std::move(src), std::move(tgt));
    }
    if (out.empty()) fail<ValueError>("{}: no sentence pairs found", what);
    return out;
}

std::vector<SentencePair> load_parallel_tsv(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail<ValueError>("{}: cannot open the file", path);
    std::stringstream ss;
    ss << in.rdbuf();
    if (ss.str().empty()) fail<ValueError>("{}: the file is empty", path);
    return parse_parallel_tsv(ss.str(), path);
}

}  // namespace train
}  // namespace TAPEGRAD_ABI_NAMESPACE
}  // namespace tapegrad
