// The one place that maps outcomes to process exit codes (documented in README.md). A leaf: it imports
// nothing of the project, so runtime/ and harness/ can both depend on it.
export const EXIT = {
  ok: 0,
  /** the run finished but some trials failed */
  trialsFailed: 1,
  /** bad spec, bad flags, bad input files: nothing was started */
  usage: 2,
  /** `flexbench compare` found a regression */
  regression: 3,
  /** `flexbench compare --strict` could not decide */
  inconclusive: 4,
  /** a required tool, host or store is missing or unreachable */
  environment: 5,
  /** `flexbench orderings` found two runs ordering a pair of cells the opposite way (or apart against within the margin) */
  contradiction: 6,
  /** interrupted by SIGINT/SIGTERM (128 + SIGINT) */
  interrupted: 130,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error that knows its exit code; anything else thrown is an internal error (exit 70). */
export class FlexbenchError extends Error {
  constructor(message: string, readonly exitCode: ExitCode = EXIT.usage, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FlexbenchError';
  }
}
export const INTERNAL_ERROR = 70;
