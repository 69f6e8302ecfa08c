/** Durations in configuration and workflow input: "500ms", "30s", "5m", "2h", "3d", or plain milliseconds. */
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const PATTERN = /^(\d+)(ms|s|m|h|d)?$/;

export function parseDuration(text: string): number {
  const match = PATTERN.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not a duration (expected e.g. 500ms, 30s, 5m, 2h, 3d)`);
  const unit = (match[2] ?? 'ms') as keyof typeof UNIT_MS;
  return Number(match[1]) * UNIT_MS[unit];
}

export function parseDurationList(text: string): number[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map(parseDuration);
}

export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms >= UNIT_MS[unit] && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}
