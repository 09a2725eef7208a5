/** The resolved, validated, frozen configuration the daemon runs with. */
export interface Config {
  readonly listen: string;
  readonly database: string;
  readonly publicBaseUrl?: string;
  /** API processes (cluster workers); default: the number of CPUs. */
  readonly workers?: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly pkcs11: {
    readonly module: string;
    readonly token: string;
    readonly pinFile?: string;
    readonly sessions?: number;
    readonly signTimeoutMs?: number;
  };
  readonly limits: {
    readonly bodyBytes: number;
    readonly headerBytes: number;
    readonly headersTimeoutMs: number;
    readonly requestTimeoutMs: number;
    readonly maxConnections: number;
    /** Requests per second per identity; 0 turns the limit off. */
    readonly ratePerSecond: number;
    readonly rateBurst: number;
  };
  readonly crl: { readonly validityHours: number };
}

/** Secrets are kept apart from Config so that printing the config can never leak them. */
export interface Secrets {
  readonly pin: string;
}

export const DEFAULTS = {
  listen: '127.0.0.1:8080',
  database: './var/hsmca.db',
  logLevel: 'info',
  pkcs11: {},
  limits: {
    bodyBytes: 64 * 1024,
    headerBytes: 16 * 1024,
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 30_000,
    maxConnections: 1024,
    ratePerSecond: 0,
    rateBurst: 0,
  },
  crl: { validityHours: 24 },
} as const;

/** Environment variables that override a config path. */
export const ENV_OVERRIDES: Readonly<Record<string, string[]>> = {
  HSMCA_LISTEN: ['listen'],
  HSMCA_DATABASE: ['database'],
  HSMCA_PUBLIC_BASE_URL: ['publicBaseUrl'],
  HSMCA_LOG_LEVEL: ['logLevel'],
  HSMCA_PKCS11_MODULE: ['pkcs11', 'module'],
  HSMCA_PKCS11_TOKEN: ['pkcs11', 'token'],
  HSMCA_PKCS11_PIN_FILE: ['pkcs11', 'pinFile'],
  HSMCA_PKCS11_SESSIONS: ['pkcs11', 'sessions'],
  HSMCA_PKCS11_SIGN_TIMEOUT_MS: ['pkcs11', 'signTimeoutMs'],
  HSMCA_WORKERS: ['workers'],
  HSMCA_BODY_LIMIT: ['limits', 'bodyBytes'],
  HSMCA_HEADER_LIMIT: ['limits', 'headerBytes'],
  HSMCA_HEADERS_TIMEOUT_MS: ['limits', 'headersTimeoutMs'],
  HSMCA_REQUEST_TIMEOUT_MS: ['limits', 'requestTimeoutMs'],
  HSMCA_MAX_CONNECTIONS: ['limits', 'maxConnections'],
  HSMCA_RATE_PER_SECOND: ['limits', 'ratePerSecond'],
  HSMCA_RATE_BURST: ['limits', 'rateBurst'],
  HSMCA_CRL_VALIDITY_HOURS: ['crl', 'validityHours'],
};
