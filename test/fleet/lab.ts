/**
 * A network lab on one machine for the fleet tests: network namespaces ("hosts") joined to a
 * bridge by veth pairs, a dedicated MariaDB or PostgreSQL server bound on the bridge's address
 * (traffic stays on these private links), and processes started inside the hosts with their own
 * hostname (a UTS namespace). Needs root, iproute2 and util-linux; {@link labUnavailable} says why
 * a lab cannot be built here.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

function sh(command: string, args: string[], options: { ignore?: boolean; user?: string } = {}): string {
  const [cmd, argv] = options.user ? ['runuser', ['-u', options.user, '--', command, ...args]] : [command, args];
  const result = spawnSync(cmd, argv, { encoding: 'utf8' });
  if (result.status !== 0 && !options.ignore) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr || result.stdout || result.error?.message}`);
  }
  return result.stdout;
}

/** Why namespaces cannot be made here (not root, no `ip`/`unshare`, or the kernel refuses), or undefined when they can. */
export function labUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'the fleet lab needs root (ip netns)';
  for (const tool of ['ip', 'unshare']) {
    if (spawnSync(tool, ['-V'], { encoding: 'utf8' }).error) return `\`${tool}\` is missing (Debian: apt-get install ${tool === 'ip' ? 'iproute2' : 'util-linux'})`;
  }
  const probe = `rgfp${process.pid % 100000}`;
  const made = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (made.status !== 0) return `network namespaces cannot be created here: ${made.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  const uts = spawnSync('unshare', ['--uts', 'true'], { encoding: 'utf8' });
  if (uts.status !== 0) return `UTS namespaces cannot be created here: ${uts.stderr.trim()}`;
  return undefined;
}

/** One host of the lab: a network namespace with one veth link to the bridge. */
export interface LabHost {
  readonly name: string;
  readonly namespace: string;
  readonly address: string;
  /** The bridge-side end of the host's link: taking it down cuts the host off. */
  readonly hostLink: string;
}

/** A network of hosts around one bridge; {@link Lab.close} removes everything it made. */
export class Lab {
  readonly id: string;
  readonly bridge: string;
  readonly subnet: string;
  readonly gateway: string;
  readonly hosts: LabHost[] = [];
  readonly dir: string;
  readonly #children = new Set<ChildProcess>();

  constructor(hostCount: number) {
    this.id = `${process.pid % 10000}${Math.floor(Math.random() * 100)}`;
    this.bridge = `rgfb${this.id}`;
    const octet = 100 + (process.pid % 150);
    const third = Math.floor(Math.random() * 250) + 1;
    this.subnet = `10.${octet}.${third}`;
    this.gateway = `${this.subnet}.1`;
    this.dir = mkdtempSync(path.join(tmpdir(), 'rg-fleet-lab-'));
    chmodSync(this.dir, 0o755);
    try {
      sh('ip', ['link', 'add', this.bridge, 'type', 'bridge']);
      sh('ip', ['addr', 'add', `${this.gateway}/24`, 'dev', this.bridge]);
      sh('ip', ['link', 'set', this.bridge, 'up']);
      for (let i = 1; i <= hostCount; i++) {
        const host: LabHost = { name: `h${i}`, namespace: `rgf${this.id}h${i}`, address: `${this.subnet}.${10 + i}`, hostLink: `rgfv${this.id}h${i}` };
        const inside = `rgfi${this.id}h${i}`;
        sh('ip', ['netns', 'add', host.namespace]);
        sh('ip', ['link', 'add', host.hostLink, 'type', 'veth', 'peer', 'name', inside]);
        sh('ip', ['link', 'set', host.hostLink, 'master', this.bridge]);
        sh('ip', ['link', 'set', host.hostLink, 'up']);
        sh('ip', ['link', 'set', inside, 'netns', host.namespace]);
        sh('ip', ['-n', host.namespace, 'addr', 'add', `${host.address}/24`, 'dev', inside]);
        sh('ip', ['-n', host.namespace, 'link', 'set', inside, 'up']);
        sh('ip', ['-n', host.namespace, 'link', 'set', 'lo', 'up']);
        this.hosts.push(host);
      }
    } catch (error) {
      this.close();
      throw error;
    }
  }

  /** Starts a process inside a host, with the host's name as its hostname; output goes to `log`. */
  spawn(host: LabHost, command: string, args: string[], env: NodeJS.ProcessEnv, log: string): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', host.namespace, 'unshare', '--uts', '--', 'sh', '-c', `hostname ${host.name} && exec "$@"`, 'sh', command, ...args], {
      env, stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => appendFileSync(log, d));
    child.stderr!.on('data', (d: Buffer) => appendFileSync(`${log}.err`, d));
    this.#children.add(child);
    child.on('exit', () => this.#children.delete(child));
    return child;
  }

  /** Cuts a host off (its link's bridge end down) or brings it back. */
  link(host: LabHost, up: boolean): void {
    sh('ip', ['link', 'set', host.hostLink, up ? 'up' : 'down']);
  }

  /** Kills what it started, removes the namespaces, links and bridge, and its folder. */
  close(): void {
    for (const child of this.#children) child.kill('SIGKILL');
    for (const host of this.hosts) sh('ip', ['netns', 'del', host.namespace], { ignore: true });
    for (const host of this.hosts) sh('ip', ['link', 'del', host.hostLink], { ignore: true });
    sh('ip', ['link', 'del', this.bridge], { ignore: true });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A database server of the lab, on the bridge's address. */
export interface LabServer {
  readonly kind: 'mysql' | 'postgres';
  /** The URL workers and the test connect with. */
  readonly url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  close(): Promise<void>;
}

async function waitFor(check: () => boolean, what: string, ms = 30000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A dedicated MariaDB on a fresh data directory, bound on the lab's bridge address, root@'%' without password. */
export async function labMariadb(lab: Lab, port: number): Promise<LabServer> {
  const dir = path.join(lab.dir, 'mariadb');
  sh('mkdir', ['-p', `${dir}/data`]);
  sh('chown', ['-R', 'mysql:mysql', dir]);
  sh('mariadb-install-db', ['--user=mysql', `--datadir=${dir}/data`, '--auth-root-authentication-method=normal', '--skip-test-db'], {});
  const socket = `${dir}/sock`;
  let server: ChildProcess | undefined;
  const ping = (): boolean => spawnSync('mysqladmin', ['-uroot', `--socket=${socket}`, '--connect-timeout=1', 'ping'], { encoding: 'utf8' }).status === 0;
  const self: LabServer = {
    kind: 'mysql',
    url: `mysql://root:@${lab.gateway}:${port}`,
    async start() {
      server = spawn('/usr/sbin/mariadbd', ['--no-defaults', '--user=mysql', `--datadir=${dir}/data`, `--port=${port}`, `--bind-address=${lab.gateway}`,
        `--socket=${socket}`, `--pid-file=${dir}/pid`, '--skip-log-bin', '--max-connections=500', '--innodb-buffer-pool-size=64M',
        '--innodb-log-file-size=16M', `--log-error=${dir}/error.log`], { stdio: 'ignore' });
      await waitFor(ping, 'MariaDB to start');
    },
    async stop() {
      const s = server;
      if (!s || s.exitCode !== null) return;
      const exited = new Promise((r) => s.once('exit', r));
      s.kill('SIGTERM');
      await exited;
    },
    async close() {
      await self.stop();
    },
  };
  await self.start();
  sh('mysql', ['-uroot', `--socket=${socket}`, '-e', "CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY ''; GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION; FLUSH PRIVILEGES;"]);
  return self;
}

