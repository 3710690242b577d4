// Port: new key material. Keys are made by the release's own `concourse generate-key`, so their format is always
// one the running Concourse reads; passwords come from the system's CSPRNG.

export interface KeyPair {
  /** PEM; never logged, never put in relation data. */
  readonly privateKey: string;
  /** OpenSSH public key line, for `ssh` keys. */
  readonly publicKey: string | undefined;
}

export interface KeyMaker {
  /** Runs `<binary> generate-key -t <type>` in a private temporary directory and returns what it wrote. */
  generate(binary: string, type: 'rsa' | 'ssh'): Promise<KeyPair>;
  /** A random password: 32 characters of base64url (no `,` or `:`, which CONCOURSE_ADD_LOCAL_USER splits on). */
  password(): string;
}

export const KEY_MAKER = Symbol.for('concourse-ci-machine/KeyMaker');
