/** What a command's action reports back to the program that runs it. */

/** Sets the exit code of the running command (a command's action calls it when it finishes). */
export interface Runner {
  setExitCode(code: number): void;
}
