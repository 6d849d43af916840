/**
 * Console pipeline: a local TCP console source (ser2net style) -> ConsoleSession (ring history,
 * reconnect machinery) -> sink (the terminal renderer's CRLF step + a SHA-256 of every byte).
 * Figures: throughput without loss (bytes and checksum compared), memory while streaming (the
 * ring buffer bounds history), and typing echo latency on loopback while the stream runs.
 * Baseline: the same bytes over a bare net.Socket into the same sink (no session).
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import type { Report } from '../bench';
import { percentile } from '../bench';
import { CrlfNormalizer } from '../../hv-core/console/render';
import { ConsoleSession } from '../../hv-core/console/session';
import { TcpSource } from '../../hv-core/console/tcp';

export const title = 'Consoles (TCP source -> session -> terminal sink)';

const TOTAL = 128 * 1024 * 1024;
const CHUNK = 64 * 1024;
const HISTORY = 1 << 20;

/** Deterministic console-like text: lines of printable ASCII (never \x01, the echo marker). */
function makeChunk(seed: number): Buffer {
  const b = Buffer.allocUnsafe(CHUNK);
  let x = seed * 2654435761 >>> 0;
  for (let i = 0; i < CHUNK; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = i % 80 === 79 ? 0x0a : 0x20 + ((x >>> 16) % 95);
  }
  return b;
}
const CHUNKS = Array.from({ length: 16 }, (_, i) => makeChunk(i + 1));

/** A console server: streams `total` bytes (with backpressure); echoes typed keys as \x01<key>\x01 in the stream. */
function server(total: number, endless: boolean): Promise<{ port: number; close(): void; sentHash: () => string }> {
  const hash = createHash('sha256');
  const srv = net.createServer((s) => {
    s.setNoDelay(true);
    let sent = 0;
    let i = 0;
    const pump = (): void => {
      while (endless || sent < total) {
        const c = CHUNKS[i++ % CHUNKS.length]!;
        const part = endless ? c : c.subarray(0, Math.min(c.length, total - sent));
        if (!endless) hash.update(part);
        sent += part.length;
        if (!s.write(part)) return void s.once('drain', pump);
      }
      if (!endless) s.end();
    };
    s.on('data', (d) => s.write(Buffer.concat([Buffer.from([1]), d, Buffer.from([1])])));
    s.on('error', () => undefined);
    pump();
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve({ port: (srv.address() as net.AddressInfo).port, close: () => srv.close(), sentHash: () => hash.digest('hex') })));
}

function mb(n: number): string {
  return `${(n / 1048576).toFixed(1)} MB`;
}

export async function run(report: Report): Promise<void> {
  // Baseline: bare socket into the same sink (one warm-up run first, for both paths' JIT).
  const bare = async (total: number): Promise<number> => {
    const srv = await server(total, false);
    const h = createHash('sha256');
    const crlf = new CrlfNormalizer();
    let n = 0;
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      const s = net.connect(srv.port, '127.0.0.1');
      s.on('data', (d: Buffer) => {
        n += d.length;
        h.update(d);
        crlf.push(d);
      });
      s.on('end', () => resolve());
    });
    srv.close();
    return n / 1048576 / ((performance.now() - t0) / 1000);
  };
  await bare(16 * 1048576);
  const baselineRate = await bare(TOTAL);
  report({ figure: `baseline: bare socket -> sink, ${mb(TOTAL)}`, value: `${baselineRate.toFixed(0)} MB/s` });

  // Through the session.
  global.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const rss0 = process.memoryUsage().rss;
  const srv = await server(TOTAL, false);
  const session = new ConsoleSession(new TcpSource({ host: '127.0.0.1', port: srv.port }), { historyBytes: HISTORY, reconnect: false });
  const h = createHash('sha256');
  const crlf = new CrlfNormalizer();
  let n = 0;
  let peakHeap = 0;
  let peakRss = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    session.on('data', (d) => {
      n += d.length;
      h.update(d);
      crlf.push(d);
      if ((n & 0xfffff) < d.length) {
        const m = process.memoryUsage();
        peakHeap = Math.max(peakHeap, m.heapUsed);
        peakRss = Math.max(peakRss, m.rss);
      }
    });
    session.on('status', (ev) => ev.type === 'disconnected' && resolve());
    void session.start();
  });
  const secs = (performance.now() - t0) / 1000;
  const rate = n / 1048576 / secs;
  const lossless = n === TOTAL && h.digest('hex') === srv.sentHash();
  report({ figure: `session -> sink, ${mb(TOTAL)} (bytes and SHA-256 compared)`, value: `${rate.toFixed(0)} MB/s`, baseline: `${baselineRate.toFixed(0)} MB/s bare socket`, ratio: `${(rate / baselineRate).toFixed(2)}x`, target: '>= 10 MB/s, no loss', ok: rate >= 10 && lossless });
  report({ figure: '  lost bytes / checksum', value: lossless ? '0 / equal' : `${TOTAL - n} / ${lossless ? 'equal' : 'DIFFERENT'}`, ok: lossless });
  report({ figure: `  history kept (ring buffer capacity ${mb(HISTORY)})`, value: mb(session.history.size), ok: session.history.size <= HISTORY });
  report({ figure: '  peak heap growth while streaming', value: mb(peakHeap - heap0), target: '< 64 MB (history is bounded)', ok: peakHeap - heap0 < 64 * 1048576 });
  report({ figure: '  peak RSS growth while streaming', value: mb(peakRss - rss0) });
  await session.close();
  srv.close();

  // Typing while the stream runs: each key comes back as \x01key\x01 behind the queued output.
  const live = await server(0, true);
  const s2 = new ConsoleSession(new TcpSource({ host: '127.0.0.1', port: live.port }), { historyBytes: HISTORY, reconnect: false });
  const lat: number[] = [];
  let streamed = 0;
  let pendingKey: { id: string; t: number; resolve: () => void } | undefined;
  let tail = '';
  s2.on('data', (d) => {
    streamed += d.length;
    if (!pendingKey) return;
    const text = tail + d.toString('latin1');
    if (text.includes(`\x01${pendingKey.id}\x01`)) {
      lat.push(performance.now() - pendingKey.t);
      const k = pendingKey;
      pendingKey = undefined;
      k.resolve();
    }
    tail = text.slice(-16);
  });
  await s2.start();
  const tStream = performance.now();
  for (let i = 0; i < 200; i++) {
    const id = `k${i}`;
    await new Promise<void>((resolve) => {
      pendingKey = { id, t: performance.now(), resolve };
      tail = '';
      s2.send(id);
    });
  }
  const streamSecs = (performance.now() - tStream) / 1000;
  report({ figure: 'typing echo latency while streaming, p50 (200 keys)', value: `${percentile(lat, 50).toFixed(2)} ms`, target: '< 50 ms', ok: percentile(lat, 50) < 50 });
  report({ figure: 'typing echo latency while streaming, p95', value: `${percentile(lat, 95).toFixed(2)} ms`, target: '< 100 ms', ok: percentile(lat, 95) < 100 });
  report({ figure: '  stream rate meanwhile', value: `${(streamed / 1048576 / streamSecs).toFixed(0)} MB/s` });
  await s2.close();
  live.close();
}
