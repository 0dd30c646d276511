// libFuzzer entry point for the Multi-Paxos fuzz target (built with clang only).
#include <cstdio>
#include <cstdlib>

#include "paxos_fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string v = paxos_fuzz::run_one(data, size);
  if (!v.empty()) {
    std::fprintf(stderr, "multi-paxos invariant violated: %s\n", v.c_str());
    std::abort();
  }
  return 0;
}
