// `pval completion bash|zsh`: print the completion script, generated from
// the definitions of pval's commands (src/docs/).
import { Argument, Command, CommanderError } from "commander";
import type { CliIo } from "../command.js";
import { EXIT_OK, EXIT_USAGE } from "../command.js";

function buildCommand(io: CliIo): Command {
  return new Command("pval completion")
    .description("print the completion script of pval for bash or zsh")
    .addArgument(new Argument("<shell>", "the shell").choices(["bash", "zsh"]))
    .helpOption("-h, --help", "show this help")
    .addHelpText(
      "after",
      "\nInstall:\n" +
        "  bash: pval completion bash > /usr/share/bash-completion/completions/pval\n" +
        "        (or: source <(pval completion bash) in ~/.bashrc)\n" +
        // biome-ignore lint/suspicious/noTemplateCurlyInString: shell code
        '  zsh:  pval completion zsh > "${fpath[1]}/_pval"\n',
    )
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err, outputError: (s, write) => write(`completion: ${s}`) });
}

export async function main(args: string[], io: CliIo): Promise<number> {
  const command = buildCommand(io);
  try {
    command.parse(args, { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    throw err;
  }
  const shell = command.processedArgs[0] as "bash" | "zsh";
  const [{ describeProgram }, { bashCompletion, zshCompletion }] = await Promise.all([
    import("../docs/describe.js"),
    import("../docs/completion.js"),
  ]);
  // Where an optional dependency is missing, its command still completes by name.
  const program = await describeProgram({ partial: true });
  io.out(shell === "bash" ? bashCompletion(program) : zshCompletion(program));
  return EXIT_OK;
}
