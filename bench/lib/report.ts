/**
 * The contract between a figure process and `bench/run.mjs`: a figure prints each result as one line
 * `@@bench-result {json}` on stdout; everything else it prints is passed through as log.
 */
export interface FigureResult {
  /** `PERF-n`, optionally with a qualifier (`PERF-4 p99`). */
  readonly figure: string;
  /** Our measured value, or null when it could not be measured (see `notes`). */
  readonly value: number | null;
  readonly unit: string;
  /** The baseline measured in the same run (same unit as `value`), or null when the figure has none. */
  readonly baseline: number | null;
  /** The ratio the target is expressed in (see `notes`), or null. */
  readonly ratio: number | null;
  /** The target, in words (`≤ 1.5×`, `≤ 1 ms`). */
  readonly target: string;
  /** Whether the target is met; null when not measured. */
  readonly pass: boolean | null;
  readonly notes: string;
}

export const RESULT_MARKER = '@@bench-result ';

/** Hands one result to the orchestrator. */
export function report(result: FigureResult): void {
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`);
}

/** Reports a figure that could not run (a missing package, for instance) and why. */
export function reportUnavailable(figure: string, unit: string, target: string, why: string): void {
  report({ figure, value: null, unit, baseline: null, ratio: null, target, pass: null, notes: why });
}

/** Log line to stderr, prefixed, so it never mixes with results. */
export function log(message: string): void {
  process.stderr.write(`  · ${message}\n`);
}

/**
 * Runs a figure process's `main` and exits: 0 once it has reported, 1 with the stack on a failure
 * (the orchestrator then shows the figure as n/a with the reason).
 *
 * @example
 * runFigure(main);
 */
export function runFigure(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
