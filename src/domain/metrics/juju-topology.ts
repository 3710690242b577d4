// Domain: the Juju topology that COS attaches to metrics, alert rules and dashboards, as the charm libraries
// build it (cosl `JujuTopology`, canonical/cos-lib src/cosl/juju_topology.py): names, key order and label forms.

export interface JujuTopology {
  readonly model: string;
  readonly modelUuid: string;
  readonly application: string;
  readonly unit: string;
  readonly charmName: string;
}

/** `JujuTopology.as_dict()`: the `scrape_metadata` the prometheus_scrape provider publishes, in the library's order. */
export function topologyDict(t: JujuTopology): Record<string, string> {
  return {
    model: t.model,
    model_uuid: t.modelUuid,
    application: t.application,
    unit: t.unit,
    charm_name: t.charmName,
  };
}

/** `identifier`: model, first 8 characters of the model UUID, application; prefixes rule group names. */
export function topologyIdentifier(t: JujuTopology): string {
  return [t.model, t.modelUuid.slice(0, 8), t.application].join('_').replaceAll('/', '_');
}

/** `label_matcher_dict`: the `juju_*` labels added to each alert rule (never the unit: rules go per application). */
export function ruleLabels(t: JujuTopology): Record<string, string> {
  const all: [string, string][] = [
    ['juju_model', t.model],
    ['juju_model_uuid', t.modelUuid],
    ['juju_application', t.application],
    ['juju_charm', t.charmName],
  ];
  return Object.fromEntries(all.filter(([, v]) => v !== ''));
}

/** The labels injected as matchers into each rule's expression: model, model UUID, application. */
export const EXPRESSION_LABELS = ['juju_model', 'juju_model_uuid', 'juju_application'] as const;
