// The packages with native addons are optional dependencies of @pval/cli:
// they build only on Linux, so npm and pnpm skip them elsewhere and the
// commands that read capture files (`print -r`, `dump -r`, `stats -r`) still
// install and run. Commands import them through loadNative(), which turns a
// missing package into one line naming it and what it is needed for.

const IMPORTERS = {
  "@pval/capture": () => import("@pval/capture"),
  "@pval/chardev": () => import("@pval/chardev"),
  "@pval/netlink": () => import("@pval/netlink"),
};

const PURPOSE: Record<NativePackage, string> = {
  "@pval/capture": "captures live through libpcap",
  "@pval/chardev": "reads the character devices of pval.ko",
  "@pval/netlink": "talks to pval links over rtnetlink",
};

export type NativePackage = keyof typeof IMPORTERS;

type Exports<N extends NativePackage> = Awaited<ReturnType<(typeof IMPORTERS)[N]>>;

/** A native package that is not installed; the message is one line. */
export class NativePackageMissingError extends Error {
  override readonly name = "NativePackageMissingError";
  readonly packageName: NativePackage;
  constructor(packageName: NativePackage, cause?: unknown) {
    super(
      `${packageName} is not installed; it ${PURPOSE[packageName]}, and as an optional dependency of ` +
        `@pval/cli it installs on Linux only (this system: ${process.platform}-${process.arch})`,
      { cause },
    );
    this.packageName = packageName;
  }
}

/** The native package `err` says could not be found, if that is what it says. */
export function missingNativePackage(err: unknown): NativePackage | undefined {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (e?.code !== "ERR_MODULE_NOT_FOUND" && e?.code !== "MODULE_NOT_FOUND") return undefined;
  const message = String(e.message);
  return (Object.keys(IMPORTERS) as NativePackage[]).find((name) => message.includes(`'${name}'`));
}

/** `import(name)`, failing with NativePackageMissingError when the package is absent. */
export async function loadNative<N extends NativePackage>(name: N): Promise<Exports<N>> {
  try {
    return (await IMPORTERS[name]()) as Exports<N>;
  } catch (err) {
    if (missingNativePackage(err) === name) throw new NativePackageMissingError(name, err);
    throw err;
  }
}
