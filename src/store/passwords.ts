/**
 * Password hashing with scrypt from node:crypto (memory-hard; no native dependency), at OWASP's
 * Password Storage Cheat Sheet parameters: N = 2^17, r = 8, p = 1 (128 MiB per hash, so `maxmem`
 * is raised above Node's 32 MiB default). Stored as `scrypt$N$r$p$saltB64$hashB64`, so hashes made
 * at the earlier N = 2^14 still verify, and `needsRehash` tells the sign-in to replace them.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const N = 2 ** 17;
const R = 8;
const P = 1;
const KEYLEN = 32;
/** 128 * N * r bytes for N = 2^17, r = 8 (128 MiB), with room. */
const MAXMEM = 256 * 1024 * 1024;

/** Whether a stored hash was made below today's cost (then it is replaced at the next sign-in). */
export function needsRehash(stored: string): boolean {
  const parts = stored.split('$');
  return parts[0] !== 'scrypt' || Number(parts[1]) < N || Number(parts[2]) < R;
}

function scryptAsync(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, KEYLEN, { N, r: R, p: P, maxmem: MAXMEM });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  // Bounded parameters: a stored hash must not make us allocate without limit.
  if (!(n >= 2 && n <= N && r >= 1 && r <= 8 && p >= 1 && p <= 4)) return false;
  const key = await scryptAsync(password, salt, expected.length, { N: n, r, p, maxmem: MAXMEM });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A hash no password matches, verified when the user does not exist so timing reveals nothing. */
export const DUMMY_HASH = `scrypt$${N}$${R}$${P}$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(KEYLEN).toString('base64')}`;
