// Benchmark support: what a run found, as one record per measurement, and the two files it is written to:
// bench/results/latest.json (machine-readable) and latest.md (the report, with the charts it embeds).

import type { PairedSummary, Summary } from './stats';

export interface Measurement extends Summary {
  /** Which of the issue's measurements it belongs to (`1 shared vs per-unit`...). */
  readonly group: string;
  readonly name: string;
  readonly unit: string;
  /** For comparisons: what the charm was measured against, pair by pair in the same run. */
  readonly baseline?: string;
  readonly baseline_median?: number;
  readonly ratio?: number;
  readonly ratio_min?: number;
  readonly ratio_max?: number;
  /** The issue's target, in words, and whether this run met it. */
  readonly target?: string;
  readonly met?: boolean;
  /** True when the figure is computed on paper from smaller sizes, not measured. */
  readonly extrapolated?: boolean;
  readonly note?: string;
  /**
   * Set when a run behind the figure went wrong (a hook failed or was killed, a unit not active): the figure is then
   * not the charm's cost but the failure's, and the report lists it under Errors instead of passing it off as one.
   */
  readonly error?: string;
}

export interface ChartPoint {
  /** One small chart per panel, side by side. */
  readonly panel: string;
  readonly series: string;
  readonly x: number;
  readonly y: number;
}

export class Recorder {
  readonly measurements: Measurement[] = [];
  readonly charts = new Map<string, ChartPoint[]>();
  readonly notes: string[] = [];

  add(m: Measurement): Measurement {
    this.measurements.push(m);
    const target = m.target === undefined ? '' : ` (target ${m.target}: ${m.met ? 'met' : 'MISSED'})`;
    const ratio = m.ratio === undefined ? '' : `, ${fmt(m.ratio)}x ${m.baseline ?? 'baseline'}`;
    console.log(
      `[${m.group}] ${m.name}: ${fmt(m.median)} ${m.unit}${ratio}${target}${m.extrapolated ? ' (extrapolated)' : ''}${m.error === undefined ? '' : ` ERROR: ${m.error}`}`,
    );
    return m;
  }

  /** A figure measured once per run (a count, say), summarised over its runs. */
  summary(base: Omit<Measurement, keyof Summary>, s: Summary): Measurement {
    return this.add({ ...base, ...s });
  }

  paired(base: Omit<Measurement, keyof PairedSummary>, s: PairedSummary): Measurement {
    return this.add({ ...base, ...s });
  }

  point(chart: string, p: ChartPoint): void {
    const list = this.charts.get(chart) ?? [];
    list.push(p);
    this.charts.set(chart, list);
  }

  note(text: string): void {
    this.notes.push(text);
    console.log(`note: ${text}`);
  }
}

export function fmt(n: number | undefined): string {
  if (n === undefined || Number.isNaN(n)) return '–';
  if (Number.isInteger(n)) return String(n);
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2);
}

/** A markdown table cell: the GNU pipeline's own `|` must not split the row. */
function cell(text: string): string {
  return text.replaceAll('|', '\\|');
}

export interface ReportMeta {
  readonly startedAt: string;
  readonly quick: boolean;
  readonly machine: string;
  readonly wallSeconds: number;
  /** 1-minute load average at the start and the end: on a shared machine, what the absolute times ran under. */
  readonly load?: { readonly start: number; readonly end: number };
  /** os.loadavg() (1, 5 and 15 minutes) at the start and the end. */
  readonly loadavg?: { readonly start: readonly number[]; readonly end: readonly number[] };
}

/** The load the run ran under, 1/5/15-minute averages, as `uptime` shows them. */
function loadText(meta: ReportMeta): string {
  const f = (l: readonly number[]) => l.map((x) => x.toFixed(2)).join(', ');
  if (meta.loadavg !== undefined)
    return `, load average ${f(meta.loadavg.start)} (1, 5, 15 min) at the start and ${f(meta.loadavg.end)} at the end`;
  if (meta.load !== undefined)
    return `, load average ${meta.load.start.toFixed(1)} at the start and ${meta.load.end.toFixed(1)} at the end`;
  return '';
}

export function toJson(meta: ReportMeta, rec: Recorder): string {
  const measurements = rec.measurements.map((m) =>
    // JSON has no NaN: a ratio that cannot be taken is null.
    Object.fromEntries(Object.entries(m).map(([k, v]) => [k, typeof v === 'number' && Number.isNaN(v) ? null : v])),
  );
  return `${JSON.stringify({ ...meta, notes: rec.notes, measurements }, null, 2)}\n`;
}

export function toMarkdown(
  meta: ReportMeta,
  rec: Recorder,
  charts: ReadonlyArray<{ file: string; title: string }>,
): string {
  const lines = [
    '# concourse-ci-machine benchmark',
    '',
    `${meta.startedAt}, ${meta.quick ? '`--quick` (smallest sizes)' : 'full run'}, ${meta.machine}, ${Math.round(meta.wallSeconds)} s in all${loadText(meta)}.`,
    'Every figure is the median of its runs (min–max beside it); a ratio is the median of ratios taken pair by pair in',
    'the same run. Figures marked *extrapolated* were not measured: they are computed from the measured growth.',
    '',
  ];
  const groups = [...new Set(rec.measurements.map((m) => m.group))];
  for (const g of groups) {
    lines.push(`## ${g}`, '', '| measurement | median | min–max | runs | baseline | ratio | target | met |');
    lines.push('| --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const m of rec.measurements.filter((x) => x.group === g)) {
      const name = m.extrapolated ? `${m.name} (*extrapolated*)` : m.name;
      const base = m.baseline === undefined ? '' : cell(`${m.baseline}: ${fmt(m.baseline_median)} ${m.unit}`);
      const ratio = m.ratio === undefined ? '' : `${fmt(m.ratio)}x (${fmt(m.ratio_min)}–${fmt(m.ratio_max)})`;
      const met = m.error !== undefined ? '**error**' : m.met === undefined ? '' : m.met ? 'yes' : '**no**';
      lines.push(
        `| ${cell(name)}${m.note ? ` — ${cell(m.note)}` : ''} | ${fmt(m.median)} ${m.unit} | ${fmt(m.min)}–${fmt(m.max)} | ${m.runs} | ${base} | ${ratio} | ${m.target ?? ''} | ${met} |`,
      );
    }
    lines.push('');
  }
  if (charts.length > 0) {
    lines.push('## Charts', '');
    for (const c of charts) lines.push(`### ${c.title}`, '', `![${c.title}](${c.file})`, '');
  }
  const errors = rec.measurements.filter((m) => m.error !== undefined);
  if (errors.length > 0) {
    lines.push(
      '## Errors',
      '',
      'Figures taken from a run where something went wrong; they measure the failure, not the charm.',
      '',
    );
    lines.push(...errors.map((m) => `- ${m.group}: ${m.name}: ${m.error}.`), '');
  }
  const missed = rec.measurements.filter((m) => m.met === false);
  lines.push('## Targets missed', '');
  lines.push(
    ...(missed.length === 0
      ? ['None.']
      : missed.map(
          (m) =>
            `- ${m.group}: ${m.name} is ${fmt(m.median)} ${m.unit}${m.ratio === undefined ? '' : ` (${fmt(m.ratio)}x ${m.baseline})`}, target ${m.target}.`,
        )),
    '',
  );
  if (rec.notes.length > 0) lines.push('## Notes', '', ...rec.notes.map((n) => `- ${n}`), '');
  return lines.join('\n');
}
