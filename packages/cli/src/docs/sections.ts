// What a command adds for its documentation beyond its commander
// definition: man-page sections of terms that are not options (such as the
// keywords of `pval link`), and what the words after which a value follows
// take as their value, for the completion scripts.
import type { Command } from "commander";

export interface ManSection {
  title: string;
  /** [term, its description] */
  items: readonly (readonly [string, string])[];
}

/** A value to complete: network interfaces, network namespaces, files, nothing to offer, or these words. */
export type CompletionHint = "interface" | "netns" | "file" | "none" | readonly string[];

const sections = new WeakMap<Command, ManSection[]>();
const hints = new WeakMap<Command, Record<string, CompletionHint>>();

export function addManSection(cmd: Command, title: string, items: readonly (readonly [string, string])[]): void {
  const list = sections.get(cmd) ?? [];
  list.push({ title, items });
  sections.set(cmd, list);
}

export function manSections(cmd: Command): readonly ManSection[] {
  return sections.get(cmd) ?? [];
}

/** Say what follows each of these words of `cmd` (a keyword and its value). */
export function addCompletionHints(cmd: Command, words: Record<string, CompletionHint>): void {
  hints.set(cmd, { ...hints.get(cmd), ...words });
}

export function completionHints(cmd: Command): Readonly<Record<string, CompletionHint>> {
  return hints.get(cmd) ?? {};
}
