// Which parts of the ABI header each package receives. A name is emitted
// into a target when it starts with one of the target's prefixes (structs
// match as "struct <name>").
export const targets = [
  {
    path: "packages/decode/src/generated/abi.ts",
    prefixes: [
      "PVAL_IPOPT_TYPE",
      "PVAL_IPOPT_LEN",
      "PVAL_SLOT_",
      "PVAL_RING_SLOTS_",
      "struct pval_ipopt",
      "struct pval_slot",
    ],
  },
  {
    path: "packages/netlink-pval/src/generated/abi.ts",
    prefixes: ["PVAL_ABI_VERSION", "PVAL_KIND", "PVAL_IFNAME_PATTERN", "PVAL_RING_SLOTS_", "IFLA_PVAL_"],
  },
  {
    path: "packages/chardev/src/generated/abi.ts",
    prefixes: [
      "PVAL_ABI_VERSION",
      "PVAL_DEV_",
      "PVAL_SLOT_",
      "PVAL_RING_SLOTS_",
      "PVAL_IOC_",
      "struct pval_slot",
      "struct pval_ring_stats",
    ],
  },
];
