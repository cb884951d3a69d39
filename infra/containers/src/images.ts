/**
 * The images of the run, made without a registry, in the build engine (the
 * machine's network namespace, `--network host` builds):
 *
 *  1. a Debian bookworm root filesystem from Debian's repository
 *     (debootstrap --variant=minbase), imported twice: whole (with apt's
 *     package lists, for the server stand-ins) and trimmed like the official
 *     debian slim images (for the Node stand-in);
 *  2. the stand-ins of the official images (images/*.Dockerfile): Node
 *     (this machine's node and npm, the `node` user) and the servers from
 *     Debian's packages;
 *  3. the project image, from the repository's real Dockerfile, with the
 *     Node stand-in as NODE_IMAGE.
 *
 * Then every image is copied into each host's engine (`docker save |
 * docker load`, once per engine: layers shared by several images travel once).
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { OFFICIAL_IMAGES } from '@voc/infra';
import { pipe, runCommand, tail } from './command';
import type { Engine, Log } from './engine';
import type { HostRole } from './testbed';

/** Debian's repository and release the base file system comes from (what `apt` on this machine uses). */
export const DEBIAN = { suite: 'bookworm', mirror: 'http://deb.debian.org/debian' } as const;

/** The tags of the stand-ins: never the official names, so nothing can mistake one for the other. */
export const STAND_INS = {
  debian: 'voc-ct/debian:bookworm',
  debianSlim: 'voc-ct/debian:bookworm-slim',
  node: 'voc-ct/node:20-bookworm-slim',
  postgres: 'voc-ct/postgres:15-bookworm',
  redis: 'voc-ct/redis:7-bookworm',
  nats: 'voc-ct/nats:2-bookworm',
  prometheus: 'voc-ct/prometheus:2-bookworm',
  etcd: 'voc-ct/etcd:3-bookworm',
  haproxy: 'voc-ct/haproxy:2-bookworm',
} as const;

/**
 * The deployment's own server images (the compose files' `build:` sections,
 * infra/docker/): built from their real Dockerfiles over the stand-ins, under
 * the names the compose files default to, as `docker-compose build` would.
 */
export const DEPLOYMENT_IMAGES = {
  patroni: { tag: 'voc-patroni:15', dockerfile: 'patroni.Dockerfile', arg: `${OFFICIAL_IMAGES.postgres.variable}=${STAND_INS.postgres}` },
  keepalived: { tag: 'voc-keepalived:2', dockerfile: 'keepalived.Dockerfile', arg: `${OFFICIAL_IMAGES.debian.variable}=${STAND_INS.debianSlim}` },
} as const;

/** The uid of the postgres user in the PostgreSQL stand-in (and the official image). */
export const POSTGRES_UID = 999;

/** The project image, under the name the compose files default to (VOC_IMAGE). */
export const PROJECT_IMAGE = 'voc-pipeline:latest';

/**
 * The host variables that point the compose files at the stand-ins. Grafana
 * and the NATS exporter have no Debian package: they are not run (see the README).
 */
export const STAND_IN_VARIABLES: Record<string, string> = {
  [OFFICIAL_IMAGES.postgres.variable]: STAND_INS.postgres,
  [OFFICIAL_IMAGES.redis.variable]: STAND_INS.redis,
  [OFFICIAL_IMAGES.nats.variable]: STAND_INS.nats,
  [OFFICIAL_IMAGES.prometheus.variable]: STAND_INS.prometheus,
  [OFFICIAL_IMAGES.node.variable]: STAND_INS.node,
  [OFFICIAL_IMAGES.etcd.variable]: STAND_INS.etcd,
  [OFFICIAL_IMAGES.haproxy.variable]: STAND_INS.haproxy,
  [OFFICIAL_IMAGES.debian.variable]: STAND_INS.debianSlim,
};

/** The server stand-ins: image tag → target of images/servers.Dockerfile. */
const SERVER_TARGETS: [tag: string, target: string][] = [
  [STAND_INS.postgres, 'postgres'],
  [STAND_INS.redis, 'redis'],
  [STAND_INS.nats, 'nats'],
  [STAND_INS.prometheus, 'prometheus'],
  [STAND_INS.etcd, 'etcd'],
  [STAND_INS.haproxy, 'haproxy'],
];

const IMAGES_DIR = path.resolve(__dirname, '../images');

/** Trimmed from the slim base: what debian:bookworm-slim leaves out too (docs, man pages, locales, apt lists). */
const SLIM_EXCLUDES = ['./usr/share/doc', './usr/share/man', './usr/share/locale', './usr/share/info', './var/lib/apt/lists', './var/cache/apt'];

export interface BuiltImages {
  /** Seconds per step. */
  timings: Record<string, number>;
  /** Bytes per image (`docker image inspect` Size). */
  sizes: Record<string, number>;
}

