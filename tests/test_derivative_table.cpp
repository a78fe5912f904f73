// SPDX-License-Identifier: MIT
// Keeps docs/derivatives.md and the gradient-check tests in step with ops/:
// every op name that an ops/*.cpp source passes as a quoted identifier
// ("tanh", "sum_axis", ...) must appear in the table and in
// tests/test_gradcheck_ops.cpp.
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "helpers.hpp"

namespace fs = std::filesystem;

namespace {
std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}
}  // namespace

TEST_CASE("every op in ops/ is in docs/derivatives.md and in a gradient check", "[docs]") {
    const fs::path root = TAPEGRAD_SOURCE_DIR;
    const std::string table = slurp(root / "docs" / "derivatives.md");
    const std::string checks = slurp(root / "tests" / "test_gradcheck_ops.cpp");
    REQUIRE_FALSE(table.empty());
    REQUIRE_FALSE(checks.empty());

    // op names are passed to record()/normalize_axis()/helpers as "name",
    const std::regex name_re(R"re(\w\("([a-z][a-z0-9_]*)",)re");
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(root / "ops")) {
        if (entry.path().extension() != ".cpp") continue;
        const std::string src = slurp(entry.path());
        for (std::sregex_iterator it(src.begin(), src.end(), name_re), end; it != end; ++it) names.insert((*it)[1]);
        // the elementwise functions name their nodes in pointwise::name()
        const std::regex case_re(R"re(case Code::\w+: return "([a-z][a-z0-9_]*)";)re");
        for (std::sregex_iterator it(src.begin(), src.end(), case_re), end; it != end; ++it) names.insert((*it)[1]);
    }
    CHECK(names.size() >= 35);
    for (const std::string& n : names) {
        INFO("op: " << n);
        CHECK(table.find("`" + n + "`") != std::string::npos);
        CHECK(std::regex_search(checks, std::regex("\\b" + n + "\\b")));
    }
}
