/**
 * Refusing executables among marketplace uploads, by their first bytes (never by name or declared type,
 * both of which the uploader chooses).
 *
 * The rule: a file is refused when the operating system itself would run it, i.e. it starts with a
 * native program header (ELF, DOS/PE `MZ`, Mach-O, Mach-O universal) or a `#!` interpreter line. Formats
 * that need a program the buyer starts on purpose are not refused here, just like ZIP archives (a `.jar`
 * is one): that includes Java class files, which share `ca fe ba be` with universal binaries and are
 * told apart by the word after it (an architecture count for Mach-O, the class file version for Java).
 */

export type ExecutableKind = 'elf' | 'pe' | 'mach-o' | 'mach-o-universal' | 'script';

export interface ExecutableFinding {
  kind: ExecutableKind;
  /** For the seller: what the file looks like. */
  reason: string;
}

/** Read at least this many first bytes of a file: the universal header needs its architecture count. */
export const MAGIC_BYTES_NEEDED = 8;

/**
 * `file(1)` calls `ca fe ba be` universal below 20 architectures and Java above 30 (a class file's
 * minor/major version, major ≥ 45); real universal binaries hold a handful.
 */
const MAX_UNIVERSAL_ARCHITECTURES = 19;

const MACH_O_MAGICS: ReadonlyArray<readonly number[]> = [
  [0xfe, 0xed, 0xfa, 0xce], // 32-bit, big-endian
  [0xfe, 0xed, 0xfa, 0xcf], // 64-bit, big-endian
  [0xce, 0xfa, 0xed, 0xfe], // 32-bit, little-endian
  [0xcf, 0xfa, 0xed, 0xfe], // 64-bit, little-endian
];
const UTF8_BOM = [0xef, 0xbb, 0xbf];

function startsWith(bytes: Uint8Array, prefix: readonly number[], at = 0): boolean {
  if (bytes.length < at + prefix.length) return false;
  return prefix.every((byte, index) => bytes[at + index] === byte);
}

function bigEndianUint32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

/**
 * What kind of executable the file is, or undefined when it is none. Pass the first
 * `MAGIC_BYTES_NEEDED` bytes (fewer when the file is shorter); later bytes are not looked at.
 */
export function detectExecutable(firstBytes: Uint8Array): ExecutableFinding | undefined {
  if (startsWith(firstBytes, [0x7f, 0x45, 0x4c, 0x46]))
    return { kind: 'elf', reason: 'an ELF program or library (Linux, BSD, Android)' };
  if (startsWith(firstBytes, [0x4d, 0x5a])) return { kind: 'pe', reason: 'a Windows or DOS program (MZ header)' };
  if (MACH_O_MAGICS.some((magic) => startsWith(firstBytes, magic)))
    return { kind: 'mach-o', reason: 'a Mach-O program or library (macOS, iOS)' };
  // cafebabe is 32-bit fat, cafebabf 64-bit fat; both are big-endian on disk.
  if (startsWith(firstBytes, [0xca, 0xfe, 0xba, 0xbe]) || startsWith(firstBytes, [0xca, 0xfe, 0xba, 0xbf])) {
    if (firstBytes.length < 8) return undefined;
    const architectures = bigEndianUint32(firstBytes, 4);
    if (architectures >= 1 && architectures <= MAX_UNIVERSAL_ARCHITECTURES)
      return {
        kind: 'mach-o-universal',
        reason: `a Mach-O universal program (macOS) with ${architectures} architecture${architectures === 1 ? '' : 's'}`,
      };
    // A Java class file (or neither): not run by the operating system itself.
    return undefined;
  }
  const textStart = startsWith(firstBytes, UTF8_BOM) ? UTF8_BOM.length : 0;
  // `#![` opens Rust and other source files (`#![no_std]`), not an interpreter line.
  if (startsWith(firstBytes, [0x23, 0x21], textStart) && firstBytes[textStart + 2] !== 0x5b)
    return { kind: 'script', reason: 'a script with a #! interpreter line' };
  return undefined;
}
