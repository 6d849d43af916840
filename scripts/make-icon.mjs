#!/usr/bin/env node
// Draws the extension icon (package.json "icon"): media/icon.png, 256x256 RGBA. The same picture as
// the activity-bar icon (media/acrn-nest.svg): three nested layers, the hypervisor, the Service VM
// with KVM and the L2 guest, on a dark tile. Drawn with signed distance fields (anti-aliased edges)
// and written with Node's zlib, so it needs no image tool:
//   node scripts/make-icon.mjs [out.png]
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const SIZE = 256;
const out = process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'media', 'icon.png');

/** Signed distance from (x, y) to a rounded rectangle (centre cx, cy; half sizes hw, hh; radius r). */
function roundedRect(x, y, cx, cy, hw, hh, r) {
  const qx = Math.abs(x - cx) - hw + r;
  const qy = Math.abs(y - cy) - hh + r;
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
}
const fill = (d) => Math.min(1, Math.max(0, 0.5 - d));
const stroke = (d, width) => Math.min(1, Math.max(0, 0.5 - (Math.abs(d) - width / 2)));

// Layers, back to front: [coverage(x, y), [r, g, b]].
const layers = [
  [(x, y) => fill(roundedRect(x, y, 128, 128, 124, 124, 44)), [0x1b, 0x2a, 0x41]], // the tile
  [(x, y) => stroke(roundedRect(x, y, 128, 128, 90, 86, 16), 14), [0x4f, 0xc3, 0xf7]], // hypervisor
  [(x, y) => stroke(roundedRect(x, y, 128, 140, 58, 50, 11), 12), [0x81, 0xe6, 0xa0]], // Service VM (KVM)
  [(x, y) => fill(roundedRect(x, y, 128, 146, 26, 20, 6)), [0xff, 0xb7, 0x4d]], // L2 guest
];

const raw = Buffer.alloc(SIZE * (SIZE * 4 + 1));
for (let y = 0; y < SIZE; y++) {
  raw[y * (SIZE * 4 + 1)] = 0; // filter: none
  for (let x = 0; x < SIZE; x++) {
    let r = 0;
    let g = 0;
    let b = 0;
    let a = 0;
    for (const [cover, [lr, lg, lb]] of layers) {
      const c = cover(x + 0.5, y + 0.5);
      if (c <= 0) continue;
      // "over" compositing of premultiplied colour.
      r = lr * c + r * (1 - c);
      g = lg * c + g * (1 - c);
      b = lb * c + b * (1 - c);
      a = c + a * (1 - c);
    }
    const o = y * (SIZE * 4 + 1) + 1 + x * 4;
    raw[o] = a ? Math.round(r / a) : 0;
    raw[o + 1] = a ? Math.round(g / a) : 0;
    raw[o + 2] = a ? Math.round(b / a) : 0;
    raw[o + 3] = Math.round(a * 255);
  }
}

const CRC = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(SIZE, 0);
ihdr.writeUInt32BE(SIZE, 4);
ihdr[8] = 8; // bit depth
ihdr[9] = 6; // RGBA
const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
writeFileSync(out, png);
console.log(`${out}: ${SIZE}x${SIZE}, ${png.length} bytes`);
