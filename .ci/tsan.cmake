# CMake cache preset: the real-thread tests under ThreadSanitizer (run by
# scripts/tsan.sh). Use: cmake -S . -B build-tsan -C .ci/tsan.cmake
# Debian's libcaf is not built with -fsanitize=thread: TSan sees only this
# project's side of CAF's synchronization (see .ci/tsan.supp).
set(CMAKE_BUILD_TYPE Debug CACHE STRING "")
set(CMAKE_CXX_FLAGS_DEBUG "-O1 -g1" CACHE STRING "")
set(CMAKE_CXX_FLAGS "-fsanitize=thread -fno-omit-frame-pointer" CACHE STRING "")
set(CMAKE_EXE_LINKER_FLAGS "-fsanitize=thread" CACHE STRING "")
set(CMAKE_SHARED_LINKER_FLAGS "-fsanitize=thread" CACHE STRING "")
set(CMAKE_MODULE_LINKER_FLAGS "-fsanitize=thread" CACHE STRING "")
set(SWITCHBOARD_WERROR ON CACHE BOOL "")
set(SWITCHBOARD_BUILD_BENCH OFF CACHE BOOL "")
set(SWITCHBOARD_BUILD_EXAMPLES OFF CACHE BOOL "")
set(SWITCHBOARD_PACKAGE_TEST OFF CACHE BOOL "")
