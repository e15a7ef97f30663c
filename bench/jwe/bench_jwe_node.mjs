// bench/jwe/bench_jwe_node.mjs — npm `jose` (panva/jose) on Node: JWE seal + open.
//
// One op: new CompactEncrypt(payload).setProtectedHeader({alg: 'dir',
// enc: 'A256GCM', iat, nonce}).encrypt(key) (iat = now in KST as
// yyyy-MM-ddTHH:mm:ss+09:00, nonce = crypto.randomUUID()), then
// compactDecrypt(token, key), the plaintext compared with the payload.
// The key is imported once as a WebCrypto CryptoKey (jose's fastest path;
// --key-form raw passes the 32 bytes as a Uint8Array on every call instead).
//
// Node cannot pin itself: bench/jwe/run starts it under `taskset -c CPU`.
// Options (as the C benchmarks): -t SECONDS (3), -w SECONDS warm-up (1),
// -c CPU (only reported), -p PAYLOAD, --seal FILE, --open FILE.
// Prints the same RESULT line as bench_common.h; cpu_s is the process's
// user+system time (GC and helper threads included; they share the pinned
// core).
import { readFileSync, writeFileSync } from 'node:fs';
import { webcrypto, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { CompactEncrypt, compactDecrypt } from 'jose';

const KEY = Uint8Array.from([
  0x6b, 0x3e, 0x91, 0x0c, 0x55, 0xa2, 0x7f, 0x18, 0xd4, 0x29, 0xe6, 0x80, 0x3b, 0xc7, 0x12, 0x5d,
  0x9a, 0x04, 0xf1, 0x6e, 0x28, 0xb5, 0x73, 0xcc, 0x47, 0x8e, 0x19, 0xa0, 0xd2, 0x66, 0x3f, 0xe8,
]);

function usage() {
  console.error('usage: node bench_jwe_node.mjs [-t SECONDS] [-w SECONDS] [-c CPU] [-p PAYLOAD]' +
    ' [--key-form cryptokey|raw] [--seal FILE | --open FILE]');
  process.exit(2);
}

const o = { seconds: 3, warmup: 1, cpu: -1, payload: null, seal: null, open: null, keyForm: 'cryptokey' };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i], v = argv[i + 1];
  if (v === undefined) usage();
  if (a === '-t') o.seconds = Number(v);
  else if (a === '-w') o.warmup = Number(v);
  else if (a === '-c') o.cpu = Number(v);
  else if (a === '-p') o.payload = v;
  else if (a === '--seal') o.seal = v;
  else if (a === '--open') o.open = v;
  else if (a === '--key-form' && (v === 'raw' || v === 'cryptokey')) o.keyForm = v;
  else usage();
  i++;
}
if (!(o.seconds > 0)) usage();

function readPayload() {
  for (const p of [o.payload, 'bench/jwe/payload.json', new URL('payload.json', import.meta.url)]) {
    if (!p) continue;
    try { return readFileSync(p); } catch (e) { if (p === o.payload) throw e; }
  }
  throw new Error('cannot read the payload (use -p bench/jwe/payload.json)');
}

const payload = new Uint8Array(readPayload());
const key = o.keyForm === 'raw'
  ? KEY
  : await webcrypto.subtle.importKey('raw', KEY, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);

const p2 = (n) => (n < 10 ? '0' : '') + n;
// Now in KST, yyyy-MM-ddTHH:mm:ss+09:00.
function iatNow() {
  const d = new Date(Date.now() + 9 * 3600 * 1000);
  return `${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}` +
    `T${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}+09:00`;
}

async function seal() {
  return new CompactEncrypt(payload)
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', iat: iatNow(), nonce: randomUUID() })
    .encrypt(key);
}

function same(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

async function openToken(token) {
  const { plaintext } = await compactDecrypt(token, key);
  return same(plaintext, payload);
}

async function op() {
  const t = await seal();
  if (!(await openToken(t))) throw new Error('plaintext differs from the payload');
}

if (o.open) {
  const tok = readFileSync(o.open, 'latin1');
  let ok = false;
  try { ok = await openToken(tok); } catch (e) { console.error(`jose: ${e.code || ''} ${e.message}`); }
  if (!ok) { console.error(`jose: ${o.open} does not open to the payload`); process.exit(1); }
  console.log(`jose opened ${o.open}`);
  process.exit(0);
}

const first = await seal();
if (o.seal) {
  writeFileSync(o.seal, first);
  process.exit(0);
}

const now = () => performance.now() / 1000;
let end = now() + o.warmup;
while (now() < end) for (let k = 0; k < 16; k++) await op();

let ops = 0;
const w0 = now(), c0 = process.cpuUsage();
const stop = w0 + o.seconds;
let w1;
do {
  for (let k = 0; k < 16; k++) await op();
  ops += 16;
  w1 = now();
} while (w1 < stop);
const cu = process.cpuUsage(c0);
const wall = w1 - w0, cpu = (cu.user + cu.system) / 1e6;
const version = createRequire(import.meta.url)('jose/package.json').version;
console.log(`RESULT impl=jose ops=${ops} wall_s=${wall.toFixed(3)} cpu_s=${cpu.toFixed(3)} ` +
  `ops_per_s=${(ops / wall).toFixed(0)} ns_per_op=${(wall * 1e9 / ops).toFixed(0)} ` +
  `ops_per_cpu_s=${(ops / cpu).toFixed(0)} cpu=${o.cpu} token_len=${first.length} ` +
  `jose_version=${version} node=${process.version} key_form=${o.keyForm}`);
