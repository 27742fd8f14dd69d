// Types of fuzz/frames.mjs for the TypeScript tests that share its generator.

/** mulberry32: a seeded generator of numbers in [0, 1). */
export function mulberry32(seed: number): () => number;

/** `count` Ethernet frames for `seed`, the same on every machine. */
export function generate(seed: number, count: number): { data: Uint8Array; origlen: number }[];
