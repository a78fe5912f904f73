// SPDX-License-Identifier: MIT
#pragma once
// The date-translation task: human-written dates in many surface forms
// ("3rd of March 2021", "Tue 03/03/21", "march 3 2021", ...) to ISO format
// ("2021-03-03"). Generated deterministically from a seed; nothing to download.

#include <array>
#include <cstdint>
#include <random>
#include <string>

namespace dates {

struct Pair {
    std::string human, iso;
};

inline const std::array<const char*, 12> kMonths = {"January", "February", "March",     "April",   "May",      "June",
                                                    "July",    "August",   "September", "October", "November", "December"};
inline const std::array<const char*, 7> kDays = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};

// Every character the generator can produce (the source alphabet).
inline const std::string kAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ,./-";

inline int days_in_month(int y, int m) {
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : d[m - 1];
}

// 0 = Monday; Sakamoto's method.
inline int weekday(int y, int m, int d) {
    static const int t[] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
    if (m < 3) y -= 1;
    return ((y + y / 4 - y / 100 + y / 400 + t[m - 1] + d) + 6) % 7;
}

inline std::string ordinal(int d) {
    const char* suf = (d % 100 >= 11 && d % 100 <= 13) ? "th" : d % 10 == 1 ? "st" : d % 10 == 2 ? "nd" : d % 10 == 3 ? "rd" : "th";
    return std::to_string(d) + suf;
}

inline std::string two(int v) { return (v < 10 ? "0" : "") + std::to_string(v); }
inline std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}
inline std::string upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

constexpr int kFormats = 14;

inline Pair make(std::mt19937_64& rng) {
    const int y = 1950 + int(rng() % 100), m = 1 + int(rng() % 12), d = 1 + int(rng() % days_in_month(y, m));
    const std::string month = kMonths[m - 1], mon = std::string(month).substr(0, 3);
    const std::string day = kDays[weekday(y, m, d)], dy = day.substr(0, 3);
    const std::string yyyy = std::to_string(y), yy = two(y % 100), D = std::to_string(d), M = std::to_string(m);
    std::string h;
    switch (int(rng() % kFormats)) {
        case 0: h = ordinal(d) + " of " + month + " " + yyyy; break;    // 3rd of March 2021
        case 1: h = dy + " " + two(d) + "/" + two(m) + "/" + yy; break;  // Wed 03/03/21 (day first)
        case 2: h = lower(month) + " " + D + " " + yyyy; break;           // march 3 2021
        case 3: h = D + " " + mon + " " + yyyy; break;                    // 3 Mar 2021
        case 4: h = month + " " + D + ", " + yyyy; break;                 // March 3, 2021
        case 5: h = day + ", " + month + " " + D + ", " + yyyy; break;    // Wednesday, March 3, 2021
        case 6: h = two(d) + "." + two(m) + "." + yyyy; break;            // 03.03.2021
        case 7: h = yyyy + "/" + two(m) + "/" + two(d); break;            // 2021/03/03
        case 8: h = D + "/" + M + "/" + yyyy; break;                      // 3/3/2021 (day first)
        case 9: h = upper(mon) + " " + D + " " + yyyy; break;             // MAR 3 2021
        case 10: h = "the " + ordinal(d) + " of " + lower(month) + ", " + yyyy; break;
        case 11: h = dy + ", " + D + " " + mon + " " + yy; break;         // Wed, 3 Mar 21
        case 12: h = ordinal(d) + " " + month + " " + yyyy; break;        // 3rd March 2021
        default: h = lower(dy) + " " + lower(mon) + " " + D + " " + yyyy; break;  // wed mar 3 2021
    }
    // two-digit years are read as 1950-2049, the range generated
    return {h, yyyy + "-" + two(m) + "-" + two(d)};
}

}  // namespace dates
