/**
 * The sentences for TLS failures that a test cannot easily stage live (an expired certificate,
 * a clock behind, an OpenSSL failure with no sentence of its own), from errors shaped as
 * Node's fetch throws them: a TypeError("fetch failed") whose cause carries the code. The
 * common cases run live in test/integration/cli/tls-mismatch.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { connectionError } from '../../../src/sdk/connection-failure.js';
import { ConnectionError } from '../../../src/sdk/errors.js';

function fetchFailed(cause: Record<string, unknown>): TypeError {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(String(cause.message ?? '')), cause) });
}

const sentence = (cause: Record<string, unknown>, url: string) => connectionError(fetchFailed(cause), new URL(url), new URL(url));

describe('connection failures in one sentence', () => {
  it('https:// without a port on a plain-HTTP server suggests http:// on that same port, 443', () => {
    const error = sentence({ code: 'ERR_SSL_WRONG_VERSION_NUMBER', message: '80EC…:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../ssl3_record.c:350:' }, 'https://marketplace.example.org/');
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.message).toBe('The server at marketplace.example.org:443 does not speak TLS (HTTPS); did you mean http://marketplace.example.org:443?');
    expect(error).toMatchObject({ tls: true, code: 'ERR_SSL_WRONG_VERSION_NUMBER' });
  });

  it('an expired certificate, and one not valid yet', () => {
    expect(sentence({ code: 'CERT_HAS_EXPIRED' }, 'https://[::1]:8443').message).toBe('The TLS certificate of the server at [::1]:8443 has expired; its administrator must renew it.');
    expect(sentence({ code: 'CERT_NOT_YET_VALID' }, 'https://m.example.org').message).toBe("The TLS certificate of the server at m.example.org:443 is not valid yet; check this machine's clock.");
  });

  it('a certificate for many other names lists three of them', () => {
    const cert = { subjectaltname: 'DNS:a.example.org, DNS:b.example.org, DNS:c.example.org, DNS:d.example.org, IP Address:10.0.0.1' };
    expect(sentence({ code: 'ERR_TLS_CERT_ALTNAME_INVALID', cert }, 'https://m.example.org').message).toBe(
      'The TLS certificate of the server at m.example.org:443 is for a.example.org, b.example.org, c.example.org and 2 more, not m.example.org; use a URL with a name the certificate lists.',
    );
  });

  it('another OpenSSL failure gives its reason, not the raw OpenSSL line', () => {
    const error = sentence({ code: 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', message: '40B7…:error:0A000410:SSL routines:ssl3_read_bytes:sslv3 alert handshake failure:../ssl/record/rec_layer_s3.c:1605:SSL alert number 40' }, 'https://m.example.org');
    expect(error.message).toBe('Could not reach https://m.example.org: TLS failed: sslv3 alert handshake failure (ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE).');
    expect(error.tls).toBe(false);
  });

  it('network failures keep their plain reasons', () => {
    expect(sentence({ code: 'ENOTFOUND' }, 'http://nowhere.invalid:3000').message).toBe('Could not reach http://nowhere.invalid:3000: the host name could not be resolved (ENOTFOUND).');
  });
});
