// Domain: alert rule groups as the charm libraries publish them (cosl `Rules._from_dict`, canonical/cos-lib
// src/cosl/rules.py): group names prefixed with the topology identifier and ending in `_rules`, every rule labelled
// with the `juju_*` topology and its expression filtered to this application, plus cosl's generic HostHealth group.

import { z } from 'zod';
import { InvalidInputError } from '../errors';
import { EXPRESSION_LABELS, type JujuTopology, ruleLabels, topologyIdentifier } from './juju-topology';
import { injectMatchers } from './promql-matchers';

const ruleSchema = z
  .object({
    alert: z.string().min(1),
    expr: z.string().min(1),
    for: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  })
  .strict();

const groupSchema = z.object({ name: z.string().min(1), rules: z.array(ruleSchema).min(1) }).strict();

/** A Prometheus rule file (`groups:`), as `promtool check rules` would accept its alerting part. */
export const ruleFileSchema = z.object({ groups: z.array(groupSchema).min(1) }).strict();

export type AlertRule = z.infer<typeof ruleSchema>;
export type RuleGroup = z.infer<typeof groupSchema>;
export interface RuleFile {
  readonly groups: readonly RuleGroup[];
}

/** Parses a rule file's content (already read from YAML), naming the file in the error. */
export function parseRuleFile(data: unknown, file: string): RuleFile {
  const parsed = ruleFileSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidInputError(`${file} is not a Prometheus rule file: ${issue?.path.join('.')} ${issue?.message}`);
  }
  return parsed.data;
}

/**
 * cosl's generic alert rules for every application (`generic_alert_groups.application_rules`), which both
 * MetricsEndpointProvider and COSAgentProvider add to the charm's own.
 */
export const GENERIC_APPLICATION_RULES: RuleFile = {
  groups: [
    {
      name: 'HostHealth',
      rules: [
        {
          alert: 'HostDown',
          expr: 'up < 1',
          for: '5m',
          labels: { severity: 'critical' },
          annotations: {
            summary: "Host '{{ $labels.instance }}' is down.",
            description:
              "Juju application '{{ $labels.juju_application }}' in model '{{ $labels.juju_model }}' is down. Prometheus has been unable to scrape it during at least the past five minutes.",
          },
        },
        {
          alert: 'HostMetricsMissing',
          expr: 'absent(up)',
          for: '5m',
          labels: { severity: 'warning' },
          annotations: {
            summary:
              "Unit '{{ $labels.juju_unit }}' of application '{{ $labels.juju_application }}' is down or failing to remote write.",
            description:
              "`Up` missing for unit '{{ $labels.juju_unit }}' of application {{ $labels.juju_application }} in model {{ $labels.juju_model }}. Please ensure the unit or the collector scraping it is up and is able to successfully reach the metrics backend.",
          },
        },
      ],
    },
  ],
};

/**
 * The library's `AlertRules(query_type="promql", topology).add_path(dir)` then `.add(generic, prefix)` and
 * `.as_dict()`: `files` are the charm's rule files (name without extension → content) in sorted order.
 */
export function topologyAlertRules(
  files: readonly { readonly stem: string; readonly rules: RuleFile }[],
  topology: JujuTopology,
): { groups: RuleGroup[] } | Record<string, never> {
  const prefix = topologyIdentifier(topology);
  const groups = [...files.map((f) => f.rules), GENERIC_APPLICATION_RULES].flatMap((file) =>
    file.groups.map((g) => labelGroup(g, prefix, topology)),
  );
  return groups.length > 0 ? { groups } : {};
}

function labelGroup(group: RuleGroup, prefix: string, topology: JujuTopology): RuleGroup {
  // `_is_already_modified`: a name that already carries a topology identifier is kept.
  let name = /^.*?_[\da-f]{8}_.*?rules$/.test(group.name) ? group.name : `${prefix}_${group.name}`;
  if (!name.endsWith('_rules')) name += '_rules';
  name = name.replace(/[^a-zA-Z0-9_:]/g, '_');
  const topologyLabels = ruleLabels(topology);
  return {
    name,
    rules: group.rules.map((rule) => {
      // Labels the rule sets itself win over the topology's.
      const labels = { ...topologyLabels, ...(rule.labels ?? {}) };
      const matchers = Object.fromEntries(
        EXPRESSION_LABELS.filter((k) => labels[k] !== undefined).map((k) => [k, labels[k] as string]),
      );
      const expr = injectMatchers(rule.expr.replace(/%%juju_topology%%,?/g, ''), matchers);
      return { ...rule, expr, labels: orderLabels(rule.labels ?? {}, topologyLabels) };
    }),
  };
}

/** Python dicts keep insertion order: the rule's own labels first, then the topology labels it lacked. */
function orderLabels(own: Record<string, string>, topology: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = { ...own };
  for (const [k, v] of Object.entries(topology)) if (!(k in out)) out[k] = v;
  return out;
}
