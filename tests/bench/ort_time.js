#!/usr/bin/env node
'use strict';
// ort_time.js: ONNX Runtime latency and peak memory for one model, the reference column of `./build.sh bench`.
//
//   node tests/bench/ort_time.js MODEL.onnx [--threads N] [--iters N] [--warmup N] [--input [NAME=]F.npy]... [--json]
//
// One session (CPU, graphOptimizationLevel 'all', sequential, intra-op threads N, inter-op 1), `warmup` untimed
// runs, then `iters` runs each timed with process.hrtime around session.run. Peak RSS is the whole node process'
// high-water mark (getrusage ru_maxrss), so it includes node itself: rss_before_session_bytes says how much.
// --json prints one object shaped like `edgetune bench --json` (latency_ms {min,mean,p50,p90,p99,max,std},
// memory {peak_rss_bytes}). Exit 0 ok, 1 ORT failed, 2 bad usage, 3 no ORT.
const fs = require('fs');
const os = require('os');
const O = require('./ort');

function usage(msg) {
  if (msg) process.stderr.write(`ort_time.js: ${msg}\n`);
  process.stderr.write('usage: ort_time.js MODEL.onnx [--threads N] [--iters N] [--warmup N] ' +
    '[--input [NAME=]FILE.npy]... [--json]\n');
  process.exit(2);
}

function count(v, flag, min) {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) usage(`${flag} takes an integer >= ${min}, got '${v}'`);
  return n;
}

// Linear interpolation between closest ranks (numpy's default percentile).
function percentile(sorted, p) {
  if (sorted.length === 1) return sorted[0];
  const r = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(r);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (r - lo);
}

function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  const std = Math.sqrt(s.reduce((a, b) => a + (b - mean) * (b - mean), 0) / s.length);
  const r = (x) => Math.round(x * 1e4) / 1e4;
  return { min: r(s[0]), mean: r(mean), p50: r(percentile(s, 50)), p90: r(percentile(s, 90)),
    p99: r(percentile(s, 99)), max: r(s[s.length - 1]), std: r(std) };
}

function cpuName() {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1].trim();
  } catch (e) { /* not Linux: fall through */ }
  const c = os.cpus();
  return c.length ? c[0].model : 'unknown';
}

async function main() {
  const argv = process.argv.slice(2);
  const opt = { threads: 1, iters: 50, warmup: 5, json: false, inputs: [] };
  let model = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--threads') opt.threads = count(argv[++i], a, 1);
    else if (a === '--iters') opt.iters = count(argv[++i], a, 1);
    else if (a === '--warmup') opt.warmup = count(argv[++i], a, 0);
    else if (a === '--input') opt.inputs.push(argv[++i]);
    else if (a === '--json') opt.json = true;
    else if (a === '-h' || a === '--help') usage();
    else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else if (model === null) model = a;
    else usage(`unexpected argument ${a}`);
  }
  if (!model) usage('no model given');
  if (!fs.existsSync(model)) usage(`${model}: no such file`);
  const ort = O.load();
  const rssBefore = process.memoryUsage().rss;
  const t0 = process.hrtime.bigint();
  let session;
  try {
    session = await ort.InferenceSession.create(model, O.sessionOptions(opt.threads));
  } catch (e) {
    process.stderr.write(`ort_time.js: ${model}: ONNX Runtime could not load it: ${e.message.split('\n')[0]}\n`);
    process.exit(1);
  }
  const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
  let fed;
  try {
    fed = O.buildFeeds(ort, session, model, opt.inputs);
  } catch (e) {
    usage(e.message);
  }
  for (let i = 0; i < opt.warmup; i++) await session.run(fed.feeds);
  const samples = [];
  for (let i = 0; i < opt.iters; i++) {
    const a = process.hrtime.bigint();
    await session.run(fed.feeds);
    samples.push(Number(process.hrtime.bigint() - a) / 1e6);
  }
  const lat = stats(samples);
  const res = {
    runtime: 'onnxruntime-node',
    version: O.version(ort),
    model,
    config: { threads: opt.threads, graph_optimization_level: 'all', execution_mode: 'sequential', precision: 'fp32' },
    inputs: fed.sources,
    iterations: opt.iters,
    warmup: opt.warmup,
    load_ms: Math.round(loadMs * 1000) / 1000,
    latency_ms: lat,
    throughput_per_s: Math.round((1000 / lat.mean) * 100) / 100,
    memory: {
      peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
      rss_before_session_bytes: rssBefore,
    },
    cpu: cpuName(),
  };
  if (opt.json) {
    process.stdout.write(JSON.stringify(res) + '\n');
  } else {
    process.stdout.write(`${model}: ORT ${res.version}, ${opt.threads} thread(s), ${opt.iters} iters: ` +
      `p50 ${lat.p50} ms, mean ${lat.mean} ms, min ${lat.min} ms, peak RSS ` +
      `${(res.memory.peak_rss_bytes / 1048576).toFixed(1)} MiB (node alone ${(rssBefore / 1048576).toFixed(1)} MiB)\n`);
  }
}

main().catch((e) => {
  process.stderr.write(`ort_time.js: ${e.message.split('\n')[0]}\n`);
  process.exit(1);
});
