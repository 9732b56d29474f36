import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { defaultDataDir } from './paths.ts';

/**
 * The admin dashboard's credentials on the embedded default, kept in `<data dir>/admin.json`
 * (mode 0600): a scrypt hash of the password, the password itself only when it was generated here
 * (so the demo can print it), and the secret that signs session cookies. Shared by apps/admin (login)
 * and apps/reports (the demo prints the login), which cannot import each other.
 */
export interface AdminCredentials {
  /** scrypt$<salt b64url>$<hash b64url> of the generated password. */
  passwordHash: string;
  /** The generated password, for display by the demo. */
  password: string;
  /** HMAC key for session cookies (base64url, 32 bytes). */
  sessionSecret: string;
  createdAt: string;
}

export function adminCredentialsPath(dataDir: string = defaultDataDir()): string {
  return path.join(dataDir, 'admin.json');
}

export function hashAdminPassword(password: string, salt: Buffer = randomBytes(16)): string {
  const hash = scryptSync(password, salt, 32);
  return `scrypt$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

export function verifyAdminPassword(password: string, stored: string): boolean {
  const [scheme, saltText, hashText] = stored.split('$');
  if (scheme !== 'scrypt' || !saltText || !hashText) return false;
  const expected = Buffer.from(hashText, 'base64url');
  const actual = scryptSync(password, Buffer.from(saltText, 'base64url'), expected.length);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function readCredentials(file: string): AdminCredentials | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = JSON.parse(text) as Partial<AdminCredentials>;
  if (
    typeof parsed.passwordHash !== 'string' ||
    typeof parsed.password !== 'string' ||
    typeof parsed.sessionSecret !== 'string'
  )
    throw new Error(`${file} is not a valid admin credentials file; delete it to generate a new one.`);
  return parsed as AdminCredentials;
}

/**
 * Reads `<dataDir>/admin.json`, creating it once (exclusively, so concurrent first calls agree) with a
 * random password and session secret. An `ADMIN_PASSWORD` set by the caller takes precedence at
 * login; the file still provides the session secret.
 */
export function ensureAdminCredentials(dataDir: string = defaultDataDir()): AdminCredentials {
  const file = adminCredentialsPath(dataDir);
  const existing = readCredentials(file);
  if (existing) return existing;
  mkdirSync(dataDir, { recursive: true });
  const password = randomBytes(12).toString('base64url');
  const credentials: AdminCredentials = {
    passwordHash: hashAdminPassword(password),
    password,
    sessionSecret: randomBytes(32).toString('base64url'),
    createdAt: new Date().toISOString(),
  };
  try {
    writeFileSync(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
    return credentials;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const raced = readCredentials(file);
    if (!raced) throw error;
    return raced;
  }
}
