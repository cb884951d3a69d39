/**
 * The in-memory model of a compose file: what the generator builds, what the
 * tests inspect and what a process-based harness can run. `composeYaml`
 * turns it into the committed YAML (notes become comments).
 */
import { CPU_CLASSES, SERVER_CPU_CLASSES, type ServerName } from '@voc/config';
import { commented, toYaml, type YamlMap, type YamlValue } from './yaml';

export type DependencyCondition = 'service_healthy' | 'service_started' | 'service_completed_successfully';

export interface Healthcheck {
  test?: string[];
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
  /** Only for one-shot services (migrate). */
  disable?: true;
}

export interface ComposeService {
  image: string;
  build?: { context: string; dockerfile: string; args?: Record<string, string> };
  profiles?: string[];
  command?: string[];
  /** tini as PID 1: forwards SIGTERM, reaps children (the migration host). */
  init?: boolean;
  /** Runs the command as this user of the image. */
  user?: string;
  restart: 'unless-stopped' | 'no';
  /** 'host': the host's network stack (keepalived moves an address of the host's interface). */
  network_mode?: 'host';
  cap_add?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  extra_hosts?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: DependencyCondition }>;
  healthcheck: Healthcheck;
  mem_limit: string;
  /** CPU weight under contention (libs/config cpu-class.ts); unset = Docker's default 1024. */
  cpu_shares?: number;
  shm_size?: string;
  /** The signal `docker stop` sends first; unset = the image's STOPSIGNAL (SIGTERM). */
  stop_signal?: string;
  stop_grace_period?: string;
  logging: { driver: 'json-file'; options: { 'max-size': string; 'max-file': string } };
  /** Comments for the YAML: `service` above the service, others above their key. Not a compose key. */
  notes?: Partial<Record<'service' | keyof Omit<ComposeService, 'notes' | 'commandNotes'>, string>>;
  /** Comments above command entries, by index. Not a compose key. */
  commandNotes?: Record<number, string>;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes: Record<string, Record<string, never>>;
}

export const LOGGING: ComposeService['logging'] = { driver: 'json-file', options: { 'max-size': '50m', 'max-file': '5' } };

/** A server's container CPU weight, from its class in libs/config (cpu-class.ts). */
export const serverCpuShares = (server: ServerName): number => CPU_CLASSES[SERVER_CPU_CLASSES[server]].cpuShares;

/** "1536m" for compose's mem_limit. */
export const mebibytes = (mb: number): string => `${mb}m`;

/** mem_limit back to MiB ("1536m", "5g"). */
export function parseMemLimit(limit: string): number {
  const m = /^(\d+)([mg])$/.exec(limit);
  if (!m) throw new Error(`infra: mem_limit '${limit}' is not <n>m or <n>g`);
  return Number(m[1]) * (m[2] === 'g' ? 1024 : 1);
}

const COMPOSE_KEYS: readonly (keyof ComposeService)[] = [
  'image',
  'build',
  'profiles',
  'command',
  'init',
  'user',
  'restart',
  'network_mode',
  'cap_add',
  'environment',
  'ports',
  'extra_hosts',
  'volumes',
  'depends_on',
  'healthcheck',
  'mem_limit',
  'cpu_shares',
  'shm_size',
  'stop_signal',
  'stop_grace_period',
  'logging',
];

function serviceYaml(s: ComposeService): YamlMap {
  const out: YamlMap = {};
  for (const k of COMPOSE_KEYS) {
    const v = s[k];
    if (v === undefined) continue;
    let value = v as YamlValue;
    if (k === 'command' && s.commandNotes) {
      value = (v as string[]).map((arg, i) => (s.commandNotes![i] ? commented(s.commandNotes![i]!, arg) : arg));
    }
    const note = s.notes?.[k as keyof NonNullable<ComposeService['notes']>];
    out[k] = note ? commented(note, value) : value;
  }
  return out;
}

/** The plain compose document (no notes): what docker compose reads. */
export function composeDocument(file: ComposeFile): YamlMap {
  const services: YamlMap = {};
  for (const [name, s] of Object.entries(file.services)) {
    const { notes: _notes, commandNotes: _commandNotes, ...rest } = s;
    services[name] = rest as unknown as YamlMap;
  }
  return { services, volumes: file.volumes };
}

export function composeYaml(file: ComposeFile, header: string): string {
  const services: YamlMap = {};
  for (const [name, s] of Object.entries(file.services)) {
    services[name] = s.notes?.service ? commented(s.notes.service, serviceYaml(s)) : serviceYaml(s);
  }
  return toYaml({ services, volumes: file.volumes }, header);
}
