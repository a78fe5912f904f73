#include "corpus.hpp"

#include <fstream>
#include <sstream>

#include "../autograd/error.hpp"

namespace tapegrad {
inline namespace TAPEGRAD_ABI_NAMESPACE {
namespace train {

void check_utf8(const std::string& s, const std::string& what) {
    std::size_t i = 0;
    while (i < s.size()) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        if (n == 0 || i + n > s.size()) fail<ValueError>("{}: not valid UTF-8 (byte {} of {})", what, i, s.size());
        for (std::size_t k = 1; k < n; ++k)
            if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2)
                fail<ValueError>("{}: not valid UTF-8 (byte {} of {})", what, i, s.size());
        i += n;
    }
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
