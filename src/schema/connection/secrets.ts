/**
 * Secrets a process was handed without an environment variable: a populate worker receives the
 * parent's over its IPC channel, so they never sit in a child's environment (where `ps e`,
 * /proc/PID/environ and every grandchild could read them).
 */
const handed = new Map<string, string>();

/** Environment variables that hold a password; workers get them over IPC instead. */
export const SECRET_VARIABLES = ['RG_DB_PASSWORD', 'DJ_PASS', 'RG_SOURCE_PASSWORD'] as const;

/** Keeps secrets for this process (a worker calls this with what its parent sent). */
export function setProcessSecrets(values: Readonly<Record<string, string>>): void {
  for (const [k, v] of Object.entries(values)) handed.set(k, v);
}

/** A secret by its variable name: the one handed to this process, else the environment's. */
export function secretValue(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return handed.get(name) ?? env[name];
}

/** The password for `database/mysql` sources whose URL has none. */
export function sourcePassword(): string | undefined {
  return secretValue('RG_SOURCE_PASSWORD');
}

/** The secrets this process holds, by variable name, to hand to a worker. */
export function secretsToHand(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of SECRET_VARIABLES) {
    const value = secretValue(name, env);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** A copy of an environment without its secrets: the secret variables, and a password inside RG_DB_URL. */
export function environmentWithoutSecrets(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const name of SECRET_VARIABLES) delete out[name];
  if (out.RG_DB_URL !== undefined && /^[a-z0-9+]+:\/\/[^/@]*:[^@]*@/i.test(out.RG_DB_URL)) delete out.RG_DB_URL;
  return out;
}
