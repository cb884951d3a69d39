/**
 * A compose service as a process of this machine: what its container would
 * run, with the container's file system replaced by directories of the run.
 *
 * - environment: the service's `environment:`, interpolated with the host's
 *   variables as compose does (host names are left as they are: the host's
 *   hosts file resolves them, see testbed.ts);
 * - mounts: a bind-mounted file or directory of the repository is copied
 *   into the run, a host directory (`${PG_BACKUP_DIR}`) is used as it is, a
 *   named volume is a directory of the host; every container path of a mount
 *   is replaced by its directory in the command, the environment and the
 *   copied configuration files;
 * - the image's contract (`ImageContract`): its entrypoint's rule, working
 *   directory, user, the paths it keeps private to the container;
 * - programs: the machine's (Debian's packages) under the same names; the
 *   official images' `docker-entrypoint.sh` is a shim that runs its
 *   arguments.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { interpolate, rawEnvironment, type ComposeService } from './compose';

/** What a service's image does that compose relies on (as infra/containers' stand-ins reproduce it). */
export interface ImageContract {
  /** The entrypoint's rewrite of the command (e.g. nats: `-c conf` runs `nats-server -c conf`). */
  entrypoint?: (command: string[]) => string[];
  /** WORKDIR: the command's working directory. */
  workdir?: string;
  /** USER of the image (a compose `user:` wins). */
  user?: string;
  /** Container paths that are neither mounted nor shared: each gets a directory of the service's own. */
  privatePaths?: string[];
}

export interface ServiceProcess {
  service: string;
  /** Program (absolute, on this machine) and arguments. */
  command: string[];
  env: Record<string, string>;
  cwd: string;
  /** Runs as this system user (setpriv) instead of root. */
  user?: string;
  /** The directories the process writes: created, and owned by `user`. */
  dirs: string[];
}

export interface ProcessLayout {
  /** The compose file's directory (bind-mount sources are relative to it). */
  composeDir: string;
  /** This service's own directory in the run. */
  serviceDir: string;
  /** Where the host's named volumes live in the run. */
  volumesDir: string;
  /** Where the shims (docker-entrypoint.sh) live. */
  shimDir: string;
}

/** The standard PATH of the images, with the shims first and PostgreSQL's programs (the postgres image puts them on PATH). */
export function processPath(shimDir: string, pgBin: string): string {
  return [shimDir, pgBin, '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'].join(':');
}

/** Writes the shims the official images' entrypoints stand for (once: a process may be running one). */
export function writeShims(shimDir: string): void {
  mkdirSync(shimDir, { recursive: true });
  const entrypoint = path.join(shimDir, 'docker-entrypoint.sh');
  // The official redis and postgres entrypoints end by running their arguments (after a user switch we do not need).
  if (!existsSync(entrypoint)) writeFileSync(entrypoint, '#!/bin/sh\nexec "$@"\n', { mode: 0o755 });
}

interface Mount {
  container: string;
  host: string;
}

/** Replaces each container path (longest first) where it stands as a path: after a delimiter, before one. */
export function mapPaths(text: string, mounts: readonly Mount[]): string {
  let out = text;
  for (const m of [...mounts].sort((a, b) => b.container.length - a.container.length)) {
    const escaped = m.container.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    out = out.replace(new RegExp(`(^|[\\s"'=:,(])${escaped}(?=$|[\\s/"':;,)])`, 'gm'), (_all, pre: string) => `${pre}${m.host}`);
  }
  return out;
}

function isText(file: string): boolean {
  const head = readFileSync(file).subarray(0, 4096);
  return !head.includes(0);
}

/** Copies a bind-mount source into the run, text files with their container paths mapped. */
function copyMapped(source: string, target: string, mounts: readonly Mount[]): void {
  if (statSync(source).isDirectory()) {
    mkdirSync(target, { recursive: true });
    for (const entry of readdirSync(source)) copyMapped(path.join(source, entry), path.join(target, entry), mounts);
    return;
  }
  mkdirSync(path.dirname(target), { recursive: true });
  if (isText(source)) writeFileSync(target, mapPaths(readFileSync(source, 'utf8'), mounts), { mode: statSync(source).mode & 0o777 });
  else cpSync(source, target);
}

