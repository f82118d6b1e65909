# CMake cache preset of the libFuzzer build (scripts/fuzz.sh uses it):
#   cmake -S . -B build-fuzz -G Ninja -C tests/fuzz/fuzz.cmake
# tests/fuzz/CMakeLists.txt instruments the fuzz targets and the plain C++
# libraries they test (core, config) for libFuzzer, ASan and UBSan; the CAF
# libraries (actors, mesh) are built plain with line tables only, which
# halves their build time (CAF itself is not instrumented either). Every
# executable links the sanitizer runtimes.
set(CMAKE_CXX_COMPILER clang++-14 CACHE STRING "")
set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "")
set(CMAKE_CXX_FLAGS_RELWITHDEBINFO "-O1 -gline-tables-only" CACHE STRING "")
set(CMAKE_EXE_LINKER_FLAGS "-fsanitize=address,undefined" CACHE STRING "")
set(CMAKE_SHARED_LINKER_FLAGS "-fsanitize=address,undefined" CACHE STRING "")
set(SWITCHBOARD_FUZZ ON CACHE BOOL "")
set(SWITCHBOARD_BUILD_EXAMPLES OFF CACHE BOOL "")
set(SWITCHBOARD_BUILD_BENCH OFF CACHE BOOL "")
set(SWITCHBOARD_PACKAGE_TEST OFF CACHE BOOL "")
