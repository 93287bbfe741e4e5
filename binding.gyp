{
  "variables": {
    "tsk_common_cflags": ["-O3", "-fPIC", "-fno-math-errno", "-std=c++17"]
  },
  "targets": [
    {
      "target_name": "tamsaek",
      "sources": [
        "native/common/cpu.cpp",
        "native/simd/kernels_scalar.cpp",
        "native/topk/gemm.cpp",
        "native/topk/search.cpp",
        "native/loss/contrastive.cpp",
        "native/train/sparse.cpp",
        "native/analyze/mapped_file.cpp",
        "native/analyze/dictionary.cpp",
        "native/analyze/matrix.cpp",
        "native/analyze/feature_strings.cpp",
        "native/analyze/lattice.cpp",
        "native/analyze/tagger.cpp",
        "native/analyze/terms.cpp",
        "native/bindings/analyze.cpp",
        "native/bindings/addon.cpp",
        "native/bindings/cuda.cpp",
        "native/cuda/stub.cpp"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc": ["<@(tsk_common_cflags)"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "conditions": [
        ["target_arch=='x64' or target_arch=='ia32'", {
          "dependencies": ["tamsaek_simd_avx2"],
          "defines": ["TAMSAEK_HAVE_AVX2"]
        }],
        ["target_arch=='x64'", {
          "dependencies": ["tamsaek_simd_avx512"],
          "defines": ["TAMSAEK_HAVE_AVX512"]
        }]
      ],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "OTHER_CPLUSPLUSFLAGS": ["-O3", "-std=c++17"]
      }
    }
  ],
  "conditions": [
    ["target_arch=='x64' or target_arch=='ia32'", {
      "targets": [
        {
          "target_name": "tamsaek_simd_avx2",
          "type": "static_library",
          "sources": ["native/simd/kernels_avx2.cpp"],
          "cflags_cc": ["<@(tsk_common_cflags)", "-mavx2", "-mfma", "-mf16c"],
          "cflags_cc!": ["-fno-exceptions"],
          "xcode_settings": {
            "OTHER_CPLUSPLUSFLAGS": ["-O3", "-std=c++17", "-mavx2", "-mfma", "-mf16c"]
          }
        }
      ]
    }],
    ["target_arch=='x64'", {
      "targets": [
        {
          "target_name": "tamsaek_simd_avx512",
          "type": "static_library",
          "sources": ["native/simd/kernels_avx512.cpp"],
          "cflags_cc": ["<@(tsk_common_cflags)", "-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx2", "-mfma", "-mf16c",
                        "-Wno-uninitialized", "-Wno-maybe-uninitialized"],
          "cflags_cc!": ["-fno-exceptions"],
          "xcode_settings": {
            "OTHER_CPLUSPLUSFLAGS": ["-O3", "-std=c++17", "-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx2", "-mfma", "-mf16c"]
          }
        }
      ]
    }]
  ]
}
