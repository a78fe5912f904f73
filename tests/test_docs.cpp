// SPDX-License-Identifier: MIT
// The docs quote the source: every code block in docs/*.md preceded by a
// line "<!-- from: FILE -->" must still match FILE line for line (leading and
// trailing blanks aside), so the teaching notes cannot drift from the code.
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "helpers.hpp"

namespace fs = std::filesystem;

namespace {
std::string trim(const std::string& s) {
    const auto a = s.find_first_not_of(" \t\r");
    if (a == std::string::npos) return "";
    return s.substr(a, s.find_last_not_of(" \t\r") - a + 1);
}
std::vector<std::string> lines_of(const fs::path& p) {
    std::ifstream in(p);
    std::vector<std::string> out;
    std::string l;
    while (std::getline(in, l)) out.push_back(l);
    return out;
}
}  // namespace

TEST_CASE("code quoted in docs/ still exists in the source it names", "[docs]") {
    const fs::path root = TAPEGRAD_SOURCE_DIR;
    std::size_t blocks = 0;
    for (const auto& entry : fs::directory_iterator(root / "docs")) {
        if (entry.path().extension() != ".md") continue;
        const auto doc = lines_of(entry.path());
        for (std::size_t i = 0; i + 1 < doc.size(); ++i) {
            const std::string marker = "<!-- from: ";
            if (doc[i].rfind(marker, 0) != 0) continue;
            const std::string file = doc[i].substr(marker.size(), doc[i].find(" -->") - marker.size());
            INFO(entry.path().filename().string() << " line " << i + 1 << " quotes " << file);
            REQUIRE(fs::exists(root / file));
            std::set<std::string> source;
            for (const auto& l : lines_of(root / file)) source.insert(trim(l));
            REQUIRE(doc[i + 1].rfind("```", 0) == 0);
            for (std::size_t k = i + 2; k < doc.size() && doc[k].rfind("```", 0) != 0; ++k) {
                if (trim(doc[k]).empty()) continue;
                INFO("quoted line: " << doc[k]);
                CHECK(source.count(trim(doc[k])) == 1);
            }
            ++blocks;
        }
    }
    CHECK(blocks >= 10);
}

TEST_CASE("the docs the README points to exist, and so do the pictures they show", "[docs]") {
    const fs::path root = TAPEGRAD_SOURCE_DIR;
    for (const char* f : {"docs/tape.md", "docs/equations.md", "docs/bptt.md", "docs/new_cell.md", "docs/derivatives.md",
                          "docs/images/rnn_3_steps.svg", "docs/images/lstm_step.svg", "docs/images/date_attention.svg"}) {
        INFO(f);
        CHECK(fs::exists(root / f));
    }
    std::ifstream readme(root / "README.md");
    std::stringstream ss;
    ss << readme.rdbuf();
    for (const char* link : {"docs/tape.md", "docs/equations.md", "docs/bptt.md", "docs/new_cell.md"}) {
        INFO(link);
        CHECK(ss.str().find(link) != std::string::npos);
    }
}

TEST_CASE("the example at the top of autograd/record.hpp is ops/unary.cpp's code, line for line", "[docs]") {
    const fs::path root = TAPEGRAD_SOURCE_DIR;
    std::set<std::string> source;
    for (const auto& l : lines_of(root / "ops" / "unary.cpp")) source.insert(trim(l));
    const auto header = lines_of(root / "autograd" / "record.hpp");
    std::size_t quoted = 0;
    bool in_example = false;
    for (const std::string& l : header) {
        const std::string t = trim(l);
        if (t.rfind("//   Tensor sqrt(", 0) == 0) in_example = true;
        if (!in_example) continue;
        if (t == "//") break;
        INFO("record.hpp: " << l);
        CHECK(source.count(trim(t.substr(2))) == 1);
        ++quoted;
    }
    CHECK(quoted == 5);
}
