{
  "targets": [
    {
      "target_name": "pval_chardev",
      "sources": ["native/addon.cc", "native/poller.cc", "native/reader_thread.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        # The ABI header: from the kernel module's tree in the repository, or
        # the copy that `prepack` puts beside the sources of a published package.
        "../../kmod/include/uapi",
        "native/uapi"
      ],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc": ["-std=c++17", "-pthread", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "ldflags": ["-pthread"]
    }
  ]
}
