import { CreateAccountsSessionsKeys1764000000000 } from './1764000000000-CreateAccountsSessionsKeys';
import { CreateSecurityLogs1764100000000 } from './1764100000000-CreateSecurityLogs';
import { CreateDataKeys1764200000000 } from './1764200000000-CreateDataKeys';
import { AddSessionRevokedXid1764300000000 } from './1764300000000-AddSessionRevokedXid';
import { AddEmailLookalikeGuards1764310000000 } from './1764310000000-AddEmailLookalikeGuards';
import { IndexSessionsByUserAndIp1764400000000 } from './1764400000000-IndexSessionsByUserAndIp';
import { IndexSecurityLogStats1764500000000 } from './1764500000000-IndexSecurityLogStats';
import { LookUpRefreshTokensById1764600000000 } from './1764600000000-LookUpRefreshTokensById';
import { TouchSessionsWithoutIndexChange1764700000000 } from './1764700000000-TouchSessionsWithoutIndexChange';
import { SealSecurityLogBesideItsRows1764800000000 } from './1764800000000-SealSecurityLogBesideItsRows';

/** Every migration, in order. Listed explicitly (no glob), so a build cannot miss or reorder one. */
export const MIGRATIONS = [
  CreateAccountsSessionsKeys1764000000000,
  CreateSecurityLogs1764100000000,
  CreateDataKeys1764200000000,
  AddSessionRevokedXid1764300000000,
  AddEmailLookalikeGuards1764310000000,
  IndexSessionsByUserAndIp1764400000000,
  IndexSecurityLogStats1764500000000,
  LookUpRefreshTokensById1764600000000,
  TouchSessionsWithoutIndexChange1764700000000,
  SealSecurityLogBesideItsRows1764800000000,
];
