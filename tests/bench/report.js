#!/usr/bin/env node
'use strict';
// report.js: turns the raw outputs of tests/bench/run.sh into the speed table.
//
//   node tests/bench/report.js RESULTS_DIR [--format table|md]
//
// RESULTS_DIR holds <model>.t<threads>.r<round>.<edgetune|ort>.json, each the stdout of one
// `edgetune bench --json` or `ort_time.js --json` run (the last line that parses as a JSON object is used).
// Per model and thread count the best (lowest) p50 over the rounds is reported: on a shared machine the
// slowest rounds measure the neighbours. Peak RSS is the largest over the rounds.
const fs = require('fs');
const path = require('path');

function lastJson(file) {
  if (!fs.existsSync(file)) return null;
  const text = fs.readFileSync(file, 'utf8');
  try {
    return JSON.parse(text); /* the whole output: edgetune bench --json prints one (pretty) object */
  } catch (e) { /* else the last line that is an object */ }
  const lines = text.split('\n').reverse();
  for (const l of lines) {
    const t = l.trim();
    if (!t.startsWith('{')) continue;
    try {
      return JSON.parse(t);
    } catch (e) { /* not this line */ }
  }
  return null;
}

function precision(cfg) {
  if (!cfg) return 'fp32';
  if (cfg.precision) return cfg.precision;
  const w = cfg.bits !== undefined ? cfg.bits : cfg.weight_bits;
  const a = cfg.act_bits !== undefined ? cfg.act_bits : cfg.activation_bits;
  if (w === undefined || (w === 32 && (a === undefined || a === 32))) return 'fp32';
  return `w${w}a${a === undefined ? 32 : a}`;
}

function mib(b) {
  return typeof b === 'number' && b > 0 ? (b / 1048576).toFixed(1) : '-';
}

function main() {
  const dir = process.argv[2];
  const md = process.argv.includes('md');
  if (!dir || !fs.existsSync(dir)) {
    process.stderr.write('usage: report.js RESULTS_DIR [--format table|md]\n');
    process.exit(2);
  }
  const rows = new Map();
  let cpu = null;
  let ortVersion = null;
  let nodeBase = 0;
  for (const f of fs.readdirSync(dir).sort()) {
    const m = /^(.+)\.t(\d+)\.r(\d+)\.(edgetune|ort)\.json$/.exec(f);
    if (!m) continue;
    const [, model, threads, , tool] = m;
    const key = `${model}\t${threads}`;
    if (!rows.has(key)) rows.set(key, { model, threads: Number(threads), edgetune: [], ort: [], prec: null, isa: null });
    const j = lastJson(path.join(dir, f));
    const row = rows.get(key);
    if (!j || !j.latency_ms || typeof j.latency_ms.p50 !== 'number') continue;
    row[tool].push(j);
    if (tool === 'edgetune') {
      row.prec = precision(j.config);
      row.isa = (j.engine && j.engine.isa) || null; /* the kernel path edgetune ran */
    }
    if (tool === 'ort') {
      cpu = cpu || j.cpu;
      ortVersion = j.version;
      nodeBase = Math.max(nodeBase, (j.memory && j.memory.rss_before_session_bytes) || 0);
    }
  }
  const best = (list) => (list.length ? Math.min(...list.map((j) => j.latency_ms.p50)) : null);
  const peak = (list) => (list.length ? Math.max(...list.map((j) => (j.memory && j.memory.peak_rss_bytes) || 0)) : null);
  const head = ['model', 'precision', 'threads', 'edgetune p50 ms', 'ORT p50 ms', 'ratio', 'edgetune RSS MiB',
    'ORT RSS MiB', 'edgetune ISA'];
  const body = [];
  for (const r of [...rows.values()].sort((a, b) => a.model.localeCompare(b.model) || a.threads - b.threads)) {
    const e = best(r.edgetune);
    const o = best(r.ort);
    body.push([r.model, r.prec || 'fp32', String(r.threads), e === null ? '-' : e.toFixed(2),
      o === null ? '-' : o.toFixed(2), e !== null && o ? (e / o).toFixed(2) : '-', mib(peak(r.edgetune)),
      mib(peak(r.ort)), r.isa || '-']);
  }
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const fmt = (cells) => (md ? `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`
    : cells.map((c, i) => (i < 2 || i === cells.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
  process.stdout.write(`CPU: ${cpu || 'unknown'}; ONNX Runtime ${ortVersion || '?'} (onnxruntime-node)\n`);
  process.stdout.write(fmt(head) + '\n');
  if (md) process.stdout.write(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n`);
  for (const b of body) process.stdout.write(fmt(b) + '\n');
  process.stdout.write(`p50: best over rounds; ratio = edgetune / ORT (below 1: edgetune faster). ORT RSS is ` +
    `the node process, ${mib(nodeBase)} MiB of it before the ORT session existed.\n`);
}

main();
