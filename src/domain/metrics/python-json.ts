// Domain: JSON text exactly as Python's `json.dumps` writes it (", " and ": " separators, non-ASCII as \uXXXX,
// optionally sorted keys): the charm libraries publish relation data and hash scrape jobs in that form.

export function pythonJsonDumps(value: unknown, options: { readonly sortKeys?: boolean } = {}): string {
  const dump = (v: unknown): string => {
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'string') return asciiString(v);
    if (typeof v === 'number' || typeof v === 'boolean') return JSON.stringify(v);
    if (Array.isArray(v)) return `[${v.map(dump).join(', ')}]`;
    if (typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
      if (options.sortKeys) entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, x]) => `${asciiString(k)}: ${dump(x)}`).join(', ')}}`;
    }
    throw new TypeError(`cannot serialise ${typeof v}`);
  };
  return dump(value);
}

function asciiString(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
