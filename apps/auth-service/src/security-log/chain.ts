import { createHmac } from 'node:crypto';
import { SecurityEventRecord } from './security-event';

/** JSON with sorted keys: the same bytes however PostgreSQL's jsonb reorders the object. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** The MAC written with each row: its whole content under the log key (a database writer cannot forge it). */
export function rowMac(key: Buffer, row: SecurityEventRecord): Buffer {
  const content = [row.eventType, row.userId, row.identifier, row.ip, row.userAgent, row.sessionId, row.requestId, canonicalJson(row.details), row.createdAt.toISOString()];
  return createHmac('sha256', key).update(JSON.stringify(content)).digest();
}

export const GENESIS = Buffer.alloc(32);

/** One link of the chain: the previous link, this row's sequence number and its MAC. */
export function chainLink(key: Buffer, previous: Buffer, seq: bigint | number, mac: Buffer): Buffer {
  const seqBytes = Buffer.alloc(8);
  seqBytes.writeBigUInt64BE(BigInt(seq));
  return createHmac('sha256', key).update(previous).update(seqBytes).update(mac).digest();
}
