/** `npm run build:workflows`: the workflow bundle production workers load (NODE_ENV=production). */
import { buildWorkflowBundle, workflowBundlePath } from './worker';

await buildWorkflowBundle();
console.log(`workflow bundle written to ${workflowBundlePath}`);
