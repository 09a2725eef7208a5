/** The resolved, validated, frozen configuration the daemon runs with. */
export interface Config {
  readonly listen: string;
  readonly database: string;
  readonly publicBaseUrl?: string;
  /** API processes (cluster workers); default: the number of CPUs. */
  readonly workers?: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** `pretty` (human, for terminals), `json`, or `auto`: pretty when stderr is a TTY. */
  readonly logFormat: 'auto' | 'json' | 'pretty';
  /** On SIGTERM, how long in-flight requests may take before their connections are cut. */
  readonly shutdownGraceMs: number;
  readonly pkcs11: {
    readonly module: string;
    readonly token: string;
    readonly pinFile?: string;
    readonly sessions?: number;
    readonly signTimeoutMs?: number;
    readonly signThreads?: number;
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
  readonly auth: {
    /** File whose first line is the token pepper (or HSMCA_TOKEN_PEPPER). */
    readonly pepperFile?: string;
  };
  readonly audit: {
    /** Seconds between signed checkpoints; 0 signs only at shutdown (and on `hsmca audit checkpoint`). */
    readonly checkpointIntervalSeconds: number;
    /** CKA_LABEL of the checkpoint key in the token (made on first use). */
    readonly keyLabel: string;
  };
  /** When present the daemon serves HTTPS only. */
  readonly tls?: {
    readonly certFile: string;
    readonly keyFile: string;
    readonly clientCaFile?: string;
    /** Client certificates: `require` (default with clientCaFile), `optional`, or `none`. */
    readonly clientAuth?: 'none' | 'optional' | 'require';
  };
}

/** Secrets are kept apart from Config so that printing the config can never leak them. */
export interface Secrets {
  readonly pin: string;
}

/** The token pepper: the key of the HMAC that token secrets are stored under. */
export interface Pepper {
  readonly pepper: string;
}

export const DEFAULTS = {
  listen: '127.0.0.1:8080',
  database: './var/hsmca.db',
  logLevel: 'info',
  logFormat: 'auto',
  shutdownGraceMs: 8000,
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
  auth: {},
  audit: { checkpointIntervalSeconds: 300, keyLabel: 'hsmca-audit' },
} as const;

/** Environment variables that override a config path. */
export const ENV_OVERRIDES: Readonly<Record<string, string[]>> = {
  HSMCA_LISTEN: ['listen'],
  HSMCA_DATABASE: ['database'],
  HSMCA_PUBLIC_BASE_URL: ['publicBaseUrl'],
  HSMCA_LOG_LEVEL: ['logLevel'],
  HSMCA_LOG_FORMAT: ['logFormat'],
  HSMCA_SHUTDOWN_GRACE_MS: ['shutdownGraceMs'],
  HSMCA_PKCS11_MODULE: ['pkcs11', 'module'],
  HSMCA_PKCS11_TOKEN: ['pkcs11', 'token'],
  HSMCA_PKCS11_PIN_FILE: ['pkcs11', 'pinFile'],
  HSMCA_PKCS11_SESSIONS: ['pkcs11', 'sessions'],
  HSMCA_PKCS11_SIGN_TIMEOUT_MS: ['pkcs11', 'signTimeoutMs'],
  HSMCA_PKCS11_SIGN_THREADS: ['pkcs11', 'signThreads'],
  HSMCA_WORKERS: ['workers'],
  HSMCA_BODY_LIMIT: ['limits', 'bodyBytes'],
  HSMCA_HEADER_LIMIT: ['limits', 'headerBytes'],
  HSMCA_HEADERS_TIMEOUT_MS: ['limits', 'headersTimeoutMs'],
  HSMCA_REQUEST_TIMEOUT_MS: ['limits', 'requestTimeoutMs'],
  HSMCA_MAX_CONNECTIONS: ['limits', 'maxConnections'],
  HSMCA_RATE_PER_SECOND: ['limits', 'ratePerSecond'],
  HSMCA_RATE_BURST: ['limits', 'rateBurst'],
  HSMCA_CRL_VALIDITY_HOURS: ['crl', 'validityHours'],
  HSMCA_TOKEN_PEPPER_FILE: ['auth', 'pepperFile'],
  HSMCA_AUDIT_CHECKPOINT_INTERVAL: ['audit', 'checkpointIntervalSeconds'],
  HSMCA_AUDIT_KEY_LABEL: ['audit', 'keyLabel'],
  HSMCA_TLS_CERT_FILE: ['tls', 'certFile'],
  HSMCA_TLS_KEY_FILE: ['tls', 'keyFile'],
  HSMCA_TLS_CLIENT_CA_FILE: ['tls', 'clientCaFile'],
  HSMCA_TLS_CLIENT_AUTH: ['tls', 'clientAuth'],
};

/** Settings that are strings even when they look like numbers (a token or key label of digits). */
export const STRING_SETTINGS: ReadonlySet<string> = new Set(['pkcs11.token', 'audit.keyLabel']);
