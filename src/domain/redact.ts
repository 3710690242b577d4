// Domain: URLs as they may appear in logs, statuses and manifests: a mirror's credentials never do.

/** `https://user:secret@mirror/x` -> `https://***@mirror/x`; anything unparsable is returned unchanged. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username === '' && u.password === '') return url;
    u.username = '***';
    u.password = '';
    return u.toString();
  } catch {
    return url;
  }
}
