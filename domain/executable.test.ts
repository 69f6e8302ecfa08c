import { openSync, readSync, closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectExecutable, MAGIC_BYTES_NEEDED } from './executable';

const ascii = (text: string) => new TextEncoder().encode(text);
const bytes = (...parts: Array<number[] | Uint8Array | string>) =>
  Uint8Array.from(parts.flatMap((part) => (typeof part === 'string' ? [...ascii(part)] : [...part])));
const u16le = (value: number) => [value & 0xff, value >> 8];
const u32le = (value: number) => [value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff, value >>> 24];
const u32be = (value: number) => u32le(value).reverse();

/** The first bytes of a file on disk, as an upload check would read them. */
function firstBytesOf(path: string, count = MAGIC_BYTES_NEEDED): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const buffer = new Uint8Array(count);
    const read = readSync(fd, buffer, 0, count, 0);
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/** A 64-bit little-endian ELF header of an x86-64 executable (ET_EXEC, EM_X86_64). */
const elfHeader = bytes(
  [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0],
  new Uint8Array(8),
  u16le(2),
  u16le(0x3e),
  u32le(1),
  new Uint8Array(40),
);
/** A DOS stub whose e_lfanew (0x3c) points at a PE signature at 0x40. */
const peStub = bytes('MZ', [0x90, 0, 3, 0], new Uint8Array(0x3c - 6), u32le(0x40), 'PE\0\0', u16le(0x8664));
/** Mach-O 64-bit little-endian (arm64, MH_EXECUTE), as on Apple silicon. */
const machO64 = bytes([0xcf, 0xfa, 0xed, 0xfe], u32le(0x0100000c), u32le(0), u32le(2), u32le(0), u32le(0));
/** Mach-O 32-bit big-endian (PowerPC, MH_EXECUTE). */
const machO32be = bytes([0xfe, 0xed, 0xfa, 0xce], u32be(18), u32be(0), u32be(2));
/** A universal binary holding x86_64 and arm64 (two fat_arch entries). */
const universal = bytes([0xca, 0xfe, 0xba, 0xbe], u32be(2), u32be(0x01000007), u32be(3), u32be(0x4000));
/** A Java 21 class file: magic, minor 0, major 65. */
const javaClass = bytes([0xca, 0xfe, 0xba, 0xbe], [0, 0, 0, 65], [0, 0x1d]);
const pdf = bytes('%PDF-1.7\n%\u00e2\u00e3\n1 0 obj');
const png = bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], u32be(13), 'IHDR');
const zip = bytes([0x50, 0x4b, 0x03, 0x04], u16le(20), u16le(0), u16le(8));

describe('detectExecutable', () => {
  it.each([
    ['an ELF header', elfHeader, 'elf'],
    ['a PE file behind its MZ stub', peStub, 'pe'],
    ['a 64-bit little-endian Mach-O', machO64, 'mach-o'],
    ['a 32-bit big-endian Mach-O', machO32be, 'mach-o'],
    ['a 32-bit little-endian Mach-O', bytes([0xce, 0xfa, 0xed, 0xfe], u32le(7)), 'mach-o'],
    ['a 64-bit big-endian Mach-O', bytes([0xfe, 0xed, 0xfa, 0xcf], u32be(0x01000012)), 'mach-o'],
    ['a universal binary', universal, 'mach-o-universal'],
    ['a 64-bit universal binary', bytes([0xca, 0xfe, 0xba, 0xbf], u32be(1)), 'mach-o-universal'],
    ['#!/bin/sh', bytes('#!/bin/sh\necho hi\n'), 'script'],
    ['#! /usr/bin/env python3', bytes('#! /usr/bin/env python3\n'), 'script'],
    ['a shebang behind a UTF-8 BOM', bytes([0xef, 0xbb, 0xbf], '#!/bin/bash\n'), 'script'],
  ])('refuses %s', (_name, header, kind) => {
    const found = detectExecutable(header.subarray(0, MAGIC_BYTES_NEEDED));
    expect(found?.kind).toBe(kind);
    expect(found?.reason).toMatch(/\w{4,}/);
  });

  it('tells the architecture count of a universal binary', () => {
    expect(detectExecutable(universal)?.reason).toContain('2 architectures');
  });

  it.each([
    ['a PDF', pdf],
    ['a PNG', png],
    ['a ZIP', zip],
    ['a Java class file (cafebabe with a class version, not an architecture count)', javaClass],
    ['a Rust source file opening with #![', bytes('#![no_std]\n')],
    ['plain text', bytes('Hello, buyer')],
    ['a UTF-8 BOM and text', bytes([0xef, 0xbb, 0xbf], 'Title')],
    ['an empty file', new Uint8Array(0)],
    ['a lone #', bytes('#')],
    ['cafebabe too short to tell', bytes([0xca, 0xfe, 0xba, 0xbe, 0])],
    ['cafebabe with 0 architectures', bytes([0xca, 0xfe, 0xba, 0xbe], u32be(0))],
  ])('lets %s through', (_name, header) => {
    expect(detectExecutable(header.subarray(0, MAGIC_BYTES_NEEDED))).toBeUndefined();
  });

  it('knows the real programs on this machine: the node binary and an npm bin script', () => {
    expect(detectExecutable(firstBytesOf(process.execPath))?.kind).toBe('elf');
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    expect(detectExecutable(firstBytesOf(tsc))?.kind).toBe('script');
  });

  it('reads no further than MAGIC_BYTES_NEEDED bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (any) => {
        expect(detectExecutable(any)).toEqual(detectExecutable(any.subarray(0, MAGIC_BYTES_NEEDED)));
      }),
    );
  });

  it('finds each magic whatever follows it', () => {
    const magics: Array<[number[], string]> = [
      [[0x7f, 0x45, 0x4c, 0x46], 'elf'],
      [[0x4d, 0x5a], 'pe'],
      [[0xcf, 0xfa, 0xed, 0xfe], 'mach-o'],
      [[0x23, 0x21, 0x2f], 'script'],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...magics), fc.uint8Array({ maxLength: 16 }), ([magic, kind], rest) => {
        expect(detectExecutable(bytes(magic, rest))?.kind).toBe(kind);
      }),
    );
  });

  it('never calls a file an executable when its first byte starts no known magic', () => {
    const openers = new Set([0x7f, 0x4d, 0xfe, 0xce, 0xcf, 0xca, 0x23, 0xef]);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }).filter((first) => !openers.has(first)),
        fc.uint8Array({ maxLength: 16 }),
        (first, rest) => {
          expect(detectExecutable(bytes([first], rest))).toBeUndefined();
        },
      ),
    );
  });
});