async function timed<T>(timings: Record<string, number>, step: string, f: () => Promise<T>): Promise<T> {
  const t = Date.now();
  try {
    return await f();
  } finally {
    timings[step] = Math.round((Date.now() - t) / 100) / 10;
  }
}

const legacyNoise = (l: string) => /DEPRECATED: The legacy builder|Install the buildx component|docs\.docker\.com\/go\/buildx|^\s*$/.test(l);

/**
 * `docker build` with the classic builder (what docker-compose 1.29 uses),
 * the machine's network (npm ci and apt need the registries).
 */
async function build(engine: Engine, args: string[], log: Log, what: string): Promise<void> {
  const out: string[] = [];
  const r = await engine.docker(['build', '--network', 'host', ...args], {
    allowFailure: true,
    timeoutMs: 15 * 60_000,
    env: { DOCKER_BUILDKIT: '0' },
    onLine: (l) => {
      if (legacyNoise(l)) return;
      out.push(l);
      if (/^Step \d+\/\d+ : (FROM|RUN|COPY)/.test(l)) log(`  ${what}: ${l.slice(0, 140)}`);
    },
  });
  if (r.code !== 0) throw new Error(`docker build of ${what} failed:\n${tail(out.join('\n'), 6000)}`);
}

export async function imageSize(engine: Engine, image: string): Promise<number> {
  const r = await engine.docker(['image', 'inspect', '--format', '{{.Size}}', image]);
  return Number(r.stdout.trim());
}

