/**
 * The seller's upload page (a Telegram Mini App). It reads its launch parameters as Telegram passes
 * them (the URL fragment), follows the theme, fills in the product form, and uploads the file, the
 * cover and, for a PDF, a picture of its first page straight to object storage with presigned
 * multipart URLs (Uppy's AWS S3 plugin against our signing routes): parts in parallel, a progress bar,
 * pause/resume, retried parts. The api only signs, so its memory does not depend on the file.
 *
 * A reloaded page carries on: the product id stays in the address, and picking the same file again
 * gets the same upload back from the api, so Uppy asks which parts are stored and sends only the rest.
 */
import AwsS3, { type AwsS3Part } from '@uppy/aws-s3';
import Uppy, { type Meta, type UppyFile } from '@uppy/core';
import { renderFirstPage } from './pdf-preview';
import { $, call, mib, notice, PageError, startTelegram } from './telegram';

type Role = 'file' | 'cover' | 'preview';
interface FileMeta extends Meta {
  role: Role;
}
interface Session {
  shop: { name: string; slug: string } | null;
  categories: Array<{ id: string; name: string }>;
  currencies: string[];
  limits: { fileMaxBytes: number; imageMaxBytes: number; partBytes: number };
  review: boolean;
  /** The page's texts in the seller's language; `{name}` marks a value. */
  texts: Record<string, string>;
}
interface Product {
  id: string;
  title: string;
  description: string;
  categoryId: string;
  price: string | null;
  currency: string | null;
  priceStars: number | null;
  status: string;
}

const form = $<HTMLFormElement>('product');
const field = <T extends HTMLElement>(name: string) => form.elements.namedItem(name) as T;
const address = new URL(location.href);

let texts: Record<string, string> = {};
/** A text in the seller's language with its values filled in. */
const t = (key: string, values: Record<string, string | number> = {}) =>
  (texts[key] ?? key).replace(/\{(\w+)\}/g, (_, name: string) => String(values[name] ?? ''));

async function loadSession() {
  const session = await call<Session>('GET', 'session');
  if (!session.shop) throw new PageError('Open your shop with /sell in the bot first.');
  texts = session.texts;
  document.documentElement.lang = (session as { locale?: string }).locale ?? 'en';
  for (const element of document.querySelectorAll<HTMLElement>('[data-t]')) element.textContent = t(element.dataset.t!);
  $('shop').textContent = session.shop.name;
  const categories = field<HTMLSelectElement>('categoryId');
  categories.replaceChildren(...session.categories.map((c) => new Option(c.name, c.id)));
  const currencies = field<HTMLSelectElement>('currency');
  currencies.replaceChildren(new Option('—', ''), ...session.currencies.map((c) => new Option(c, c)));
  currencies.value = session.currencies[0] ?? '';
  $('file-hint').textContent = t('file-limit', { size: mib(session.limits.fileMaxBytes) });
  return session;
}

function fillForm(product: Product) {
  $('heading').textContent = product.title;
  field<HTMLInputElement>('title').value = product.title;
  field<HTMLTextAreaElement>('description').value = product.description;
  field<HTMLSelectElement>('categoryId').value = product.categoryId;
  field<HTMLInputElement>('price').value = product.price ?? '';
  field<HTMLSelectElement>('currency').value = product.currency ?? '';
  field<HTMLInputElement>('priceStars').value = product.priceStars?.toString() ?? '';
}

function formFields() {
  const text = (name: string) => field<HTMLInputElement>(name).value.trim();
  const stars = text('priceStars');
  return {
    title: text('title'),
    description: text('description'),
    categoryId: text('categoryId'),
    price: text('price') || null,
    currency: text('currency') || null,
    priceStars: stars ? Number(stars) : null,
  };
}

/** Creates the draft once; its id goes into the address so a reload edits the same product. */
async function saveProduct(productId: string | undefined): Promise<string> {
  if (productId) {
    await call('PATCH', `products/${productId}`, formFields());
    return productId;
  }
  const created = await call<{ productId: string }>('POST', 'products', formFields());
  address.searchParams.set('product', created.productId);
  history.replaceState(null, '', address);
  return created.productId;
}

interface StartedUpload {
  uploadId: string;
  key: string;
  resumed?: boolean;
}

function createUploader(session: Session, productId: () => string) {
  const uppy = new Uppy<FileMeta, Record<string, never>>({ autoProceed: false });
  const start = (file: UppyFile<FileMeta, Record<string, never>>) =>
    call<StartedUpload>('POST', 'uploads', {
      productId: productId(),
      role: file.meta.role,
      fileName: file.name,
      size: file.size,
      contentType: file.type || 'application/octet-stream',
    });
  const path = (uploadId: string | undefined, key: string, rest = '') =>
    `uploads/${encodeURIComponent(uploadId ?? '')}${rest}?key=${encodeURIComponent(key)}`;
  uppy.use(AwsS3<FileMeta, Record<string, never>>, {
    shouldUseMultipart: true,
    limit: 4,
    retryDelays: [0, 1000, 3000, 5000],
    getChunkSize: () => session.limits.partBytes,
    createMultipartUpload: start,
    listParts: async (_file, { uploadId, key }) =>
      (await call<{ parts: AwsS3Part[] }>('GET', path(uploadId, key, '/parts'))).parts,
    signPart: async (_file, { uploadId, key, partNumber }) => ({
      url: (await call<{ url: string }>('GET', path(uploadId, key, `/parts/${partNumber}`))).url,
      method: 'PUT',
    }),
    completeMultipartUpload: async (_file, { uploadId, key, parts }) => {
      await call('POST', path(uploadId, key, '/complete'), { parts });
      return {};
    },
    abortMultipartUpload: async (_file, { uploadId, key }) => {
      await call('DELETE', path(uploadId, key));
    },
  });
  return { uppy, start };
}

