// Hooks: binds what the observability relations need (the charm's rules and dashboards, the dashboard encoding)
// into a hook's container; kept apart from container.ts so their wiring reads in one place.

import type { Container } from 'inversify';
import { FsTelemetryAssets } from '../adapters/fs-telemetry-assets';
import { LzmaDashboardCodec } from '../adapters/lzma-dashboard-codec';
import type { HookContext } from '../domain/hook-event';
import { DASHBOARD_CODEC, TELEMETRY_ASSETS } from '../ports/telemetry-assets';
import { MetricsLink } from './reconcile/metrics-link';

export function bindMetrics(c: Container, context: HookContext): void {
  c.bind(TELEMETRY_ASSETS).toConstantValue(new FsTelemetryAssets(context.charmDir));
  c.bind(DASHBOARD_CODEC).toConstantValue(new LzmaDashboardCodec());
  c.bind(MetricsLink).toSelf();
}
