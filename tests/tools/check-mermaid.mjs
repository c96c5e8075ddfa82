// node check-mermaid.mjs FILE...: parse each file with mermaid's own parser; exit 1 on any error.
// mermaid needs a DOM even to parse, so jsdom provides one before mermaid is imported.
import { readFile } from 'node:fs/promises';
import { JSDOM } from 'jsdom';

const dom = new JSDOM('<!DOCTYPE html><html><body></body></html>', { pretendToBeVisual: true });
globalThis.window = dom.window;
globalThis.document = dom.window.document;
for (const name of ['Element', 'HTMLElement', 'SVGElement', 'Node', 'DOMParser', 'XMLSerializer', 'DocumentFragment']) {
  globalThis[name] ??= dom.window[name];
}
if (!globalThis.navigator) {
  Object.defineProperty(globalThis, 'navigator', { value: dom.window.navigator, configurable: true });
}
const { default: mermaid } = await import('mermaid'); // after the globals: a static import would run first
mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });

let failed = 0;
for (const file of process.argv.slice(2)) {
  try {
    await mermaid.parse(await readFile(file, 'utf8'));
  } catch (error) {
    failed += 1;
    console.error(`${file}: ${error?.message ?? error}`);
  }
}
process.exit(failed ? 1 : 0);
