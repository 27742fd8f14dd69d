// SIGINT and SIGTERM for the commands that read until stopped (`pval print
// --slots` and `-i`, `pval dump`): the first one stops them cleanly.

/** Calls `stop` on the first SIGINT or SIGTERM; returns the function that removes the handlers. */
export function onStopSignals(stop: () => void): () => void {
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return () => {
    process.removeListener("SIGINT", stop);
    process.removeListener("SIGTERM", stop);
  };
}
