// Adapter helper: a proxy setting as Juju gives it (`host:port` or a URL) as the URL undici wants; '' for none.

export function proxyUrl(value: string | undefined): string {
  if (value === undefined || value.trim() === '') return '';
  const v = value.trim();
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(v) ? v : `http://${v}`;
}
