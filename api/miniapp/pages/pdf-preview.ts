/**
 * A PDF's first page as a JPEG, rendered in the browser with pdf.js (so the server never opens
 * documents). pdf.js is loaded only when a PDF is chosen; its worker is served next to the page.
 */
const PREVIEW_WIDTH = 800;

export async function renderFirstPage(file: Blob, canvas: HTMLCanvasElement): Promise<Blob> {
  const pdfjs = await import('pdfjs-dist');
  pdfjs.GlobalWorkerOptions.workerSrc = new URL('pdf.worker.min.mjs', import.meta.url).toString();
  const document = await pdfjs.getDocument({ data: new Uint8Array(await file.arrayBuffer()) }).promise;
  try {
    const page = await document.getPage(1);
    const unscaled = page.getViewport({ scale: 1 });
    const viewport = page.getViewport({ scale: PREVIEW_WIDTH / unscaled.width });
    canvas.width = Math.round(viewport.width);
    canvas.height = Math.round(viewport.height);
    await page.render({ canvas, viewport }).promise;
    canvas.hidden = false;
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('no preview'))), 'image/jpeg', 0.85),
    );
  } finally {
    await document.destroy();
  }
}
