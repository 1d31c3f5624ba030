import { isAbsolute, resolve } from 'node:path';

export type SigningAlgorithm = 'RS256' | 'ES256' | 'EdDSA' | 'HS256';
export type TrustProxy = false | number | string[];

/** The whole configuration, validated once at start (SPEC §1). Only `config/` reads the environment. */
export interface AppConfig {
  readonly env: 'production' | 'development' | 'test';
  readonly http: {
    readonly port: number;
    readonly host: string;
    readonly trustProxy: TrustProxy;
    readonly corsOrigins: readonly string[];
  };
  readonly db: {
    readonly driver: 'postgres' | 'pglite';
    /** PostgreSQL URL; undefined for the embedded database. */
    readonly url?: string;
    readonly dataDir: string;
  };
  readonly redis: { readonly url?: string };
  readonly tokens: {
    readonly issuer: string;
    readonly audience: readonly string[];
    readonly algorithm: SigningAlgorithm;
    readonly accessTtl: number;
    readonly refreshTtl: number;
    readonly sessionMaxAge: number;
    readonly reuseGrace: number;
    readonly clockTolerance: number;
    readonly clientId: string;
  };
  readonly keys: {
    /** undefined outside production when unset: a development secret is generated under DATA_DIR. */
    readonly encryptionSecret?: string;
    readonly previousSecrets: readonly string[];
    readonly rotationDays: number;
  };
  readonly bootstrapAdmin?: { readonly email: string; readonly password: string };
  /** PASSWORD_MIN_LENGTH: applied when a password is set, not at login. */
  readonly passwords: { readonly minLength: number };
  readonly argon2: { readonly memoryKib: number; readonly iterations: number; readonly parallelism: number };
  /** Requests a minute per client address; 0 turns that limit off. */
  readonly rateLimit: { readonly login: number; readonly refresh: number; readonly register: number };
  readonly lockout: { readonly threshold: number; readonly identifierThreshold: number };
  readonly securityLog: { readonly retentionDays: number };
  /** `token`: METRICS_TOKEN; undefined leaves GET /metrics open. */
  readonly metrics: { readonly token?: string };
}

export const APP_CONFIG = Symbol('APP_CONFIG');

export function resolveDataDir(dir: string): string {
  return isAbsolute(dir) ? dir : resolve(process.cwd(), dir);
}
