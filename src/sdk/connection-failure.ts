/**
 * Why a request never got an answer, in one sentence a person can act on. Node reports TLS
 * trouble as raw OpenSSL text ("…:SSL routines:ssl3_get_record:wrong version number:…") or a
 * bare code; the common cases (the wrong scheme for the port, a certificate this machine does
 * not trust, a certificate for another name) each get their own sentence and remedy.
 */
import { ConnectionError } from './errors.js';

interface Failure {
  code: string | undefined;
  message: string | undefined;
  /** On a name mismatch, Node adds the certificate it was given. */
  cert?: { subjectaltname?: string; subject?: { CN?: string } };
}

/**
 * OpenSSL's answer when an HTTPS client meets a plain-HTTP server: the server's "HTTP/1.1 400…"
 * is read as a TLS record. The code depends on the OpenSSL version and on what the server sent.
 */
const PLAIN_HTTP_CODES = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_UNKNOWN_PROTOCOL', 'ERR_SSL_RECORD_LAYER_FAILURE']);
const PLAIN_HTTP_TEXT = /wrong version number|packet length too long|unknown protocol|record layer failure/i;

/** The chain leads to no certificate authority this machine trusts. */
const UNTRUSTED_CA_CODES = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'SELF_SIGNED_CERT_IN_CHAIN']);

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'the connection was reset',
  ENOTFOUND: 'the host name could not be resolved',
  EAI_AGAIN: 'the host name could not be resolved (DNS lookup timed out)',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  UND_ERR_SOCKET: 'the connection closed unexpectedly',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
  UND_ERR_HEADERS_TIMEOUT: 'the server sent no response headers in time',
  UND_ERR_BODY_TIMEOUT: 'the server stopped sending the response',
};

/** `fetch` wraps the socket's error in a TypeError("fetch failed"): the cause says what happened. */
function failureOf(error: unknown): Failure {
  const outer = error as { code?: string; message?: string; cause?: Failure & { message?: string } } | undefined;
  const inner = outer?.cause;
  return {
    code: inner?.code ?? outer?.code,
    message: inner?.message ?? outer?.message,
    ...(inner?.cert ? { cert: inner.cert } : {}),
  };
}

/**
 * The typed error for a request that got no answer. `speaksTls` is the result of asking the
 * server for a TLS handshake after a plain-HTTP request was hung up on: such a server wanted https://.
 */
export function connectionError(error: unknown, url: URL, baseUrl: URL, speaksTls = false): ConnectionError {
  const failure = failureOf(error);
  const where = hostAndPort(url);
  const tls = (message: string, code = failure.code) => new ConnectionError(message, code, { cause: error, tls: true });

  if (speaksTls) return tls(`The server at ${where} speaks TLS (HTTPS), not plain HTTP; did you mean ${withScheme(baseUrl, 'https:')}?`, 'SPEAKS_TLS');
  const { code, message } = failure;
  if ((code !== undefined && PLAIN_HTTP_CODES.has(code)) || PLAIN_HTTP_TEXT.test(message ?? '')) {
    return tls(`The server at ${where} does not speak TLS (HTTPS); did you mean ${withScheme(baseUrl, 'http:')}?`);
  }
  switch (code) {
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return tls(`The server at ${where} presented a self-signed TLS certificate, which this machine does not trust; to trust it, set NODE_EXTRA_CA_CERTS to a PEM file holding that certificate.`);
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return tls(`The TLS certificate of the server at ${where} is for ${namesOf(failure)}, not ${url.hostname}; use a URL with a name the certificate lists.`);
    case 'CERT_HAS_EXPIRED':
      return tls(`The TLS certificate of the server at ${where} has expired; its administrator must renew it.`);
    case 'CERT_NOT_YET_VALID':
      return tls(`The TLS certificate of the server at ${where} is not valid yet; check this machine's clock.`);
    case 'CERT_REVOKED':
      return tls(`The TLS certificate of the server at ${where} has been revoked.`);
  }
  if (code !== undefined && UNTRUSTED_CA_CODES.has(code)) {
    return tls(
      `The TLS certificate of the server at ${where} is signed by a certificate authority this machine does not trust; set NODE_EXTRA_CA_CERTS to a PEM file holding that authority's certificate.`,
    );
  }

  const reason = (code && NETWORK_REASONS[code]) ?? openSslReason(message) ?? message ?? 'unknown error';
  return new ConnectionError(`Could not reach ${url.origin}: ${reason}${code && !reason.includes(code) ? ` (${code})` : ''}.`, code, { cause: error });
}

/**
 * A plain-HTTP request that the server hung up on without a word is what a TLS server does
 * with one (nginx answers 400 instead, which needs no help): worth asking for a handshake.
 */
export function mayBeTlsServer(error: unknown, url: URL): boolean {
  if (url.protocol !== 'http:') return false;
  const { code } = failureOf(error);
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET';
}

/** Whether the server at `url`'s host and port completes a TLS handshake (certificate unchecked: only the protocol matters). */
export async function speaksTls(url: URL, timeoutMs = 2_000): Promise<boolean> {
  const { connect } = await import('node:tls');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    const socket = connect({
      host,
      port: Number(url.port || 80),
      rejectUnauthorized: false,
      ...(/^[\d.]+$|:/.test(host) ? {} : { servername: host }),
    });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('secureConnect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** `host:port` with the port the scheme implies when the URL leaves it out. */
function hostAndPort(url: URL): string {
  return `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
}

/** The marketplace URL with the other scheme and the same port, as the user would type it. */
function withScheme(base: URL, protocol: 'http:' | 'https:'): string {
  const port = base.port || (base.protocol === 'https:' ? '443' : '80');
  const copy = new URL(base.href);
  copy.protocol = protocol;
  copy.port = port;
  copy.username = '';
  copy.password = '';
  return copy.href.replace(/\/$/, '');
}

/** The names a certificate is for, from its subjectAltName (or its common name). */
function namesOf(failure: Failure): string {
  const alt = failure.cert?.subjectaltname;
  const names = alt
    ? alt
        .split(',')
        .map((entry) => entry.trim().replace(/^(DNS|IP Address):/, ''))
        .filter(Boolean)
    : [failure.cert?.subject?.CN].filter((name): name is string => !!name);
  if (!names.length) return 'another name';
  return names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ');
}

/** "error:0A00010B:SSL routines:ssl3_get_record:wrong version number:file:line:" → "TLS failed: wrong version number". */
function openSslReason(message: string | undefined): string | undefined {
  const reason = /error:[0-9A-F]+:[^:]*:[^:]*:([^:]+):/i.exec(message ?? '')?.[1];
  return reason ? `TLS failed: ${reason.trim()}` : undefined;
}
