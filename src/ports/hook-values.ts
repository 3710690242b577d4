// Tokens of the values each hook process parses once and injects everywhere: the hook context (unit, event,
// proxies) and the charm config. They are plain domain values, not ports; adapters and handlers both take them.

/** The parsed HookContext for this process, bound once per hook. */
export const HOOK_CONTEXT = Symbol.for('concourse-ci-machine/HookContext');
/** The parsed CharmConfig, bound once per hook (parse errors become a blocked status). */
export const CHARM_CONFIG = Symbol.for('concourse-ci-machine/CharmConfig');
/** The raw `config-get` map, for the option families parsed in their own domain modules (auth, credentials). */
export const RAW_CONFIG = Symbol.for('concourse-ci-machine/RawConfig');
