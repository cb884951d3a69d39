/**
 * The test bed of test:ha on 10.231.14.0/24: server A, server B and the
 * witness, each a network namespace (the compose files' hosts), and a client
 * namespace for what is outside the deployment: the plug-ins uploading to
 * the floating address, the LLM provider (llm-sim) and the operator's probes.
 * All four are plugged into one bridge (in a namespace of its own).
 */
import type { Testbed, TestHost } from '@voc/two-hosts/harness';

export type ServerHost = 'server-a' | 'server-b' | 'witness';
export type HaRole = ServerHost | 'client';

export const HA_HOSTS: Readonly<Record<HaRole, TestHost>> = {
  'server-a': { role: 'server-a', netns: 'voc-ha-a', address: '10.231.14.1', port: 'ha-a' },
  'server-b': { role: 'server-b', netns: 'voc-ha-b', address: '10.231.14.2', port: 'ha-b' },
  witness: { role: 'witness', netns: 'voc-ha-w', address: '10.231.14.3', port: 'ha-w' },
  client: { role: 'client', netns: 'voc-ha-c', address: '10.231.14.10', port: 'ha-c' },
};

export const SERVER_HOSTS: readonly ServerHost[] = ['server-a', 'server-b', 'witness'];

/** The floating address (VIRTUAL_IP), held by A or B. */
export const HA_VIRTUAL_IP = '10.231.14.100';

export const HA_TESTBED: Testbed = { bridgeNetns: 'voc-ha-net', prefix: 24, hosts: Object.values(HA_HOSTS) };

/** One run at a time: a second one would tear down the first one's namespaces. */
export const HA_LOCK = '/run/lock/voc-ha.pid';
