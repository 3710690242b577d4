// Hooks: the `certificates` relation for a web unit (Mode.UNIT of the tls-certificates v4 library): the private key
// made once on the unit (/etc/concourse/keys, never in relation data, logs or on the volume), one CSR in this unit's
// bag, the provider's certificate for it installed, a new CSR at 90% of its life, and HTTP again when the relation
// goes. Shapes and decisions: src/domain/tls (canonical/tls-certificates-interface
// lib/charms/tls_certificates_interface/v4/tls_certificates.py).

import { inject, injectable } from 'inversify';
import type { CharmConfig } from '../../domain/charm-config';
import { CONCOURSE_USER, type RenderedFile } from '../../domain/concourse-services';
import { type EnvEntry, formatHostPort } from '../../domain/service-values';
import {
  CERTIFICATES_ENDPOINT,
  certificateFor,
  fullChain,
  judgeCertificate,
  parseProviderCertificates,
  requestKey,
  requirerData,
  tlsRequest,
} from '../../domain/tls/tls-certificates';
import {
  parseTlsMemory,
  TLS_CA_FILE,
  TLS_CERT_FILE,
  TLS_KEY_FILE,
  type TlsMemory,
  type TlsState,
  tlsEnv,
  tlsExternalUrl,
  tlsNote,
  tlsPorts,
} from '../../domain/tls/web-tls';
import { CLOCK, type Clock } from '../../ports/clock';
import { CHARM_CONFIG } from '../../ports/hook-values';
import { LOGGER, type Logger } from '../../ports/logger';
import { TLS_CRYPTO, type TlsCrypto } from '../../ports/tls-crypto';
import { UNIT_FILES, type UnitFiles } from '../../ports/unit-files';
import { RelatedUnits } from './related-units';
import { RelationOutbox } from './relation-outbox';
import { MEMORY_KEYS, UnitMemory } from './unit-memory';

export interface WebTls {
  /** CONCOURSE_TLS_* when HTTPS is on. */
  readonly env: readonly EnvEntry[];
  /** The certificate files the web reads: a change restarts it. */
  readonly files: readonly RenderedFile[];
  readonly url: string;
  /** Where Concourse's plain-HTTP listener binds (web-port without a certificate). */
  readonly httpPort: number;
  /** Opened besides web-port: the HTTP port that redirects to HTTPS, when asked for. */
  readonly redirectPort: number | undefined;
  /** What the status adds after the URL. */
  readonly note: string | undefined;
}

/** What can be served: the certificate file's content and the CA beside it. */
interface Served {
  readonly chain: string;
  readonly ca: string | undefined;
}

@injectable()
export class TlsLink {
  constructor(
    @inject(CHARM_CONFIG) private readonly config: CharmConfig,
    @inject(TLS_CRYPTO) private readonly crypto: TlsCrypto,
    @inject(UNIT_FILES) private readonly files: UnitFiles,
    @inject(CLOCK) private readonly clock: Clock,
    @inject(LOGGER) private readonly logger: Logger,
    @inject(RelatedUnits) private readonly related: RelatedUnits,
    @inject(RelationOutbox) private readonly outbox: RelationOutbox,
    @inject(UnitMemory) private readonly memory: UnitMemory,
  ) {}

