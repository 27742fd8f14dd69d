// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are shell code, where ${...} is the shell's
// Bash and zsh completion scripts from the command tree. Both scripts find
// the command path in the words typed so far (skipping options and their
// values, taking aliases and iproute2 prefixes of the link verbs as written
// in the tree), then offer that command's options, subcommands, keywords
// and, after an option or keyword that takes a value, its values.
import type { CommandDoc } from "./describe.js";
import type { CompletionHint } from "./sections.js";

interface Node {
  /** "link/add"; "" for the program. */
  key: string;
  cmd: CommandDoc;
}

function nodes(cmd: CommandDoc): Node[] {
  return [{ key: cmd.path.slice(1).join("/"), cmd }, ...cmd.subcommands.flatMap(nodes)];
}

/** What the value of an option is, from its choices or its value name. */
function optionHint(value: string | undefined, choices: readonly string[] | undefined): CompletionHint {
  if (choices !== undefined) return choices;
  if (value === undefined) return "none";
  if (/FILE/.test(value)) return "file";
  if (/NETNS/.test(value)) return "netns";
  return "none";
}

/** Words after which a value follows, with what to offer for it. */
function valueWords(cmd: CommandDoc): [string[], CompletionHint][] {
  const out: [string[], CompletionHint][] = [];
  for (const o of cmd.options) if (o.value !== undefined) out.push([o.names, optionHint(o.value, o.choices)]);
  for (const [word, hint] of Object.entries(cmd.hints)) out.push([[word], hint]);
  return out;
}

/** The words that complete at this point, but option values: options, subcommands, keywords. */
function offered(cmd: CommandDoc): { options: string[]; words: string[]; positional: boolean } {
  const options = cmd.options.flatMap((o) => o.names);
  const words = [...cmd.subcommands.map((s) => s.path.at(-1)!), ...cmd.arguments.flatMap((a) => a.choices ?? [])];
  const positional = cmd.arguments.some((a) => a.choices === undefined);
  return { options, words, positional };
}

/** Every word that selects a subcommand of `node`: name and aliases. */
function selectors(node: Node): [string, string][] {
  return node.cmd.subcommands.flatMap((s) => {
    const key = s.path.slice(1).join("/");
    return [s.path.at(-1)!, ...s.aliases].map((w): [string, string] => [w, key]);
  });
}

const shellWord = (w: string): string => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, "'\\''")}'`);

function hintWords(hint: CompletionHint): string {
  return typeof hint === "string" ? hint : `words ${hint.map(shellWord).join(" ")}`;
}

/**
 * The middle both scripts share (their case syntax is the same): find the
 * command path in the words before the cursor, then, after an option or
 * keyword that takes a value, offer its values and return.
 */
function pathAndValues(all: Node[]): string[] {
  const lines = ['\t\tcase "$path:$w" in'];
  for (const node of all) {
    const takesValue = valueWords(node.cmd).flatMap(([words]) => words);
    if (takesValue.length > 0) {
      lines.push(`\t\t${takesValue.map((w) => shellWord(`${node.key}:${w}`)).join("|")}) skip=1; continue ;;`);
    }
  }
  lines.push("\t\t*:-*) continue ;;");
  for (const node of all) {
    for (const [word, key] of selectors(node)) {
      lines.push(`\t\t${shellWord(`${node.key}:${word}`)}) path=${key}; continue ;;`);
    }
  }
  lines.push("\t\tesac", "\tdone", '\tcase "$path:$prev" in');
  for (const node of all) {
    for (const [words, hint] of valueWords(node.cmd)) {
      lines.push(
        `\t${words.map((w) => shellWord(`${node.key}:${w}`)).join("|")}) _pval_offer ${hintWords(hint)}; return ;;`,
      );
    }
  }
  lines.push("\tesac");
  return lines;
}

