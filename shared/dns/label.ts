// Which names may be published. A container name becomes one DNS label under the network's
// domain, so it must be a label: 1–63 bytes of letters, digits, '-' and '_', not starting or
// ending with '-'. '_' is not legal in a *host* name (RFC 1123) but is legal in DNS (RFC 2181),
// Docker and podman allow it in container names, and dnsmasq serves it ("custom_bbox02").
// A dot would make the name span labels (and collide with the domain), so it is refused.

const LABEL_RE = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

/** Why `name` is not a publishable label, or undefined when it is. */
export function labelProblem(name: string): string | undefined {
  if (name === '') return 'it is empty';
  if (name.length > 63) return `it is ${name.length} characters long (a DNS label has at most 63)`;
  if (name.includes('.')) return 'it contains a dot (a name must be a single DNS label)';
  if (!LABEL_RE.test(name)) return "only letters, digits, '-' and '_' are allowed, and it must not start or end with '-'";
  return undefined;
}

/** Why `domain` is not a usable domain name (dot-separated labels, ≤ 253 bytes), or undefined. */
export function domainProblem(domain: string): string | undefined {
  const d = domain.endsWith('.') ? domain.slice(0, -1) : domain;
  if (d === '') return 'it is empty';
  if (d.length > 253) return `it is ${d.length} characters long (a domain name has at most 253)`;
  for (const label of d.split('.')) {
    const p = labelProblem(label);
    if (p) return `label "${label}": ${p}`;
  }
  return undefined;
}

/** DNS compares names without regard to ASCII case (RFC 4343); so do our conflict checks. */
export const sameName = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();
