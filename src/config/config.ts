/** The resolved, validated, frozen configuration the daemon runs with. */
export interface Config {
  readonly listen: string;
  readonly database: string;
  readonly publicBaseUrl?: string;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly pkcs11: {
    readonly module: string;
    readonly token: string;
    readonly pinFile?: string;
    readonly sessions?: number;
  };
  readonly limits: { readonly bodyBytes: number };
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
  pkcs11: {},
  limits: { bodyBytes: 64 * 1024 },
  auth: {},
  audit: { checkpointIntervalSeconds: 300, keyLabel: 'hsmca-audit' },
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
  HSMCA_BODY_LIMIT: ['limits', 'bodyBytes'],
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