function which(program: string, pathVar: string): string {
  for (const dir of pathVar.split(':')) {
    const p = path.join(dir, program);
    if (existsSync(p)) return p;
  }
  throw new Error(`${program}: not found on this machine (PATH ${pathVar})`);
}

/**
 * The process that stands for `name` of a compose file. `vars` are the
 * host's variables (its .env); `pgBin` PostgreSQL's programs directory.
 */
export function serviceProcess(
  name: string,
  svc: ComposeService,
  vars: Readonly<Record<string, string>>,
  contract: ImageContract,
  layout: ProcessLayout,
  pgBin: string,
): ServiceProcess {
  const where = `${path.basename(layout.composeDir)}/${name}`;
  const mounts: Mount[] = [];
  const copies: { source: string; target: string }[] = [];
  const dirs: string[] = [];
  for (const entry of (svc.volumes as string[] | undefined) ?? []) {
    const [rawSource, container] = splitVolume(interpolate(entry, vars, `${where} volumes`));
    if (rawSource.startsWith('.')) {
      const source = path.resolve(layout.composeDir, rawSource);
      const target = path.join(layout.serviceDir, 'mounts', container.replace(/\//g, '_'));
      copies.push({ source, target });
      mounts.push({ container, host: target });
    } else if (rawSource.startsWith('/')) {
      mounts.push({ container, host: rawSource });
      dirs.push(rawSource);
    } else {
      const host = path.join(layout.volumesDir, rawSource);
      mounts.push({ container, host });
      dirs.push(host);
    }
  }
  for (const p of contract.privatePaths ?? []) {
    const host = path.join(layout.serviceDir, 'private', p.replace(/\//g, '_'));
    mounts.push({ container: p, host });
    dirs.push(host);
  }
  for (const c of copies) copyMapped(c.source, c.target, mounts);

  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(rawEnvironment(svc))) env[k] = mapPaths(interpolate(v, vars, `${where} ${k}`), mounts);
  const PATH = processPath(layout.shimDir, pgBin);
  env.PATH = PATH;

  const raw = Array.isArray(svc.command) ? svc.command.map(String) : String(svc.command ?? '').split(/\s+/).filter(Boolean);
  if (raw.length === 0) throw new Error(`${where}: no command (the harness runs what compose names)`);
  const command = (contract.entrypoint ?? ((c: string[]) => c))(raw).map((a) => mapPaths(interpolate(a, vars, `${where} command`), mounts));
  const program = command[0]!;
  // An image's own path (/usr/local/bin/etcd) is this machine's program of the same name.
  command[0] = program.startsWith('/') && existsSync(program) ? program : which(path.basename(program), PATH);

  const cwd = contract.workdir ? mapPaths(contract.workdir, mounts) : layout.serviceDir;
  dirs.push(layout.serviceDir, cwd);
  const user = (svc.user as string | undefined) ?? contract.user;
  return { service: name, command, env, cwd, ...(user ? { user } : {}), dirs: [...new Set(dirs)] };
}

/** "source:target[:mode]" (the source may hold no colon once interpolated). */
function splitVolume(v: string): [string, string] {
  const parts = v.split(':');
  if (parts.length < 2) throw new Error(`volume '${v}': expected source:target`);
  return [parts[0]!, parts[1]!];
}

/** uid and gid of a system user. */
export function userIds(user: string): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, user], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** Creates the directories a process writes, owned by its user. */
export function prepareDirs(p: ServiceProcess): void {
  const ids = p.user ? userIds(p.user) : undefined;
  for (const d of p.dirs) {
    mkdirSync(d, { recursive: true });
    if (ids) chownSync(d, ids.uid, ids.gid);
  }
}

/** The spawn arguments of `p` in a namespace: `ip netns exec <ns> [setpriv …] program args`. */
export function spawnArgs(p: ServiceProcess, netnsPrefixArgs: string[]): string[] {
  const drop = p.user ? ['setpriv', `--reuid=${p.user}`, `--regid=${p.user}`, '--init-groups', '--'] : [];
  return [...netnsPrefixArgs, ...drop, ...p.command];
}
