/**
 * Child process of `loopingFifo` (virtual-alsa.ts): keeps a FIFO full with a raw PCM file, looping
 * over it, so that an ALSA `type file` device reading the FIFO never reaches the end of its infile
 * (after which it repeats stale data) however long a test keeps it open or however fast it reads.
 *
 * Why not paced at real time: the file plugin pads a short read with stale frames, so the pipe
 * must never run dry. Blocking writes of PIPE_BUF bytes (each lands whole, keeping reads aligned to
 * samples) refill it the moment there is room. The FIFO is held open read-write, so it opens
 * without a reader and a reader closing (a take ending, PortAudio probing the device) raises no
 * EPIPE. A watchdog thread ends the process once its parent is gone, since the main thread may then
 * be blocked in a write for ever.
 *   node fifo-loop-writer.js FIFO RAW PARENT_PID
 */
import { openSync, readFileSync, writeSync } from 'node:fs';
import { Worker, isMainThread, workerData } from 'node:worker_threads';

interface Watch {
  parent: number;
  ready: Int32Array;
}

if (!isMainThread) {
  const { parent, ready } = workerData as Watch;
  Atomics.store(ready, 0, 1);
  Atomics.notify(ready, 0);
  setInterval(() => {
    if (process.ppid !== parent) process.kill(process.pid, 'SIGKILL');
  }, 250);
} else {
  const [fifo, raw, parentArg] = process.argv.slice(2);
  if (!fifo || !raw || !parentArg) throw new Error('usage: fifo-loop-writer FIFO RAW PARENT_PID');
  const data = readFileSync(raw);
  if (data.length < 2 || data.length % 2 !== 0) throw new Error(`${raw}: not whole 16-bit samples`);
  const ready = new Int32Array(new SharedArrayBuffer(4));
  const watch: Watch = { parent: Number(parentArg), ready };
  new Worker(new URL(import.meta.url), { workerData: watch });
  Atomics.wait(ready, 0, 0, 10_000); // the watchdog runs before the first write can block
  const fd = openSync(fifo, 'r+');
  const PIPE_BUF = 4096;
  let pos = 0;
  for (;;) pos = (pos + writeSync(fd, data, pos, Math.min(PIPE_BUF, data.length - pos))) % data.length;
}
