/**
 * The buyer's download page (a Telegram Mini App), opened as `/miniapp/download?order=<id>`: the
 * purchase's file name and size, and a button that gets a fresh single-use link from the api and
 * hands it to Telegram's own download dialog where the client has one (Mini Apps 8.0), else to the
 * browser.
 */
import { postEvent } from '@tma.js/bridge';
import { $, call, mib, notice, PageError, startTelegram, telegramVersion } from './telegram';

interface Purchase {
  title: string;
  fileName: string;
  size: number;
}

/** Telegram's native download dialog (`web_app_request_file_download`) came with Mini Apps 8.0. */
function hasNativeDownload(): boolean {
  const major = Number(telegramVersion()?.split('.')[0]);
  return Number.isFinite(major) && major >= 8 && window.parent !== window;
}

async function download(orderId: string, purchase: Purchase) {
  notice(undefined);
  const { url } = await call<{ url: string }>('POST', `library/${encodeURIComponent(orderId)}/download`);
  if (hasNativeDownload()) {
    postEvent('web_app_request_file_download', { url, file_name: purchase.fileName });
    return;
  }
  const link = document.createElement('a');
  link.href = url;
  link.download = purchase.fileName;
  document.body.append(link);
  link.click();
  link.remove();
}

async function main() {
  startTelegram();
  try {
    const orderId = new URL(location.href).searchParams.get('order');
    if (!orderId) throw new PageError('Open this page from your library in the bot.');
    const purchase = await call<Purchase>('GET', `library/${encodeURIComponent(orderId)}`);
    $('title').textContent = purchase.title;
    $('file').textContent = `${purchase.fileName} · ${mib(purchase.size)}`;
    const button = $<HTMLButtonElement>('download');
    button.hidden = false;
    $('hint').hidden = false;
    button.onclick = () => {
      button.disabled = true;
      download(orderId, purchase)
        .catch((error: unknown) => notice(error instanceof Error ? error.message : String(error)))
        .finally(() => (button.disabled = false));
    };
    document.body.dataset.ready = 'true';
  } catch (error) {
    notice(error instanceof Error ? error.message : String(error));
  }
}

void main();
