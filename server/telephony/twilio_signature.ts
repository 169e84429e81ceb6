/**
 * Twilio's request signature (`X-Twilio-Signature`, www.twilio.com/docs/usage/security):
 * base64(HMAC-SHA1(auth token, the full URL Twilio requested)); for the Media Streams
 * WebSocket upgrade (a GET) there are no POST parameters to append. Twilio signs the URL as
 * configured in its `<Stream url>`; behind a TLS-terminating proxy the server cannot see
 * that URL, so `twilioStreamUrl` names it, else it is rebuilt from the request
 * (X-Forwarded-Proto and Host).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const TWILIO_SIGNATURE_HEADER = 'x-twilio-signature';

export function twilioSignature(authToken: string, url: string): string {
  return createHmac('sha1', authToken).update(url, 'utf8').digest('base64');
}

/** The URL Twilio signed: `configured` when set, else scheme (wss behind https) + Host + path and query. */
export function signedUrl(request: IncomingMessage, configured: string): string {
  if (configured !== '') return configured;
  const forwarded = request.headers['x-forwarded-proto'];
  const proto = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  const secure = proto === 'https' || proto === 'wss' || (request.socket as { encrypted?: boolean }).encrypted === true;
  return `${secure ? 'wss' : 'ws'}://${request.headers.host ?? ''}${request.url ?? '/'}`;
}

/** Whether the upgrade carries a valid signature of `url` (constant-time comparison). */
export function isValidTwilioSignature(authToken: string, url: string, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string' || header === '') return false;
  const expected = Buffer.from(twilioSignature(authToken, url));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
