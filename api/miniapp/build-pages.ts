/** `npm run build:mini-app`: bundles the Mini App pages into dist/mini-app/ (the Docker image does it at build time). */
import { buildMiniAppPages, MINI_APP_BUILD } from './static-pages';

await buildMiniAppPages();
console.log(`Mini App pages built into ${MINI_APP_BUILD}`);