/** The Debian root file system (debootstrap), imported as the two base images. */
async function debianBase(engine: Engine, dir: string, log: Log): Promise<void> {
  const rootfs = path.join(dir, 'rootfs');
  log(`debootstrap --variant=minbase ${DEBIAN.suite} from ${DEBIAN.mirror}`);
  await runCommand('debootstrap', ['--variant=minbase', DEBIAN.suite, rootfs, DEBIAN.mirror], { timeoutMs: 10 * 60_000 });
  rmSync(path.join(rootfs, 'var/cache/apt/archives'), { recursive: true, force: true });
  mkdirSync(path.join(rootfs, 'var/cache/apt/archives/partial'), { recursive: true });
  const changes = ['ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'ENV LANG=C.UTF-8', 'CMD ["bash"]'].flatMap((c) => ['--change', c]);
  const tarEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  await pipe({ cmd: 'tar', args: ['-C', rootfs, '-c', '.'], env: tarEnv }, { cmd: 'docker', args: ['import', ...changes, '-', STAND_INS.debian], env: engine.env() });
  await pipe(
    { cmd: 'tar', args: ['-C', rootfs, ...SLIM_EXCLUDES.map((e) => `--exclude=${e}`), '-c', '.'], env: tarEnv },
    { cmd: 'docker', args: ['import', ...changes, '-', STAND_INS.debianSlim], env: engine.env() },
  );
  rmSync(rootfs, { recursive: true, force: true });
}

/** The Node stand-in: this machine's node binary and npm in the slim base. */
async function nodeStandIn(engine: Engine, dir: string, log: Log): Promise<void> {
  const ctx = path.join(dir, 'node-context');
  mkdirSync(ctx, { recursive: true });
  copyFileSync(process.execPath, path.join(ctx, 'node'));
  const npmDir = npmPackageDir();
  cpSync(npmDir, path.join(ctx, 'npm'), { recursive: true, dereference: true });
  await build(engine, ['-f', path.join(IMAGES_DIR, 'node.Dockerfile'), '--build-arg', `BASE_IMAGE=${STAND_INS.debianSlim}`, '-t', STAND_INS.node, ctx], log, 'node stand-in');
  rmSync(ctx, { recursive: true, force: true });
}

/** npm's own package directory beside this Node (…/lib/node_modules/npm). */
function npmPackageDir(): string {
  const candidates = [
    path.resolve(path.dirname(process.execPath), '../lib/node_modules/npm'),
    '/usr/lib/node_modules/npm',
    '/usr/local/lib/node_modules/npm',
  ];
  const found = candidates.find((c) => existsSync(path.join(c, 'bin/npm-cli.js')));
  if (!found) throw new Error(`npm not found beside ${process.execPath} (looked in ${candidates.join(', ')})`);
  return realpathSync(found);
}

async function serverStandIns(engine: Engine, root: string, log: Log): Promise<void> {
  for (const [tag, target] of SERVER_TARGETS) {
    await build(
      engine,
      ['-f', path.join(IMAGES_DIR, 'servers.Dockerfile'), '--target', target, '--build-arg', `BASE_IMAGE=${STAND_INS.debian}`, '-t', tag, IMAGES_DIR],
      log,
      `${target} stand-in`,
    );
  }
  // Patroni over the PostgreSQL stand-in, keepalived over the slim base: the deployment's Dockerfiles.
  const context = path.join(root, 'infra', 'docker');
  for (const img of Object.values(DEPLOYMENT_IMAGES)) {
    await build(engine, ['-f', path.join(context, img.dockerfile), '--build-arg', img.arg, '-t', img.tag, context], log, img.tag);
  }
}

/**
 * The project image from the real Dockerfile. Behind a TLS-intercepting
 * proxy (NODE_EXTRA_CA_CERTS set on this machine) its CA bundle goes into
 * the build context as .build-ca/ca.pem for the build stage (BUILD_CA_FILE),
 * and is removed afterwards.
 */
async function projectImage(engine: Engine, root: string, log: Log): Promise<void> {
  const args = ['--build-arg', `NODE_IMAGE=${STAND_INS.node}`, '-t', PROJECT_IMAGE];
  const extraCa = process.env.NODE_EXTRA_CA_CERTS;
  const caDir = path.join(root, '.build-ca');
  if (extraCa && existsSync(extraCa)) {
    mkdirSync(caDir, { recursive: true });
    writeFileSync(path.join(caDir, '.gitignore'), '*\n');
    copyFileSync(extraCa, path.join(caDir, 'ca.pem'));
    args.push('--build-arg', 'BUILD_CA_FILE=.build-ca/ca.pem');
    log(`the build stage trusts NODE_EXTRA_CA_CERTS (${extraCa}) through BUILD_CA_FILE`);
  }
  try {
    await build(engine, [...args, root], log, PROJECT_IMAGE);
  } finally {
    rmSync(caDir, { recursive: true, force: true });
  }
}

/** Every image of the run, built in `engine`. */
export async function buildImages(engine: Engine, root: string, dir: string, log: Log): Promise<BuiltImages> {
  const timings: Record<string, number> = {};
  await timed(timings, 'debian base (debootstrap + import)', () => debianBase(engine, dir, log));
  await timed(timings, 'node stand-in', () => nodeStandIn(engine, dir, log));
  // The project image is the long step; the server stand-ins build beside it.
  await Promise.all([
    timed(timings, `project image ${PROJECT_IMAGE}`, () => projectImage(engine, root, log)),
    timed(timings, 'server stand-ins and the Patroni and keepalived images', () => serverStandIns(engine, root, log)),
  ]);
  const sizes: Record<string, number> = {};
  for (const image of ALL_IMAGES) sizes[image] = await imageSize(engine, image);
  return { timings, sizes };
}

const ALL_IMAGES = [PROJECT_IMAGE, STAND_INS.node, ...SERVER_TARGETS.map(([t]) => t), ...Object.values(DEPLOYMENT_IMAGES).map((d) => d.tag)];

/** The images each host's compose file runs. */
export const HOST_IMAGES: Record<HostRole, string[]> = {
  'server-a': [PROJECT_IMAGE, STAND_INS.postgres, DEPLOYMENT_IMAGES.patroni.tag, DEPLOYMENT_IMAGES.keepalived.tag, STAND_INS.redis, STAND_INS.nats, STAND_INS.etcd, STAND_INS.haproxy, STAND_INS.prometheus],
  'server-b': [PROJECT_IMAGE, STAND_INS.postgres, DEPLOYMENT_IMAGES.patroni.tag, DEPLOYMENT_IMAGES.keepalived.tag, STAND_INS.redis, STAND_INS.nats, STAND_INS.etcd, STAND_INS.haproxy, STAND_INS.prometheus],
  witness: [STAND_INS.postgres, STAND_INS.redis, STAND_INS.nats, STAND_INS.etcd, STAND_INS.prometheus],
};

/**
 * Each host's images into its engine: `docker save` to one file per host
 * (layers shared by several images of a host travel once), then `docker
 * load` into the engines in parallel.
 */
export async function shipImages(from: Engine, to: Record<HostRole, Engine>, dir: string, log: Log): Promise<number> {
  const t = Date.now();
  const roles = Object.keys(to) as HostRole[];
  const files = Object.fromEntries(roles.map((r) => [r, path.join(dir, `images-${r}.tar`)])) as Record<HostRole, string>;
  // A and B run the same images: one file for both.
  const same = (r: HostRole) => (r === 'server-b' ? 'server-a' : r);
  await Promise.all(roles.filter((r) => same(r) === r).map((r) => from.docker(['save', '-o', files[r], ...HOST_IMAGES[r]], { timeoutMs: 600_000 })));
  await Promise.all(roles.map((r) => to[r].docker(['load', '-q', '-i', files[same(r)]], { timeoutMs: 600_000 })));
  for (const f of Object.values(files)) rmSync(f, { force: true });
  const s = Math.round((Date.now() - t) / 100) / 10;
  log(`docker save | docker load: ${roles.map((r) => `${HOST_IMAGES[r].length} images into ${r}'s engine`).join(', ')}: ${s} s`);
  return s;
}
