/** Repeated measurements: warm-up runs first, then the median and spread of the timed runs. */
export interface Figure {
  readonly section: string;
  readonly name: string;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly unit: string;
  readonly runs: number;
  readonly target?: string;
}

export interface Options {
  readonly warmups?: number;
  readonly runs?: number;
}

/** Times `run` (which may return its own measurement, e.g. per call) and returns the median and spread. */
export async function measure(
  section: string,
  name: string,
  unit: string,
  run: () => number | Promise<number>,
  { warmups = 1, runs = 5 }: Options = {},
  target?: string,
): Promise<Figure> {
  for (let index = 0; index < warmups; index++) await run();
  const values: number[] = [];
  for (let index = 0; index < runs; index++) values.push(await run());
  values.sort((a, b) => a - b);
  const median = values[Math.floor(values.length / 2)] ?? Number.NaN;
  return {
    section,
    name,
    median,
    min: values[0] ?? Number.NaN,
    max: values.at(-1) ?? Number.NaN,
    unit,
    runs,
    ...(target === undefined ? {} : { target }),
  };
}

/** A figure measured once (a size). */
export const single = (
  section: string,
  name: string,
  value: number,
  unit: string,
  target?: string,
): Figure => ({
  section,
  name,
  median: value,
  min: value,
  max: value,
  unit,
  runs: 1,
  ...(target === undefined ? {} : { target }),
});

/** Milliseconds since `start`. */
export const since = (start: number): number => performance.now() - start;

const format = (value: number): string =>
  Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 10 ? value.toFixed(1) : value.toFixed(2);

/** The figures as a markdown table. */
export function table(figures: readonly Figure[]): string {
  const rows = figures.map((figure) => {
    const spread = figure.runs > 1 ? `${format(figure.min)} – ${format(figure.max)}` : '';
    return `| ${figure.section} | ${figure.name} | ${format(figure.median)} ${figure.unit} | ${spread} | ${figure.runs} | ${figure.target ?? ''} |`;
  });
  return [
    '| section | figure | median | spread (min – max) | runs | target |',
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}
