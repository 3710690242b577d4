// Hooks: who may log in to this unit's web and where pipelines' credentials come from. Reads the auth and
// credential options, fetches each secret they name with `secret-get --refresh` (so `secret-changed` after
// `juju update-secret` reconfigures the web in that hook), adds Vault over `vault-kv` when related, and hands the
// env entries and CA files to the web; a new OIDC issuer is asked first, as the web will ask it at start.

import { inject, injectable } from 'inversify';
import {
  discoveryUnchanged,
  judgeDiscovery,
  OIDC_CA_FILE,
  oidcDiscoveryRequest,
} from '../../domain/auth/oidc-discovery';
import { type SecretContents, type SecretOption, unreadableSecret } from '../../domain/auth/secret-options';
import { parseWebAuthOptions, renderWebAuth, type WebAuth } from '../../domain/auth/web-auth';
import type { RenderedFile } from '../../domain/concourse-services';
import { WEB_ENV_FILE } from '../../domain/concourse-services';
import {
  appliedKeys,
  parseCredentialOptions,
  renderPipelineCredentials,
} from '../../domain/credentials/pipeline-credentials';
import { InvalidInputError } from '../../domain/errors';
import type { HookContext } from '../../domain/hook-event';
import type { EnvEntry } from '../../domain/service-values';
import { HOOK_TOOLS, type HookTools } from '../../ports/hook-tools';
import { HOOK_CONTEXT, RAW_CONFIG } from '../../ports/hook-values';
import { LOGGER, type Logger } from '../../ports/logger';
import { OIDC_DISCOVERY, type OidcDiscovery } from '../../ports/oidc-discovery';
import { UNIT_FILES, type UnitFiles } from '../../ports/unit-files';
import { VaultKvLink } from './vault-kv-link';

export interface WebAccessOutcome {
  readonly env: readonly EnvEntry[];
  /** Public files (CA certificates) the env entries name: a change restarts the web. */
  readonly files: readonly RenderedFile[];
}

@injectable()
export class WebAccess {
  constructor(
    @inject(RAW_CONFIG) private readonly raw: Readonly<Record<string, unknown>>,
    @inject(HOOK_CONTEXT) private readonly context: HookContext,
    @inject(HOOK_TOOLS) private readonly tools: HookTools,
    @inject(UNIT_FILES) private readonly files: UnitFiles,
    @inject(VaultKvLink) private readonly vaultKv: VaultKvLink,
    @inject(OIDC_DISCOVERY) private readonly discovery: OidcDiscovery,
    @inject(LOGGER) private readonly logger: Logger,
  ) {}

  async render(admin: { readonly username: string; readonly password: string }): Promise<WebAccessOutcome> {
    const auth = parseWebAuthOptions(this.raw);
    const credentials = parseCredentialOptions(this.raw);
    const contents: Partial<Record<SecretOption, Readonly<Record<string, string>>>> = {};
    for (const ref of [...auth.secrets, ...credentials.secrets]) {
      // Always the latest revision: the tracked one is what secret-changed just told us is out of date.
      const content = await this.tools.secretGet({ id: ref.uri }, { refresh: true });
      if (content === undefined) throw unreadableSecret(ref, this.context.unit.app);
      contents[ref.option] = content;
    }
    const read: SecretContents = contents;
    const login = renderWebAuth(auth, read, admin);
    const applied = await this.files.read(WEB_ENV_FILE);
    await this.checkOidcIssuer(login, applied);
    const pipeline = renderPipelineCredentials(credentials, read, appliedKeys(applied));
    const vault = await this.vaultKv.access();
    if (vault !== undefined && pipeline.env.some(([k]) => k === 'CONCOURSE_VAULT_URL')) {
      throw new InvalidInputError(
        'Vault is both set by hand (vault-url) and related (vault-kv): unset vault-url or remove the relation',
      );
    }
    const files = [...login.files, ...pipeline.files, ...(vault === undefined ? [] : [vault.file])].map(
      (f): RenderedFile => ({ ...f, mode: 0o644, owner: 'root', group: 'root' }),
    );
    return { env: [...login.env, ...pipeline.env, ...(vault?.env ?? [])], files };
  }

  /**
   * Before the web restarts with a new OIDC issuer (or CA), asks the provider as Concourse will at start: an answer
   * the web would not start with is blocked and the running web keeps what it had. No answer gives no verdict.
   */
  private async checkOidcIssuer(login: WebAuth, envFile: string | undefined): Promise<void> {
    const request = oidcDiscoveryRequest(login.env);
    if (request === undefined) return;
    const ca = login.files.find((f) => f.path === OIDC_CA_FILE)?.content;
    if (discoveryUnchanged(request, ca, { envFile, ca: await this.files.read(OIDC_CA_FILE) })) return;
    const answer = await this.discovery.fetch(request.url, { caPem: ca, skipVerify: request.skipVerify }, 10_000);
    const blocked = judgeDiscovery(request, answer);
    if (blocked !== undefined) throw new InvalidInputError(blocked);
    if (answer.kind === 'no-answer') {
      this.logger.warn('oidc.discovery.no-answer', { url: request.url, reason: answer.reason });
    }
  }
}
