import { dictionary } from '@zxcvbn-ts/language-common';

/** The shortest minimum length a configuration may set (PASSWORD_MIN_LENGTH's lower bound, SPEC §1). */
export const SHORTEST_MIN_LENGTH = 8;

/**
 * The common-password list of zxcvbn-ts (tens of thousands of leaked passwords, ranked), kept
 * current by that project; only those long enough to pass the smallest length rule matter here.
 * The bundle (scripts/bundle-auth-service.mjs, `commonPasswordsAtBuild`) holds this module's
 * exports as they were computed at build time: the same list, without loading and decompressing
 * the package's dictionaries at each start.
 */
export const COMMON_PASSWORDS: readonly string[] = (dictionary['passwords-common'] as string[]).filter((p) => [...p].length >= SHORTEST_MIN_LENGTH);
