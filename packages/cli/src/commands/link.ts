// `pval link`: add, change, show and delete pval links.
import type { CliIo } from "../command.js";
import { EXIT_USAGE } from "../command.js";

export async function main(_args: string[], io: CliIo): Promise<number> {
  io.err("link: not implemented yet\n");
  return EXIT_USAGE;
}
