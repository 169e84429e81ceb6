/**
 * Configuration of watching (GET /v1/sessions…), alerts and telephony ingest: the fields
 * ServerConfig adds for them, their defaults, validation and env/flag names. Kept apart
 * from config.ts so that file stays one screen of the core server's fields.
 */
import { parseAlertRules, resolveAlertRules, type AlertRule } from './alerts/rules.js';
import { asNumber, asString, checkInt } from './config_checks.js';

export interface WatchConfig {
  /** Most watchers (`GET /v1/sessions/{id}/events`) of one session at once. 1–1000, default 16. */
  maxWatchersPerSession: number;
  /**
   * Most recent messages of a session kept to replay to a new watcher (≈ 450 bytes each).
   * 0–10000, default 60 (15 s of one channel at the default hop).
   */
  watchHistoryMessages: number;
  /**
   * Most bytes waiting unsent to one watcher before it is dropped with `slow_consumer`.
   * 16384–67108864, default 262144 (256 KiB).
   */
  watcherMaxUnsentBytes: number;
  /** Alert rules (alerts/rules.ts); default none. From the environment as a JSON list. */
  alertRules: AlertRule[];
  /**
   * Twilio auth token: when set, `GET /v1/twilio` requires a valid `X-Twilio-Signature`
   * (telephony/twilio_signature.ts) besides the API key. Default '' (not checked).
   */
  twilioAuthToken: string;
  /**
   * The public URL of `/v1/twilio` exactly as in the TwiML `<Stream url>` (what Twilio
   * signs), for deployments behind a proxy. Default '' (rebuilt from the request).
   */
  twilioStreamUrl: string;
}

export const DEFAULT_WATCH_CONFIG: Readonly<WatchConfig> = Object.freeze({
  maxWatchersPerSession: 16,
  watchHistoryMessages: 60,
  watcherMaxUnsentBytes: 256 * 1024,
  alertRules: [],
  twilioAuthToken: '',
  twilioStreamUrl: '',
});

/** Validates the watch fields of a resolved config (alert labels are checked against the model at start-up). */
export function validateWatchConfig(config: WatchConfig): void {
  checkInt('maxWatchersPerSession', config.maxWatchersPerSession, 1, 1000);
  checkInt('watchHistoryMessages', config.watchHistoryMessages, 0, 10_000);
  checkInt('watcherMaxUnsentBytes', config.watcherMaxUnsentBytes, 16_384, 64 * 1024 * 1024);
  resolveAlertRules(config.alertRules);
  if (typeof config.twilioAuthToken !== 'string') throw new RangeError('twilioAuthToken: expected a string');
  if (typeof config.twilioStreamUrl !== 'string' || (config.twilioStreamUrl !== '' && !/^wss?:\/\//.test(config.twilioStreamUrl))) {
    throw new RangeError(`twilioStreamUrl: expected a ws:// or wss:// URL or nothing, got ${JSON.stringify(config.twilioStreamUrl)}`);
  }
}

export const WATCH_CONFIG_SOURCES = [
  { field: 'maxWatchersPerSession', env: 'SER_MAX_WATCHERS_PER_SESSION', flag: '--max-watchers-per-session', parse: asNumber },
  { field: 'watchHistoryMessages', env: 'SER_WATCH_HISTORY_MESSAGES', flag: '--watch-history-messages', parse: asNumber },
  { field: 'watcherMaxUnsentBytes', env: 'SER_WATCHER_MAX_UNSENT_BYTES', flag: '--watcher-max-unsent-bytes', parse: asNumber },
  { field: 'alertRules', env: 'SER_ALERT_RULES', flag: '--alert-rules', parse: parseAlertRules },
  { field: 'twilioAuthToken', env: 'SER_TWILIO_AUTH_TOKEN', flag: '--twilio-auth-token', parse: asString },
  { field: 'twilioStreamUrl', env: 'SER_TWILIO_STREAM_URL', flag: '--twilio-stream-url', parse: asString },
] as const;
