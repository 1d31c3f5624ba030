/**
 * `@tessera/client`: sign in to a Tessera service from a browser or Node, keep the session alive
 * across tabs, and call APIs with the access token. No dependency, nothing from Node or a framework.
 */
export { createClient, TesseraClient } from './tessera-client';
export type { TesseraClientOptions, TesseraEvents } from './client-options';
export { TesseraError } from './errors';
export type { TesseraErrorKind } from './errors';
export type { TesseraUser, TokenResponse, Transport } from './token-endpoint';
export type { StorageOption, TokenStorage } from './storage/token-storage';
export { memoryStorage } from './storage/memory-storage';
export { readClaims } from './token-claims';
export type { AccessTokenClaims } from './token-claims';
