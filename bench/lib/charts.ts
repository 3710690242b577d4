// Benchmark support: the report's charts, drawn server-side by Vega-Lite (compiled to Vega, rendered to SVG by
// vega's headless View, no browser or canvas needed): one small panel per figure, one line per series.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { ChartPoint } from './results';

export interface ChartSpec {
  readonly id: string;
  readonly title: string;
  readonly x: string;
}

export const CHARTS: readonly ChartSpec[] = [
  { id: 'storage', title: 'Downloads and bytes on disk vs units: shared volume vs per-unit copies', x: 'units' },
  { id: 'growth', title: 'Hooks and time to settle vs units, with the minimum Juju runs', x: 'units' },
  { id: 'pipeline', title: 'Download pipeline: time and peak memory vs tarball size, charm vs GNU', x: 'tarball MiB' },
];

export async function renderChart(spec: ChartSpec, points: readonly ChartPoint[]): Promise<string> {
  const vl: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values: points.map((p) => ({ ...p })) },
    facet: { column: { field: 'panel', type: 'nominal', title: null, sort: null } },
    spec: {
      width: 260,
      height: 180,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'x', type: 'quantitative', title: spec.x },
        y: { field: 'y', type: 'quantitative', title: null },
        color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom' } },
      },
    },
    resolve: { scale: { y: 'independent' } },
    config: { font: 'sans-serif', background: 'white' },
  };
  const view = new vega.View(vega.parse(compile(vl).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/** Writes one SVG per chart that has points into `dir`; returns what the report embeds. */
export async function writeCharts(
  dir: string,
  charts: ReadonlyMap<string, readonly ChartPoint[]>,
): Promise<Array<{ file: string; title: string }>> {
  const out: Array<{ file: string; title: string }> = [];
  for (const spec of CHARTS) {
    const points = charts.get(spec.id);
    if (points === undefined || points.length === 0) continue;
    const file = `${spec.id}.svg`;
    writeFileSync(join(dir, file), await renderChart(spec, points));
    out.push({ file, title: spec.title });
  }
  return out;
}