/** A dedicated PostgreSQL cluster on a fresh data directory, bound on the lab's bridge address, trust for the lab's subnet. */
export async function labPostgres(lab: Lab, port: number): Promise<LabServer> {
  const dir = path.join(lab.dir, 'postgres');
  sh('mkdir', ['-p', dir]);
  chownSync(dir, Number(sh('id', ['-u', 'postgres']).trim()), Number(sh('id', ['-g', 'postgres']).trim()));
  const bin = (tool: string): string => {
    const found = spawnSync('sh', ['-c', `ls /usr/lib/postgresql/*/bin/${tool} 2>/dev/null | sort -V | tail -1`], { encoding: 'utf8' }).stdout.trim();
    return found || tool;
  };
  sh(bin('initdb'), ['-D', `${dir}/data`, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], { user: 'postgres' });
  appendFileSync(`${dir}/data/pg_hba.conf`, `host all all ${lab.subnet}.0/24 trust\n`);
  const options = `-p ${port} -k ${dir} -c listen_addresses=${lab.gateway} -c max_connections=300 -c fsync=on`;
  const self: LabServer = {
    kind: 'postgres',
    url: `postgres://postgres@${lab.gateway}:${port}/postgres`,
    async start() {
      sh(bin('pg_ctl'), ['-D', `${dir}/data`, '-o', options, '-l', `${dir}/log`, '-w', '-t', '60', 'start'], { user: 'postgres' });
    },
    async stop() {
      sh(bin('pg_ctl'), ['-D', `${dir}/data`, '-m', 'fast', '-w', 'stop'], { user: 'postgres', ignore: true });
    },
    async close() {
      await self.stop();
    },
  };
  await self.start();
  return self;
}