  /** Call after /etc/concourse/keys and the web's user exist. */
  async converge(address: string): Promise<WebTls> {
    const webPort = this.config.webPort;
    const memory = parseTlsMemory(await this.memory.get(MEMORY_KEYS.tls));
    const [id] = await this.related.ids(CERTIFICATES_ENDPOINT);
    const plain = (state: TlsState): WebTls => ({
      env: [],
      files: [],
      url: this.config.externalUrl ?? `http://${formatHostPort(address, webPort)}`,
      httpPort: webPort,
      redirectPort: undefined,
      note: tlsNote(state),
    });
    if (id === undefined) {
      if (memory.csr === undefined) return plain(memory.removed === true ? { kind: 'removed' } : { kind: 'off' });
      // The relation is gone (broken, or removed while this unit was not a web): the key and certificate with it.
      for (const path of [TLS_CERT_FILE, TLS_CA_FILE, TLS_KEY_FILE]) await this.files.remove(path);
      this.logger.info('tls.relation.removed', { provider: memory.provider ?? 'unknown' });
      await this.remember({ removed: true });
      return plain({ kind: 'removed' });
    }

    const provider = await this.related.remoteAppName(id);
    const { key, created } = await this.ensureKey();
    const request = tlsRequest(this.config.externalUrl, address);
    const answer = parseProviderCertificates(await this.related.remoteApp(id));
    const mine =
      memory.csr === undefined || answer.kind === 'invalid'
        ? undefined
        : certificateFor(answer.certificates, memory.csr);
    let served: Served | undefined;
    let renew = false;
    if (mine !== undefined && !mine.revoked && !created) {
      const verdict = this.judge(mine.certificate, key);
      if (verdict?.kind === 'usable') {
        served = { chain: fullChain(mine), ca: `${mine.ca}\n` };
        renew = verdict.renew;
      }
    }
    // Until the certificate for a newer CSR (a renewal, another external-url) arrives, the one installed is served.
    if (served === undefined && mine?.revoked !== true && !created) served = await this.installed(key);

    let csr = memory.csr;
    const reason =
      csr === undefined || created
        ? 'new key'
        : memory.request !== requestKey(request)
          ? 'names changed'
          : renew
            ? 'renewal'
            : undefined;
    if (reason !== undefined) {
      csr = await this.crypto.csr(TLS_KEY_FILE, request);
      this.logger.info('tls.csr.sent', { reason, names: [...request.dnsNames, ...request.ipAddresses].join(',') });
    }
    if (csr === undefined) throw new Error('no CSR after making one');
    this.outbox.toUnitBag(id, requirerData(csr));
    await this.remember({ csr, request: requestKey(request), provider });

    if (served === undefined) {
      if (mine?.revoked === true) {
        this.logger.warn('tls.certificate.revoked', { provider: provider ?? 'unknown' });
        for (const path of [TLS_CERT_FILE, TLS_CA_FILE]) await this.files.remove(path);
      }
      const state: TlsState =
        answer.kind === 'invalid'
          ? { kind: 'invalid', provider }
          : mine?.revoked === true
            ? { kind: 'revoked', provider }
            : { kind: 'waiting', provider };
      return plain(state);
    }
    const ports = tlsPorts({
      webPort,
      redirectPort: this.config.tlsRedirectHttpPort,
      tsaPort: this.config.tsaPort,
      metricsPort: this.config.metricsPort,
    });
    const webFile = (path: string, content: string): RenderedFile => ({
      path,
      content,
      mode: 0o640,
      owner: 'root',
      group: CONCOURSE_USER,
    });
    const files = [webFile(TLS_CERT_FILE, served.chain)];
    if (served.ca !== undefined) files.push({ ...webFile(TLS_CA_FILE, served.ca), mode: 0o644 });
    return {
      env: tlsEnv(webPort),
      files,
      url: tlsExternalUrl(this.config.externalUrl, formatHostPort(address, webPort)),
      httpPort: ports.httpPort,
      redirectPort: ports.redirectPort,
      note: undefined,
    };
  }

  /**
   * This unit no longer runs a web (a leader change in mode=auto): its CSR is taken back, so the provider stops
   * issuing for it, and its key and certificate go. A later web role starts afresh.
   */
  async release(): Promise<void> {
    const memory = parseTlsMemory(await this.memory.get(MEMORY_KEYS.tls));
    if (memory.csr === undefined) return;
    // An empty value deletes the key; the library reads a bag without it as no CSRs.
    for (const id of await this.related.ids(CERTIFICATES_ENDPOINT))
      this.outbox.toUnitBag(id, { certificate_signing_requests: '' });
    for (const path of [TLS_CERT_FILE, TLS_CA_FILE, TLS_KEY_FILE]) await this.files.remove(path);
    this.logger.info('tls.released', { provider: memory.provider ?? 'unknown' });
    await this.remember({});
  }

  /** The unit's key, made once: root and the web's group may read it, nobody else; it never leaves the unit. */
  private async ensureKey(): Promise<{ readonly key: string; readonly created: boolean }> {
    const existing = await this.files.read(TLS_KEY_FILE);
    if (existing?.includes('PRIVATE KEY-----') === true) return { key: existing, created: false };
    const key = await this.crypto.privateKey();
    await this.files.write({ path: TLS_KEY_FILE, content: key, mode: 0o640, owner: 'root', group: CONCOURSE_USER });
    this.logger.info('tls.key.created', { path: TLS_KEY_FILE });
    return { key, created: true };
  }

  /** The certificate installed by an earlier hook, while it is still good for this key. */
  private async installed(key: string): Promise<Served | undefined> {
    const chain = await this.files.read(TLS_CERT_FILE);
    if (chain === undefined || this.judge(chain, key)?.kind !== 'usable') return undefined;
    return { chain, ca: await this.files.read(TLS_CA_FILE) };
  }

  private judge(certificate: string, key: string): ReturnType<typeof judgeCertificate> | undefined {
    try {
      const verdict = judgeCertificate(this.crypto.inspect(certificate, key), this.clock.now());
      if (verdict.kind === 'unusable') this.logger.warn('tls.certificate.unusable', { reason: verdict.reason });
      return verdict;
    } catch (error) {
      this.logger.warn('tls.certificate.unreadable', { error: String(error) });
      return undefined;
    }
  }

  private async remember(next: TlsMemory): Promise<void> {
    await this.memory.remember({ [MEMORY_KEYS.tls]: JSON.stringify(next) });
  }
}
