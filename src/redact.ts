/**
 * Credentials out of anything printed or stored: the one place that knows what a secret inside a
 * URL looks like. A URL's `user:password@` keeps its user name; query parameters named like secrets
 * (`password`, `token`, `key`, `signature`, …) keep their name but lose their value.
 *
 * @example
 * ```ts
 * redactUrl('mysql://me:s3cret@db:3306/lab');          // 'mysql://me@db:3306/lab'
 * redactCredentials('cannot read http://a:b@h/x.json');  // 'cannot read http://a@h/x.json'
 * ```
 */
const SECRET_PARAM = /^(pass(word)?|pwd|secret|token|access_token|auth|api_?key|key|sig(nature)?|x-amz-(signature|credential|security-token)|credential)$/i;
const URL_START = /\b[a-z][a-z0-9+.-]*:\/\/\S*/gi;

/** One URL (or URL-like access string) without its credentials; anything else unchanged. */
export function redactUrl(text: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*:\/\/)/i.exec(text)?.[1];
  if (scheme === undefined) return text;
  let parsed: URL | undefined;
  try {
    parsed = new URL(text);
  } catch {
    parsed = undefined;
  }
  if (parsed && parsed.host !== '' && text.toLowerCase().startsWith(`${parsed.protocol}//`)) {
    const secretParams = [...parsed.searchParams.keys()].filter((k) => SECRET_PARAM.test(k));
    if (parsed.password === '' && secretParams.length === 0) return text;
    const rest = text.slice(scheme.length);
    // Rebuild from the original text so that everything but the secret reads as the user wrote it.
    const at = lastAtOfAuthority(rest);
    let out = at < 0 ? text : `${scheme}${userOf(rest.slice(0, at))}@${rest.slice(at + 1)}`;
    for (const k of new Set(secretParams)) {
      out = out.replace(new RegExp(`([?&]${escapeRegExp(encodeURIComponent(k))}=)[^&#\\s]*`, 'g'), '$1***');
      out = out.replace(new RegExp(`([?&]${escapeRegExp(k)}=)[^&#\\s]*`, 'g'), '$1***');
    }
    return out;
  }
  // Not a URL the parser accepts (a password with '/' or '#' in it, say): drop everything between
  // the scheme and the last '@', keeping the user name when it is plain.
  const rest = text.slice(scheme.length);
  const at = rest.lastIndexOf('@');
  if (at < 0) return text;
  return `${scheme}${userOf(rest.slice(0, at))}@${rest.slice(at + 1)}`;
}

/** Every URL inside a free text (an error message, a log line) without its credentials. */
export function redactCredentials(text: string): string {
  if (!text.includes('://')) return text;
  return text.replace(URL_START, (url) => redactUrl(url));
}

/** The '@' that ends the userinfo: the last one before the path, query or fragment starts. */
function lastAtOfAuthority(rest: string): number {
  const end = rest.search(/[/?#]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  const at = authority.lastIndexOf('@');
  if (at >= 0) return at;
  // A '/' inside the password ends the authority early for the search above.
  return rest.lastIndexOf('@', rest.search(/[?#]/) < 0 ? rest.length : rest.search(/[?#]/));
}

function userOf(userinfo: string): string {
  const colon = userinfo.indexOf(':');
  const user = colon < 0 ? userinfo : userinfo.slice(0, colon);
  return /^[\w.%+-]*$/.test(user) ? user : '***';
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
