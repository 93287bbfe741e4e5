// CPU feature detection, done once at load. Kernels are chosen from these flags at runtime;
// nothing in the build depends on the build machine's CPU (-march=native is never used).
#pragma once
#include <string>

namespace tamsaek {

struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
};

const CpuFeatures& cpu_features();
std::string cpu_features_string();

}  // namespace tamsaek