function showProgress(uppy: Uppy<FileMeta, Record<string, never>>) {
  const bar = $<HTMLProgressElement>('progress');
  const text = $('progress-text');
  uppy.on('upload-progress', () => {
    const files = uppy.getFiles();
    const sent = files.reduce((sum, f) => sum + (f.progress.bytesUploaded || 0), 0);
    const total = files.reduce((sum, f) => sum + (f.size ?? 0), 0);
    const percent = total ? Math.floor((sent / total) * 100) : 0;
    bar.value = percent;
    text.textContent = t('progress', { percent, sent: mib(sent), total: mib(total) });
  });
  const pause = $<HTMLButtonElement>('pause');
  const resume = $<HTMLButtonElement>('resume');
  const retry = $<HTMLButtonElement>('retry');
  pause.onclick = () => {
    uppy.pauseAll();
    pause.hidden = true;
    resume.hidden = false;
  };
  resume.onclick = () => {
    uppy.resumeAll();
    resume.hidden = true;
    pause.hidden = false;
  };
  retry.onclick = () => {
    notice(undefined);
    retry.hidden = true;
    void uppy.retryAll();
  };
  uppy.on('upload-error', (file, error) => {
    notice(`${file?.name ?? 'The file'}: ${error.message}`);
    retry.hidden = false;
  });
}

/**
 * Adds a file for upload. When the api hands back an upload already under way (the same product,
 * role, name and size), Uppy is told so and resumes it: it lists the stored parts and sends the rest.
 */
async function addFile(
  uploader: ReturnType<typeof createUploader>,
  role: Role,
  data: File | Blob,
  name: string,
  maxBytes: number,
) {
  if (data.size > maxBytes) throw new PageError(t('too-big', { name, size: mib(data.size), limit: mib(maxBytes) }));
  const id = uploader.uppy.addFile({ name, type: data.type, data, meta: { role } });
  const file = uploader.uppy.getFile(id);
  const started = await uploader.start(file);
  // What Uppy's Golden Retriever restores after a reload: Uppy then lists the stored parts first.
  const state = { s3Multipart: { uploadId: started.uploadId, key: started.key } };
  uploader.uppy.setFileState(id, state as Partial<UppyFile<FileMeta, Record<string, never>>>);
  if (started.resumed) $('progress-text').textContent = t('resuming', { name });
}

async function submit(session: Session, productId: string | undefined, role: string | null) {
  const submitButton = $<HTMLButtonElement>('submit');
  submitButton.disabled = true;
  notice(undefined);
  try {
    const id = await saveProduct(productId);
    productId = id;
    const uploader = createUploader(session, () => id);
    showProgress(uploader.uppy);
    const file = field<HTMLInputElement>('file').files?.[0];
    const cover = field<HTMLInputElement>('cover').files?.[0];
    if (!file && !cover && role !== 'cover' && !(await hasStoredFile(id))) throw new PageError(t('choose-file'));
    if (file) {
      await addFile(uploader, 'file', file, file.name, session.limits.fileMaxBytes);
      if (file.type === 'application/pdf' || file.name.toLowerCase().endsWith('.pdf')) {
        const preview = await renderFirstPage(file, $<HTMLCanvasElement>('preview')).catch(() => undefined);
        if (preview) await addFile(uploader, 'preview', preview, 'preview.jpg', session.limits.imageMaxBytes);
      }
    }
    if (cover) await addFile(uploader, 'cover', cover, cover.name, session.limits.imageMaxBytes);
    $('progress-panel').hidden = false;
    const result = await uploader.uppy.upload();
    if (!result || (result.failed?.length ?? 0) > 0) return;
    const published = await call<{ status: string }>('POST', `products/${id}/publish`);
    $('progress-panel').hidden = true;
    form.hidden = true;
    const done = $('done');
    done.hidden = false;
    done.textContent = t(published.status === 'pending_review' ? 'done-review' : 'done-live');
    done.dataset.status = published.status;
  } catch (error) {
    notice(error instanceof Error ? error.message : String(error));
  } finally {
    submitButton.disabled = false;
  }
}

async function hasStoredFile(productId: string) {
  const { files } = await call<{ files: Array<{ role: string; state: string }> }>('GET', `products/${productId}`);
  return files.some((f) => f.role === 'file' && f.state === 'stored');
}

async function main() {
  startTelegram();
  try {
    const session = await loadSession();
    const productId = address.searchParams.get('product') ?? undefined;
    const role = address.searchParams.get('role');
    if (productId) fillForm((await call<{ product: Product }>('GET', `products/${productId}`)).product);
    if (role === 'cover') $('file-field').hidden = true;
    if (role === 'file') $('cover-field').hidden = true;
    form.hidden = false;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void submit(session, address.searchParams.get('product') ?? undefined, role);
    });
    document.body.dataset.ready = 'true';
  } catch (error) {
    notice(error instanceof Error ? error.message : String(error));
  }
}

void main();
