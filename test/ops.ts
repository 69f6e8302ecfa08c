/** Runs the ops CLI in-process as `npm run ops -- <argv>` would, capturing what it prints. */
import { runOps, type OpsDeps } from '../ops/cli';

export async function runOpsCapture(deps: OpsDeps, argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runOps(
    argv,
    deps,
    (line) => out.push(line),
    (line) => err.push(line),
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}
