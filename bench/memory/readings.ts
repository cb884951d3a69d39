/** What bench:memory and its gateway probe read of a service: its process tree's RSS (/proc) and V8's heap (/metrics). */
import { readFileSync } from 'node:fs';
import { descendantsOf } from '@voc/local-stack';

const MB = 1024 * 1024;

/** From a service's /metrics, one scrape. */
export interface HeapReading {
  heapTotalMb?: number;
  heapUsedMb?: number;
  externalMb?: number;
  /** V8 heap spaces, used MB (new, old, code, large_object). */
  spacesMb?: Record<string, number>;
}

/** Resident memory of `pid` and every descendant, in MB (0 once gone), and the main process's anonymous / file-backed split. */
export function treeRss(pid: number): { rssMb: number; anonMb: number; fileMb: number } {
  let kb = 0;
  let anon = 0;
  let file = 0;
  for (const p of [pid, ...descendantsOf(pid)]) {
    try {
      const st = readFileSync(`/proc/${p}/status`, 'utf8');
      kb += Number(/VmRSS:\s+(\d+)/.exec(st)?.[1] ?? 0);
      if (p === pid) {
        anon = Number(/RssAnon:\s+(\d+)/.exec(st)?.[1] ?? 0);
        file = Number(/RssFile:\s+(\d+)/.exec(st)?.[1] ?? 0);
      }
    } catch {
      // exited between the listing and the read
    }
  }
  return { rssMb: kb / 1024, anonMb: anon / 1024, fileMb: file / 1024 };
}

export async function heapOf(url: string): Promise<HeapReading> {
  const text = await (await fetch(url)).text();
  const get = (metric: string) => {
    const m = new RegExp(`^${metric}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
    return m ? Number(m[1]) / MB : undefined;
  };
  const spacesMb: Record<string, number> = {};
  for (const m of text.matchAll(/^nodejs_heap_space_size_used_bytes\{space="(\w+)"[^}]*\} (\S+)$/gm)) spacesMb[m[1]!] = Number(m[2]) / MB;
  return { heapTotalMb: get('nodejs_heap_size_total_bytes'), heapUsedMb: get('nodejs_heap_size_used_bytes'), externalMb: get('nodejs_external_memory_bytes'), spacesMb };
}
