// SPDX-License-Identifier: MIT
#pragma once
// tapegrad's version, the one place it is written (CMakeLists.txt reads it).
// CHANGELOG.md says what each version changed.

#define TAPEGRAD_VERSION_MAJOR 0
#define TAPEGRAD_VERSION_MINOR 2
#define TAPEGRAD_VERSION_PATCH 0
#define TAPEGRAD_VERSION "0.2.0"
