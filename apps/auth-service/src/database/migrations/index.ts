import { CreateAccountsSessionsKeys1764000000000 } from './1764000000000-CreateAccountsSessionsKeys';

/** Every migration, in order. Listed explicitly (no glob), so a build cannot miss or reorder one. */
export const MIGRATIONS = [CreateAccountsSessionsKeys1764000000000];
