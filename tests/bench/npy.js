'use strict';
// npy.js: a small reader/writer for numpy's .npy format (test tooling only, never part of edgetune).
//
// Reads versions 1.0, 2.0 and 3.0, little-endian (or byte-order-free) C-order arrays of the dtypes ONNX Runtime
// tensors use; writes version 1.0 with the header padded to a multiple of 64 bytes, as numpy does. Errors are
// thrown as Error with a message naming the file and what is wrong.
const fs = require('fs');

// descr -> [ONNX Runtime tensor type, TypedArray constructor, bytes per element]
const DESCR = {
  '<f4': ['float32', Float32Array, 4],
  '<f8': ['float64', Float64Array, 8],
  '<f2': ['float16', Uint16Array, 2],
  '<i8': ['int64', BigInt64Array, 8],
  '<u8': ['uint64', BigUint64Array, 8],
  '<i4': ['int32', Int32Array, 4],
  '<u4': ['uint32', Uint32Array, 4],
  '<i2': ['int16', Int16Array, 2],
  '<u2': ['uint16', Uint16Array, 2],
  '|i1': ['int8', Int8Array, 1],
  '|u1': ['uint8', Uint8Array, 1],
  '|b1': ['bool', Uint8Array, 1],
};
const BY_TYPE = {};
for (const [descr, [type]] of Object.entries(DESCR)) BY_TYPE[type] = descr;

function parseHeader(text, path) {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(text);
  if (!descr || !fortran || !shape) throw new Error(`${path}: unreadable .npy header: ${text.trim()}`);
  if (fortran[1] === 'True') throw new Error(`${path}: Fortran-order arrays are not supported; save with C order`);
  let d = descr[1];
  if (d[0] === '=') d = '<' + d.slice(1); // native order on every machine this runs on is little-endian
  if (!(d in DESCR)) throw new Error(`${path}: unsupported dtype '${descr[1]}'`);
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  if (dims.some((n) => !Number.isInteger(n) || n < 0)) throw new Error(`${path}: bad shape (${shape[1]})`);
  return { descr: d, dims };
}

// read(path) -> { type, dims, data } where type is an ONNX Runtime tensor type name and data a TypedArray.
function read(path) {
  const buf = fs.readFileSync(path);
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${path}: not a .npy file`);
  const major = buf[6];
  let hlen;
  let start;
  if (major === 1) {
    hlen = buf.readUInt16LE(8);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw new Error(`${path}: truncated .npy header`);
    hlen = buf.readUInt32LE(8);
    start = 12;
  } else {
    throw new Error(`${path}: unsupported .npy version ${major}`);
  }
  if (start + hlen > buf.length) throw new Error(`${path}: truncated .npy header`);
  const { descr, dims } = parseHeader(buf.toString(major === 3 ? 'utf8' : 'latin1', start, start + hlen), path);
  const [type, Ctor, size] = DESCR[descr];
  const count = dims.reduce((a, b) => a * b, 1);
  const off = start + hlen;
  if (buf.length - off !== count * size) {
    throw new Error(`${path}: ${buf.length - off} data bytes, but shape (${dims}) of ${descr} needs ${count * size}`);
  }
  const ab = new ArrayBuffer(count * size); // copy: the data offset in the file need not be aligned
  new Uint8Array(ab).set(buf.subarray(off, off + count * size));
  return { type, dims, data: new Ctor(ab) };
}

// write(path, type, dims, data): data is a TypedArray of the matching kind (Uint8Array for bool).
function write(path, type, dims, data) {
  const descr = BY_TYPE[type];
  if (!descr) throw new Error(`${path}: cannot write tensor type '${type}' as .npy`);
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  fs.writeFileSync(path, Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
}

module.exports = { read, write };
