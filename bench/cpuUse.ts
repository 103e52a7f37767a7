/*
 * CPU use of the benchmark's processes, from /proc: what each part of a run costs per message.
 */
import fs from 'node:fs';
import os from 'node:os';

/** CPU seconds used so far by a process and its threads, from /proc. */
export function processCpuSeconds(pid: number): number {
  try {
    const fields = fs
      .readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /, '')
      .split(' ');
    // utime and stime, fields 14 and 15 of stat(5), in clock ticks of 1/100 s.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0; // The process ended in between.
  }
}

/** CPU seconds of one thread of a process, from /proc. */
function taskCpuSeconds(pid: number, tid: string): number {
  try {
    const fields = fs
      .readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
      .replace(/^.*\) /, '')
      .split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0; // The thread ended in between.
  }
}

export type ThreadCpuSeconds = {
  /** The JavaScript main thread: HTTP, the outbox, the database client. */
  main: number;
  /** Threads started after the process was ready: the SMTP sending thread. */
  sending: number;
  /** V8's own threads (garbage collection, compilers) and libuv's pool. */
  runtime: number;
};

/**
 * A process's CPU seconds by kind of thread. The threads that exist once the process is ready
 * (`startupThreads`) are the main one and the runtime's; threads started later are the SMTP
 * sending thread (a worker thread, named `node` like V8's), except libuv's pool.
 */
export function threadCpuSeconds(
  pid: number,
  startupThreads: Set<string>,
): ThreadCpuSeconds {
  const use: ThreadCpuSeconds = { main: 0, sending: 0, runtime: 0 };
  let tids: string[] = [];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return use; // The process ended.
  }
  for (const tid of tids) {
    const seconds = taskCpuSeconds(pid, tid);
    let name = '';
    try {
      name = fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    if (tid === String(pid)) {
      use.main += seconds;
    } else if (startupThreads.has(tid) || name === 'libuv-worker') {
      use.runtime += seconds;
    } else {
      use.sending += seconds;
    }
  }
  return use;
}

/** The threads a process has now, to tell its later ones apart (`threadCpuSeconds`). */
export function threadsOf(pid: number): Set<string> {
  return new Set(fs.readdirSync(`/proc/${pid}/task`));
}

/** CPU seconds of every PostgreSQL server process on this machine. */
export function postgresCpuSeconds(): number {
  return fs
    .readdirSync('/proc')
    .filter(entry => /^\d+$/.test(entry))
    .filter(pid => {
      try {
        return fs
          .readFileSync(`/proc/${pid}/comm`, 'utf8')
          .startsWith('postgres');
      } catch {
        return false;
      }
    })
    .reduce((sum, pid) => sum + processCpuSeconds(Number(pid)), 0);
}

/** CPU used by each part of a run, per message, in milliseconds. */
export function cpuMeter(
  smtpServerPid: number,
  portal?: {
    cpuSeconds: () => number;
    threadCpuSeconds: () => ThreadCpuSeconds[];
  },
) {
  const threads = () => {
    const sum: ThreadCpuSeconds = { main: 0, sending: 0, runtime: 0 };
    for (const use of portal?.threadCpuSeconds() ?? []) {
      sum.main += use.main;
      sum.sending += use.sending;
      sum.runtime += use.runtime;
    }
    return sum;
  };
  const read = () => ({
    bench: process.cpuUsage(),
    portal: portal?.cpuSeconds() ?? 0,
    threads: threads(),
    postgres: postgresCpuSeconds(),
    smtp: processCpuSeconds(smtpServerPid),
  });
  const start = read();
  return (messages: number) => {
    const end = read();
    const perMessage = (seconds: number) => (seconds * 1000) / messages;
    const ms = (seconds: number) => perMessage(seconds).toFixed(2);
    const benchSeconds =
      (end.bench.user +
        end.bench.system -
        start.bench.user -
        start.bench.system) /
      1e6;
    const portalSeconds = end.portal - start.portal;
    const seconds =
      portalSeconds +
      end.postgres -
      start.postgres +
      end.smtp -
      start.smtp +
      benchSeconds;
    const split = portal
      ? ` (main thread ${ms(
          end.threads.main - start.threads.main,
        )}, SMTP sending thread ${ms(
          end.threads.sending - start.threads.sending,
        )}, V8 and libuv threads ${ms(
          end.threads.runtime - start.threads.runtime,
        )})`
      : '';
    return {
      line: `CPU per message: portal ${ms(
        portalSeconds,
      )} ms${split}, PostgreSQL ${ms(
        end.postgres - start.postgres,
      )} ms, SMTP server ${ms(end.smtp - start.smtp)} ms, sender/callers ${ms(
        benchSeconds,
      )} ms; ${ms(seconds)} ms in all`,
      /** The portal's CPU per message, ms. */
      portalMs: perMessage(portalSeconds),
      /** This process's CPU per message (raw nodemailer's sender, or the callers), ms. */
      benchMs: perMessage(benchSeconds),
      /** The most messages a second this machine's cores could do at this CPU cost. */
      ceiling: (os.availableParallelism() * messages) / seconds,
    };
  };
}
