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

/**
 * Free text (an error line from Juju or a controller) as a status may show it: every `scheme://user[:pw]@` masked
 * to `scheme://***@`, and at most `max` characters.
 */
export function redactText(text: string, max = 200): string {
  const masked = text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, '$1***@');
  return masked.length > max ? `${masked.slice(0, max - 1)}…` : masked;
}