/** The bash script: `source <(pval completion bash)` or install as /usr/share/bash-completion/completions/pval. */
export function bashCompletion(program: CommandDoc): string {
  const all = nodes(program);
  const lines = [
    "# bash completion for pval, generated from its commands' definitions (pval completion bash)",
    "_pval_offer()",
    "{",
    "\tlocal kind=$1; shift",
    "\tcase $kind in",
    '\tinterface) COMPREPLY=($(compgen -W "$(command ls /sys/class/net 2>/dev/null)" -- "$cur")) ;;',
    '\tnetns) COMPREPLY=($(compgen -W "$(command ls /run/netns 2>/dev/null)" -- "$cur")) ;;',
    '\tfile) COMPREPLY=($(compgen -f -- "$cur")) ;;',
    "\tnone) COMPREPLY=() ;;",
    '\twords) COMPREPLY=($(compgen -W "$*" -- "$cur")) ;;',
    "\tesac",
    "}",
    "",
    "_pval()",
    "{",
    "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}",
    '\tlocal path="" w i skip=0',
    "\tfor ((i = 1; i < COMP_CWORD; i++)); do",
    "\t\tw=${COMP_WORDS[i]}",
    "\t\tif ((skip)); then skip=0; continue; fi",
    ...pathAndValues(all),
  ];
  lines.push('\tcase "$path" in');
  for (const node of all) {
    const { options, words, positional } = offered(node.cmd);
    lines.push(`\t${node.key === "" ? '""' : shellWord(node.key)})`);
    if (options.length > 0) {
      lines.push(`\t\tif [[ $cur == -* ]]; then _pval_offer words ${options.map(shellWord).join(" ")}; return; fi`);
    }
    if (positional)
      lines.push(
        '\t\t_pval_offer file; COMPREPLY+=($(compgen -W "$(command ls /sys/class/net 2>/dev/null)" -- "$cur"))',
      );
    if (words.length > 0) {
      const add = node.cmd.hints.dev === "interface" ? " $(command ls /sys/class/net 2>/dev/null)" : "";
      lines.push(`\t\tCOMPREPLY+=($(compgen -W "${words.join(" ")}${add}" -- "$cur"))`);
    }
    lines.push("\t\t;;");
  }
  lines.push("\tesac", "}", "complete -F _pval pval", "");
  return lines.join("\n");
}

const zshQuote = (w: string): string => `'${w.replace(/'/g, "'\\''")}'`;
const described = (word: string, text: string): string => zshQuote(`${word.replace(/:/g, "\\:")}:${text}`);

/** The zsh script: install as _pval in a directory of $fpath, or `source <(pval completion zsh)` after compinit. */
export function zshCompletion(program: CommandDoc): string {
  const all = nodes(program);
  const lines = [
    "#compdef pval",
    "# zsh completion for pval, generated from its commands' definitions (pval completion zsh)",
    "_pval_offer() {",
    "\tlocal kind=$1; shift",
    "\tcase $kind in",
    '\tinterface) compadd -- ${(f)"$(command ls /sys/class/net 2>/dev/null)"} ;;',
    '\tnetns) compadd -- ${(f)"$(command ls /run/netns 2>/dev/null)"} ;;',
    "\tfile) _files ;;",
    "\tnone) _message value ;;",
    '\twords) compadd -- "$@" ;;',
    "\tesac",
    "}",
    "",
    "_pval() {",
    '\tlocal cur=${words[CURRENT]} prev=${words[CURRENT-1]} path="" w i skip=0',
    "\tlocal -a opts subs",
    "\tfor ((i = 2; i < CURRENT; i++)); do",
    "\t\tw=${words[i]}",
    "\t\tif ((skip)); then skip=0; continue; fi",
    ...pathAndValues(all),
  ];
  lines.push('\tcase "$path" in');
  for (const node of all) {
    const cmd = node.cmd;
    lines.push(`\t${node.key === "" ? '""' : zshQuote(node.key)})`);
    const opts = cmd.options.flatMap((o) => o.names.map((n) => described(n, o.description)));
    if (opts.length > 0) {
      lines.push(
        `\t\tif [[ $cur == -* ]]; then opts=(${opts.join(" ")}); _describe -t options option opts; return; fi`,
      );
    }
    const subs = cmd.subcommands.map((s) => described(s.path.at(-1)!, s.summary));
    if (subs.length > 0) lines.push(`\t\tsubs=(${subs.join(" ")}); _describe -t commands command subs`);
    const words = cmd.arguments.flatMap((a) => a.choices ?? []);
    if (words.length > 0) lines.push(`\t\tcompadd -- ${words.map(zshQuote).join(" ")}`);
    if (cmd.hints.dev === "interface") lines.push("\t\t_pval_offer interface");
    if (cmd.arguments.some((a) => a.choices === undefined)) lines.push("\t\t_files; _pval_offer interface");
    lines.push("\t\t;;");
  }
  lines.push(
    "\tesac",
    "}",
    "",
    'if [[ $zsh_eval_context[-1] == loadautofunc ]]; then _pval "$@"; else compdef _pval pval; fi',
    "",
  );
  return lines.join("\n");
}
