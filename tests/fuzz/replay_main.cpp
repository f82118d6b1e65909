// Replays inputs through a fuzz target without libFuzzer: every regular file
// of the directories (recursively) and files named on the command line is
// fed to LLVMFuzzerTestOneInput once, in sorted order. A target reports a
// broken invariant by aborting, so getting to the end means every input
// passed. A directory that does not exist counts as empty (a target may have
// no regression yet); replaying nothing at all is an error.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    fs::path arg{argv[i]};
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      for (auto& entry : fs::recursive_directory_iterator{arg})
        if (entry.is_regular_file())
          inputs.push_back(entry.path());
    } else if (fs::is_regular_file(arg, ec)) {
      inputs.push_back(arg);
    } else {
      std::printf("replay: %s does not exist (no inputs there)\n", argv[i]);
    }
  }
  std::sort(inputs.begin(), inputs.end());
  for (auto& path : inputs) {
    std::ifstream in{path, std::ios::binary};
    if (!in) {
      std::printf("replay: cannot read %s\n", path.c_str());
      return 1;
    }
    std::vector<char> bytes{std::istreambuf_iterator<char>{in},
                            std::istreambuf_iterator<char>{}};
    std::printf("replay: %s (%zu bytes)\n", path.c_str(), bytes.size());
    std::fflush(stdout);
    // A copy of exactly the input's size, as libFuzzer passes it, so that
    // ASan sees any read past its end.
    std::vector<uint8_t> data(bytes.begin(), bytes.end());
    LLVMFuzzerTestOneInput(data.empty() ? nullptr : data.data(), data.size());
  }
  if (inputs.empty()) {
    std::printf("replay: no inputs\n");
    return 1;
  }
  std::printf("replay: replayed %zu inputs, every invariant held\n",
              inputs.size());
  return 0;
}
