// Adapter helper: reads the `code` Node's fs, net and undici put on their errors (`ENOENT`, `UND_ERR_SOCKET`), so the
// adapters can classify failures of the outside world without trusting the shape of an `unknown`.

export function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}
